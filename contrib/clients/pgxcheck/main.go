// pgxcheck: pgx v4 (Debian's golang-github-jackc-pgx-v4-dev) through pgsteer,
// the way applications use it. contrib/clients.sh builds it offline in GOPATH
// mode against /usr/share/gocode and runs it with the environment below; it
// prints one line per check, "PASS pgx/MODE CHECK: detail" or
// "FAIL pgx/MODE CHECK: detail", then "pgx/MODE: N passed, N failed", and
// exits 1 if any check failed.
//
// Checks (each under its own deadline, so one hang does not hide the others):
//
//	pool     a pgxpool with MaxConns CLIENTS_POOL and pgx's default statement
//	         cache (every query with arguments, and every Query, is a named
//	         prepared statement); CLIENTS_POOL goroutines share
//	         CLIENTS_ITERATIONS iterations, each a parameterised SELECT, a
//	         transaction that INSERTs a row with a unique id and reads it back,
//	         a plain read (of pg_database: pgxpool may run it on another
//	         connection, and read-your-writes is per connection), and a
//	         duplicate-key error inside a transaction (then 25P02 for the next
//	         statement) and ROLLBACK. All must be correct.
//	notify   a pool connection LISTENs and keeps INSERTing while a direct
//	         connection to the primary sends CLIENTS_NOTIFICATIONS pg_notify();
//	         every payload must arrive once (Conn.WaitForNotification).
//	notify-idle  a pg_notify sent while a listener through pgsteer sends
//	         nothing reaches it within 3 s (WaitForNotification only reads).
//	batch    SendBatch of 100 INSERTs and a SELECT count(*) that must see
//	         them (one pipeline, one implicit transaction, one server); a
//	         batch that fails with 23505 half-way leaves none of its rows.
//	ddl      4 pool connections hold a prepared SELECT * of a table; after a
//	         direct ALTER TABLE ADD COLUMN each may fail once with 0A000 (as
//	         PostgreSQL does), then must return the new column; a new
//	         connection's first execution after the ALTER must not fail.
//	copy     CopyFrom of 10,000 rows, read back in a transaction, CopyTo of
//	         the same rows; a CopyFrom that hits a duplicate key fails with
//	         23505 and the pool works afterwards.
//	cancel   a context timeout of 1 s on pg_sleep(30) returns within 3 s
//	         (pgx then closes that connection and sends a CancelRequest), the
//	         pool works afterwards, and no node still runs the sleep.
//	cancelrequest  PgConn.CancelRequest from another goroutine stops
//	         pg_sleep(30) inside a transaction with 57014; after ROLLBACK the
//	         same connection works.
//
// Environment: PGSTEER_PORT (pgsteer, 127.0.0.1), NODE_PORTS (the primary's
// port first, then the replicas', comma-separated), CLIENTS_MODE (label),
// CLIENTS_POOL (default 20), CLIENTS_ITERATIONS (default 1000),
// CLIENTS_NOTIFICATIONS (default 1000).
package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgconn"
	"github.com/jackc/pgx/v4"
	"github.com/jackc/pgx/v4/pgxpool"
)

const (
	table   = "clients_pgx"
	channel = "clients_pgx"
)

var (
	pgsteerPort   int
	nodePorts     []int
	mode          string
	poolSize      int
	iterations    int
	notifications int
	pool          *pgxpool.Pool
)

func env(name, dflt string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return dflt
}

func envInt(name string, dflt int) int {
	n, err := strconv.Atoi(env(name, strconv.Itoa(dflt)))
	if err != nil {
		fmt.Fprintf(os.Stderr, "pgxcheck: bad %s: %v\n", name, err)
		os.Exit(2)
	}
	return n
}

func dsn(port int, app string) string {
	return fmt.Sprintf("host=127.0.0.1 port=%d user=postgres dbname=postgres "+
		"application_name=%s connect_timeout=10", port, app)
}

// direct is a connection to one node, bypassing pgsteer.
func direct(ctx context.Context, port int) (*pgx.Conn, error) {
	return pgx.Connect(ctx, dsn(port, "pgxcheck-direct"))
}

// sqlstate is the SQLSTATE of a server error, or "".
func sqlstate(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

func oneLine(err error) string {
	s := err.Error()
	if st := sqlstate(err); st != "" {
		s = "[" + st + "] " + s
	}
	return strings.ReplaceAll(s, "\n", " ")
}

// ------------------------------------------------------------------- setup

// setup makes the table on the primary and waits until the replicas have
// replayed it.
func setup(ctx context.Context) error {
	c, err := direct(ctx, nodePorts[0])
	if err != nil {
		return err
	}
	defer c.Close(ctx)
	if _, err := c.Exec(ctx, "DROP TABLE IF EXISTS "+table); err != nil {
		return err
	}
	if _, err := c.Exec(ctx, "CREATE TABLE "+table+
		" (id bigint PRIMARY KEY, worker int NOT NULL, val text NOT NULL)"); err != nil {
		return err
	}
	var lsn string
	if err := c.QueryRow(ctx, "SELECT pg_current_wal_lsn()::text").Scan(&lsn); err != nil {
		return err
	}
	for _, port := range nodePorts[1:] {
		r, err := direct(ctx, port)
		if err != nil {
			return err
		}
		deadline := time.Now().Add(20 * time.Second)
		for {
			var ok bool
			if err := r.QueryRow(ctx, "SELECT pg_last_wal_replay_lsn() >= $1::text::pg_lsn", lsn).Scan(&ok); err != nil {
				r.Close(ctx)
				return err
			}
			if ok {
				break
			}
			if time.Now().After(deadline) {
				r.Close(ctx)
				return fmt.Errorf("replica on port %d has not replayed %s after 20 s", port, lsn)
			}
			time.Sleep(50 * time.Millisecond)
		}
		r.Close(ctx)
	}
	return nil
}

// -------------------------------------------------------------------- pool

type failures struct {
	mu     sync.Mutex
	byStep map[string]int
	first  []string
}

func (f *failures) add(step string, n int, what string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.byStep[step]++
	if len(f.first) < 8 {
		f.first = append(f.first, fmt.Sprintf("iteration %d, %s: %s", n, step, what))
	}
}

// iteration returns "" when correct, else the step that failed and how.
func iteration(ctx context.Context, n, w int) (string, string) {
	step := "1 parameterised SELECT"
	var sum int
	var txt string
	if err := pool.QueryRow(ctx, "SELECT $1::int + $2::int, $3::text || '-' || $4::text",
		n, w, fmt.Sprintf("it%d", n), fmt.Sprintf("w%d", w)).Scan(&sum, &txt); err != nil {
		return step, oneLine(err)
	}
	if want := fmt.Sprintf("it%d-w%d", n, w); sum != n+w || txt != want {
		return step, fmt.Sprintf("expected (%d, %s), got (%d, %s)", n+w, want, sum, txt)
	}

	step = "2 transaction INSERT + read back"
	val := fmt.Sprintf("%s-%d-w%d", mode, n, w)
	tx, err := pool.Begin(ctx)
	if err != nil {
		return step, "BEGIN: " + oneLine(err)
	}
	defer tx.Rollback(ctx) // a no-op once committed or rolled back
	tag, err := tx.Exec(ctx, "INSERT INTO "+table+" (id, worker, val) VALUES ($1, $2, $3)", n, w, val)
	if err != nil {
		return step, oneLine(err)
	}
	if tag.RowsAffected() != 1 {
		return step, fmt.Sprintf("INSERT reported %d rows", tag.RowsAffected())
	}
	var gotW int
	var gotVal string
	err = tx.QueryRow(ctx, "SELECT worker, val FROM "+table+" WHERE id = $1", n).Scan(&gotW, &gotVal)
	if errors.Is(err, pgx.ErrNoRows) {
		return step, "the row inserted in this transaction is not there"
	} else if err != nil {
		return step, oneLine(err)
	}
	if gotW != w || gotVal != val {
		return step, fmt.Sprintf("expected (%d, %s), got (%d, %s)", w, val, gotW, gotVal)
	}
	if err := tx.Commit(ctx); err != nil {
		return step, "COMMIT: " + oneLine(err)
	}

	step = "3 plain read"
	var cnt int64
	if err := pool.QueryRow(ctx, "SELECT count(*) FROM pg_catalog.pg_database "+
		"WHERE datname = current_database()").Scan(&cnt); err != nil {
		return step, oneLine(err)
	}
	if cnt != 1 {
		return step, fmt.Sprintf("expected 1, got %d", cnt)
	}

	step = "4 error in a transaction, ROLLBACK"
	tx, err = pool.Begin(ctx)
	if err != nil {
		return step, "BEGIN: " + oneLine(err)
	}
	defer tx.Rollback(ctx)
	_, err = tx.Exec(ctx, "INSERT INTO "+table+" (id, worker, val) VALUES ($1, $2, 'duplicate')", n, w)
	if err == nil {
		return step, "the duplicate INSERT succeeded"
	} else if sqlstate(err) != "23505" {
		return step, "expected 23505 from the duplicate INSERT, got " + oneLine(err)
	}
	var one int
	err = tx.QueryRow(ctx, "SELECT 1").Scan(&one)
	if err == nil {
		return step, "SELECT 1 after the error succeeded (expected 25P02: the transaction is aborted)"
	} else if sqlstate(err) != "25P02" {
		return step, "expected 25P02 after the error, got " + oneLine(err)
	}
	if err := tx.Rollback(ctx); err != nil {
		return step, "ROLLBACK: " + oneLine(err)
	}
	return "", ""
}

func poolCheck(ctx context.Context) (string, error) {
	var next, ok int64
	f := &failures{byStep: map[string]int{}}
	var wg sync.WaitGroup
	t0 := time.Now()
	for w := 1; w <= poolSize; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for {
				n := int(atomic.AddInt64(&next, 1) - 1)
				if n >= iterations || ctx.Err() != nil {
					return
				}
				if step, what := iteration(ctx, n, w); step == "" {
					atomic.AddInt64(&ok, 1)
				} else {
					f.add(step, n, what)
				}
			}
		}(w)
	}
	wg.Wait()
	secs := time.Since(t0).Seconds()
	var rows int64
	d, err := direct(ctx, nodePorts[0])
	if err != nil {
		return "", err
	}
	defer d.Close(ctx)
	if err := d.QueryRow(ctx, "SELECT count(*) FROM "+table+" WHERE id < $1", iterations).Scan(&rows); err != nil {
		return "", err
	}
	st := pool.Stat()
	summary := fmt.Sprintf("%d/%d iterations correct, pool of %d (%d opened), %.1f s, %d rows on the primary",
		ok, iterations, poolSize, st.TotalConns(), secs, rows)
	if int(ok) == iterations && int(rows) == iterations {
		return summary, nil
	}
	steps := make([]string, 0, len(f.byStep))
	for s, k := range f.byStep {
		steps = append(steps, fmt.Sprintf("%s=%d", s, k))
	}
	sort.Strings(steps)
	msg := summary + "; failures by step {" + strings.Join(steps, ", ") + "}"
	for _, e := range f.first {
		msg += "\n    " + e
	}
	return "", errors.New(msg)
}

// ------------------------------------------------------------------ notify

func notifyCheck(ctx context.Context) (string, error) {
	lc, err := pool.Acquire(ctx)
	if err != nil {
		return "", err
	}
	// LISTEN state stays with this connection; do not give it back to the pool
	defer func() { lc.Conn().Close(context.Background()); lc.Release() }()
	dc, err := direct(ctx, nodePorts[0])
	if err != nil {
		return "", err
	}
	defer dc.Close(context.Background())
	if _, err := lc.Exec(ctx, "LISTEN "+channel); err != nil {
		return "", err
	}
	conn := lc.Conn()
	insert := "INSERT INTO " + table + " (id, worker, val) VALUES ($1, 0, 'listener')"
	inserts := 0
	for ; inserts < 20; inserts++ { // warm up: the INSERT is prepared
		if _, err := conn.Exec(ctx, insert, 1000000+inserts); err != nil {
			return "", err
		}
	}

	var sent int64
	senderDone := make(chan error, 1)
	go func() {
		for i := 0; i < notifications; i++ {
			if _, err := dc.Exec(ctx, "SELECT pg_notify($1, $2)", channel, strconv.Itoa(i)); err != nil {
				senderDone <- err
				return
			}
			atomic.AddInt64(&sent, 1)
			if i%5 == 4 {
				time.Sleep(time.Millisecond) // bursts of 5: the listener is mid-INSERT
			}
		}
		senderDone <- nil
	}()

	seen := make([]bool, notifications)
	got, dups, foreign := 0, 0, 0
	var senderErr, listenerErr error
	senderRunning := true
	t0 := time.Now()
	lastProgress := t0
	deadline := t0.Add(40 * time.Second)
	for got < notifications && time.Now().Before(deadline) {
		if _, err := conn.Exec(ctx, insert, 1000000+inserts); err != nil {
			listenerErr = err
			break
		}
		inserts++
		if senderRunning {
			select {
			case senderErr = <-senderDone:
				senderRunning = false
			default:
			}
		}
		// take what has come; while the primary sends, do not wait for more
		wait := time.Millisecond
		if !senderRunning {
			wait = 100 * time.Millisecond
		}
		for {
			wctx, cancel := context.WithTimeout(ctx, wait)
			n, err := conn.WaitForNotification(wctx)
			cancel()
			if n != nil {
				k, perr := strconv.Atoi(n.Payload)
				switch {
				case n.Channel != channel || perr != nil || k < 0 || k >= notifications:
					foreign++
				case seen[k]:
					dups++
				default:
					seen[k] = true
					got++
					lastProgress = time.Now()
				}
			}
			if err != nil {
				if !pgconn.Timeout(err) && !errors.Is(err, context.DeadlineExceeded) {
					listenerErr = err
				}
				break
			}
			wait = time.Millisecond
		}
		if listenerErr != nil {
			break
		}
		// all sent and nothing new for 5 s: what is missing is lost
		if !senderRunning && time.Since(lastProgress) > 5*time.Second {
			break
		}
	}
	if senderRunning {
		select {
		case senderErr = <-senderDone:
		case <-time.After(10 * time.Second):
			senderErr = errors.New("still sending after the listener gave up")
		}
	}
	summary := fmt.Sprintf("%d/%d notifications arrived (%d sent by the primary), %d duplicates, "+
		"%d unexpected; the listener ran %d INSERTs, %.1f s", got, notifications,
		atomic.LoadInt64(&sent), dups, foreign, inserts, time.Since(t0).Seconds())
	if got == notifications && dups == 0 && foreign == 0 && listenerErr == nil && senderErr == nil {
		return summary, nil
	}
	msg := summary
	if listenerErr != nil {
		msg += "; listener error: " + oneLine(listenerErr)
	}
	if senderErr != nil {
		msg += "; sender error: " + oneLine(senderErr)
	}
	var missing []string
	for i, s := range seen {
		if !s {
			missing = append(missing, strconv.Itoa(i))
		}
	}
	if len(missing) > 0 {
		more := ""
		if len(missing) > 20 {
			missing, more = missing[:20], " ..."
		}
		msg += "; missing payloads [" + strings.Join(missing, ", ") + "]" + more
	}
	return "", errors.New(msg)
}

// notifyIdleCheck: a listener that sends nothing still gets what is sent to it.
func notifyIdleCheck(ctx context.Context) (string, error) {
	lc, err := pool.Acquire(ctx)
	if err != nil {
		return "", err
	}
	defer func() { lc.Conn().Close(context.Background()); lc.Release() }()
	dc, err := direct(ctx, nodePorts[0])
	if err != nil {
		return "", err
	}
	defer dc.Close(context.Background())
	if _, err := lc.Exec(ctx, "LISTEN "+channel+"_idle"); err != nil {
		return "", err
	}
	if _, err := lc.Exec(ctx, "INSERT INTO "+table+" (id, worker, val) VALUES ($1, 0, 'idle')", 3000000); err != nil {
		return "", err
	}
	time.Sleep(200 * time.Millisecond) // the listener is idle, its last reply read
	t0 := time.Now()
	if _, err := dc.Exec(ctx, "SELECT pg_notify($1, 'idle')", channel+"_idle"); err != nil {
		return "", err
	}
	wctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	n, err := lc.Conn().WaitForNotification(wctx) // reads, sends nothing
	secs := time.Since(t0).Seconds()
	if n != nil && n.Channel == channel+"_idle" && n.Payload == "idle" {
		return fmt.Sprintf("a notification sent while the listener was idle arrived after %.3f s, "+
			"the listener sending nothing", secs), nil
	}
	if n != nil {
		return "", fmt.Errorf("a notification sent while the listener was idle: got %s:%s, expected %s_idle:idle",
			n.Channel, n.Payload, channel)
	}
	return "", fmt.Errorf("a notification sent while the listener was idle did not arrive within 3 s "+
		"(the listener sent nothing meanwhile): %s", oneLine(err))
}

// ------------------------------------------------------------------- batch

// batchCheck: a pgx.Batch is one pipeline with one Sync, so one implicit
// transaction on one server: its last query must see its own INSERTs.
func batchCheck(ctx context.Context) (string, error) {
	const rows = 100
	const base = 4000000
	b := &pgx.Batch{}
	for i := 0; i < rows; i++ {
		b.Queue("INSERT INTO "+table+" (id, worker, val) VALUES ($1, 8, $2)", base+i, fmt.Sprintf("batch-%d", i))
	}
	b.Queue("SELECT count(*) FROM "+table+" WHERE id >= $1 AND id < $2", base, base+rows)
	br := pool.SendBatch(ctx, b)
	for i := 0; i < rows; i++ {
		tag, err := br.Exec()
		if err != nil {
			br.Close()
			return "", fmt.Errorf("INSERT %d of the batch: %s", i, oneLine(err))
		}
		if tag.RowsAffected() != 1 {
			br.Close()
			return "", fmt.Errorf("INSERT %d of the batch reported %d rows", i, tag.RowsAffected())
		}
	}
	var n int64
	if err := br.QueryRow().Scan(&n); err != nil {
		br.Close()
		return "", fmt.Errorf("the SELECT at the end of the batch: %s", oneLine(err))
	}
	if err := br.Close(); err != nil {
		return "", fmt.Errorf("closing the batch: %s", oneLine(err))
	}
	if n != rows {
		return "", fmt.Errorf("the SELECT count(*) at the end of the batch saw %d of the batch's %d rows "+
			"(it ran elsewhere than the INSERTs?)", n, rows)
	}
	// a batch that fails half-way: nothing of it stays (one implicit transaction)
	b = &pgx.Batch{}
	b.Queue("INSERT INTO "+table+" (id, worker, val) VALUES ($1, 8, 'batch-new')", base+rows)
	b.Queue("INSERT INTO "+table+" (id, worker, val) VALUES ($1, 8, 'batch-dup')", base)
	b.Queue("SELECT 1")
	br = pool.SendBatch(ctx, b)
	_, err1 := br.Exec()
	_, err2 := br.Exec()
	_, err3 := br.Exec()
	br.Close() // its error is err2's
	if err1 != nil || sqlstate(err2) != "23505" || err3 == nil {
		return "", fmt.Errorf("batch of INSERT, duplicate INSERT, SELECT 1: expected ok, 23505, an error; "+
			"got %v; %v; %v", err1, err2, err3)
	}
	var left int64
	tx, err := pool.Begin(ctx) // the primary: a replica may not have replayed the first batch yet
	if err != nil {
		return "", err
	}
	defer tx.Rollback(ctx)
	if err := tx.QueryRow(ctx, "SELECT count(*) FROM "+table+" WHERE id >= $1 AND id <= $2",
		base, base+rows).Scan(&left); err != nil {
		return "", err
	}
	if left != rows {
		return "", fmt.Errorf("after the failed batch the primary has %d rows of the batches, expected %d "+
			"(the failed batch's first INSERT must be rolled back with it)", left, rows)
	}
	return fmt.Sprintf("SendBatch of %d INSERTs + SELECT count(*) -> %d (one server, one implicit "+
		"transaction); a batch failing with 23505 left nothing behind", rows, n), nil
}

// --------------------------------------------------------------------- ddl

// ddlCheck: a column added while connections hold a prepared SELECT * of the
// table. As with PostgreSQL, each connection's next execution may fail once
// with 0A000 (cached plan must not change result type; pgx's statement
// cache then prepares it again), and the one after returns the new column.
func ddlCheck(ctx context.Context) (string, error) {
	const conns = 4
	t := table + "_ddl_" + mode
	d, err := direct(ctx, nodePorts[0])
	if err != nil {
		return "", err
	}
	defer d.Close(context.Background())
	for _, q := range []string{"DROP TABLE IF EXISTS " + t, "CREATE TABLE " + t + " (id int PRIMARY KEY, a text)",
		"INSERT INTO " + t + " VALUES (1, 'x')"} {
		if _, err := d.Exec(ctx, q); err != nil {
			return "", err
		}
	}
	var cs []*pgxpool.Conn
	defer func() {
		for _, c := range cs {
			c.Release()
		}
	}()
	for i := 0; i < conns; i++ {
		c, err := pool.Acquire(ctx)
		if err != nil {
			return "", err
		}
		cs = append(cs, c)
	}
	var log []string
	bad := ""
	for round := 0; round < 3; round++ {
		if round == 1 {
			if _, err := d.Exec(ctx, "ALTER TABLE "+t+" ADD COLUMN b int DEFAULT 7"); err != nil {
				return "", err
			}
			// a connection that never prepared it: PostgreSQL answers 3 columns at
			// once; pgsteer may answer its first execution from the statement other
			// connections share, which then fails once with 0A000 (doc/session-state.md)
			nc, err := pgx.Connect(ctx, dsn(pgsteerPort, "pgxcheck"))
			if err != nil {
				return "", err
			}
			got := ""
			for attempt := 0; attempt < 2; attempt++ {
				got = ""
				tx, err := nc.Begin(ctx)
				if err == nil {
					var rows pgx.Rows
					if rows, err = tx.Query(ctx, "SELECT * FROM "+t+" WHERE id = $1", 1); err == nil {
						for rows.Next() {
							got = fmt.Sprintf("%d columns", len(rows.FieldDescriptions()))
						}
						err = rows.Err()
						rows.Close()
					}
					tx.Rollback(ctx)
				}
				if err != nil {
					got = oneLine(err)
				}
				log = append(log, fmt.Sprintf("round 1 new conn, execution %d: %s", attempt+1, got))
				if attempt == 0 && strings.Contains(got, "0A000") {
					continue // at most once
				}
				break
			}
			nc.Close(ctx)
			if got != "3 columns" {
				bad = "after ALTER TABLE ADD COLUMN, a new connection: expected 3 columns " +
					"(after at most one 0A000), got " + got
			}
		}
		for i, c := range cs {
			got := ""
			tx, err := c.Begin(ctx) // on the primary, which has the new column at once
			if err != nil {
				return "", err
			}
			rows, err := tx.Query(ctx, "SELECT * FROM "+t+" WHERE id = $1", 1)
			if err == nil {
				for rows.Next() {
					got = fmt.Sprintf("%d columns", len(rows.FieldDescriptions()))
				}
				err = rows.Err()
				rows.Close()
			}
			if err != nil {
				got = oneLine(err)
			}
			tx.Rollback(ctx)
			log = append(log, fmt.Sprintf("round %d conn %d: %s", round, i, got))
			want := "2 columns"
			if round > 0 {
				want = "3 columns"
			}
			ok := got == want || (round == 1 && sqlstate(err) == "0A000") // PostgreSQL's own answer
			if !ok && bad == "" {
				when, also := "before", ""
				if round > 0 {
					when = "after"
				}
				if round == 1 {
					also = " or 0A000 once"
				}
				bad = fmt.Sprintf("round %d (%s ALTER TABLE ADD COLUMN), connection %d: expected %s%s, got %s",
					round, when, i, want, also, got)
			}
		}
	}
	if bad != "" {
		return "", errors.New(bad + "; each execution:\n    " + strings.Join(log, "\n    "))
	}
	return fmt.Sprintf("%d connections with SELECT * prepared: after ALTER TABLE ADD COLUMN at most one "+
		"0A000 each, then 3 columns", conns), nil
}

// -------------------------------------------------------------------- copy

func copyCheck(ctx context.Context) (string, error) {
	const rows = 10000
	const base = 2000000
	src := make([][]interface{}, rows)
	var expect bytes.Buffer
	for i := 0; i < rows; i++ {
		src[i] = []interface{}{int64(base + i), int32(7), fmt.Sprintf("copy-%d", i)}
		fmt.Fprintf(&expect, "%d\tcopy-%d\n", base+i, i)
	}
	n, err := pool.CopyFrom(ctx, pgx.Identifier{table}, []string{"id", "worker", "val"}, pgx.CopyFromRows(src))
	if err != nil {
		return "", fmt.Errorf("CopyFrom: %s", oneLine(err))
	}
	if n != rows {
		return "", fmt.Errorf("CopyFrom reported %d rows, expected %d", n, rows)
	}
	// in a transaction: the primary, which has the rows
	tx, err := pool.Begin(ctx)
	if err != nil {
		return "", err
	}
	defer tx.Rollback(ctx)
	var counted int64
	if err := tx.QueryRow(ctx, "SELECT count(*) FROM "+table+" WHERE id >= $1 AND id < $2",
		base, base+rows).Scan(&counted); err != nil {
		return "", err
	}
	if counted != rows {
		return "", fmt.Errorf("after CopyFrom of %d rows, SELECT count(*) in a transaction says %d", rows, counted)
	}
	var out bytes.Buffer
	tag, err := tx.Conn().PgConn().CopyTo(ctx, &out, fmt.Sprintf(
		"COPY (SELECT id, val FROM %s WHERE id >= %d AND id < %d ORDER BY id) TO STDOUT",
		table, base, base+rows))
	if err != nil {
		return "", fmt.Errorf("CopyTo: %s", oneLine(err))
	}
	if err := tx.Commit(ctx); err != nil {
		return "", err
	}
	if tag.RowsAffected() != rows || !bytes.Equal(out.Bytes(), expect.Bytes()) {
		return "", fmt.Errorf("CopyTo returned %d rows (%d bytes), expected %d rows (%d bytes) equal to "+
			"what was copied in", tag.RowsAffected(), out.Len(), rows, expect.Len())
	}
	// a COPY that fails on the server: a duplicate of the first row
	_, err = pool.CopyFrom(ctx, pgx.Identifier{table}, []string{"id", "worker", "val"},
		pgx.CopyFromRows([][]interface{}{{int64(base), int32(7), "again"}}))
	if err == nil {
		return "", errors.New("CopyFrom of a duplicate key succeeded")
	} else if sqlstate(err) != "23505" {
		return "", fmt.Errorf("CopyFrom of a duplicate key: expected 23505, got %s", oneLine(err))
	}
	var v int
	if err := pool.QueryRow(ctx, "SELECT $1::int + 1", 41).Scan(&v); err != nil || v != 42 {
		return "", fmt.Errorf("SELECT $1::int + 1 after the failed COPY: %v, %v", v, err)
	}
	return fmt.Sprintf("%d rows in (CopyFrom), counted, %d rows out (CopyTo) identical; "+
		"duplicate-key CopyFrom -> 23505, pool usable", rows, tag.RowsAffected()), nil
}

// ------------------------------------------------------------------ cancel

// stillRunning names the nodes on which a query containing mark still runs
// 5 s on ("" once cancelled everywhere).
func stillRunning(ctx context.Context, mark string) (string, error) {
	var sb strings.Builder
	deadline := time.Now().Add(5 * time.Second)
	for _, port := range nodePorts {
		d, err := direct(ctx, port)
		if err != nil {
			return "", err
		}
		for {
			var n int64
			if err := d.QueryRow(ctx, "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' "+
				"AND query LIKE '%' || $1 || '%' AND pid <> pg_backend_pid()", mark).Scan(&n); err != nil {
				d.Close(ctx)
				return "", err
			}
			if n == 0 {
				break
			}
			if time.Now().After(deadline) {
				fmt.Fprintf(&sb, " port %d: %d", port, n)
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		d.Close(ctx)
	}
	return sb.String(), nil
}

func cancelCheck(ctx context.Context) (string, error) {
	mark := "pgx_cancel_" + mode
	qctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	t0 := time.Now()
	_, err := pool.Exec(qctx, "SELECT pg_sleep($1), '"+mark+"'", 30)
	secs := time.Since(t0).Seconds()
	if err == nil {
		return "", fmt.Errorf("pg_sleep(30) with a 1 s context returned without error after %.1f s", secs)
	}
	if !pgconn.Timeout(err) && !errors.Is(err, context.DeadlineExceeded) {
		return "", fmt.Errorf("expected a context timeout, got %s after %.1f s", oneLine(err), secs)
	}
	if secs > 3 {
		return "", fmt.Errorf("the context timeout of 1 s returned after %.1f s", secs)
	}
	var v int
	if err := pool.QueryRow(ctx, "SELECT $1::int + 1", 41).Scan(&v); err != nil || v != 42 {
		return "", fmt.Errorf("the pool after the timeout: SELECT $1::int + 1 gave %v, %v", v, err)
	}
	running, err := stillRunning(ctx, mark)
	if err != nil {
		return "", err
	}
	if running != "" {
		return "", fmt.Errorf("the context timed out, but the sleep still runs on%s", running)
	}
	return fmt.Sprintf("1 s context on pg_sleep(30) -> context deadline at %.2f s; the pool works "+
		"afterwards; no node still sleeps", secs), nil
}

func cancelRequestCheck(ctx context.Context) (string, error) {
	mark := "pgx_cancelrequest_" + mode
	c, err := pool.Acquire(ctx)
	if err != nil {
		return "", err
	}
	defer c.Release()
	tx, err := c.Begin(ctx)
	if err != nil {
		return "", err
	}
	defer tx.Rollback(ctx)
	pg := c.Conn().PgConn()
	cancelErr := make(chan error, 1)
	timer := time.AfterFunc(500*time.Millisecond, func() {
		cctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		cancelErr <- pg.CancelRequest(cctx)
	})
	defer timer.Stop()
	t0 := time.Now()
	_, err = tx.Exec(ctx, "SELECT pg_sleep($1), '"+mark+"'", 30)
	secs := time.Since(t0).Seconds()
	if err == nil {
		return "", fmt.Errorf("pg_sleep(30) was not cancelled: it returned after %.1f s", secs)
	}
	if sqlstate(err) != "57014" {
		return "", fmt.Errorf("expected 57014 after CancelRequest, got %s after %.1f s", oneLine(err), secs)
	}
	if secs > 5 {
		return "", fmt.Errorf("57014 came %.1f s after the CancelRequest", secs-0.5)
	}
	select {
	case err := <-cancelErr:
		if err != nil {
			return "", fmt.Errorf("CancelRequest: %s", oneLine(err))
		}
	case <-time.After(5 * time.Second):
		return "", errors.New("CancelRequest did not return within 5 s after the cancel")
	}
	if err := tx.Rollback(ctx); err != nil {
		return "", fmt.Errorf("ROLLBACK after the cancel: %s", oneLine(err))
	}
	var v int
	if err := c.QueryRow(ctx, "SELECT $1::int + 1", 41).Scan(&v); err != nil || v != 42 {
		return "", fmt.Errorf("the same connection after the cancel: SELECT $1::int + 1 gave %v, %v", v, err)
	}
	running, err := stillRunning(ctx, mark)
	if err != nil {
		return "", err
	}
	if running != "" {
		return "", fmt.Errorf("57014 came back, but the sleep still runs on%s", running)
	}
	return fmt.Sprintf("CancelRequest after 0.5 s in a transaction -> 57014 at %.2f s; ROLLBACK; "+
		"the same connection works afterwards", secs), nil
}

// -------------------------------------------------------------------- main

var passed, failed int

func run(name string, timeout time.Duration, check func(context.Context) (string, error)) {
	label := "pgx/" + mode + " " + name
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	type result struct {
		detail string
		err    error
	}
	done := make(chan result, 1)
	go func() {
		d, err := check(ctx)
		done <- result{d, err}
	}()
	select {
	case r := <-done:
		if r.err != nil {
			fmt.Printf("FAIL %s: %s\n", label, r.err)
			failed++
		} else {
			fmt.Printf("PASS %s: %s\n", label, r.detail)
			passed++
		}
	case <-time.After(timeout + 5*time.Second):
		fmt.Printf("FAIL %s: no result after %.0f s (hung)\n", label, timeout.Seconds())
		failed++
	}
}

func main() {
	pgsteerPort = envInt("PGSTEER_PORT", 6432)
	for _, p := range strings.Split(env("NODE_PORTS", "5432"), ",") {
		n, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil {
			fmt.Fprintf(os.Stderr, "pgxcheck: bad NODE_PORTS: %v\n", err)
			os.Exit(2)
		}
		nodePorts = append(nodePorts, n)
	}
	mode = env("CLIENTS_MODE", "transaction")
	poolSize = envInt("CLIENTS_POOL", 20)
	iterations = envInt("CLIENTS_ITERATIONS", 1000)
	notifications = envInt("CLIENTS_NOTIFICATIONS", 1000)
	fmt.Printf("pgx/%s: pgx v4 (Debian golang-github-jackc-pgx-v4-dev), pgxpool, pgsteer port %d\n",
		mode, pgsteerPort)

	ctx := context.Background()
	sctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	err := setup(sctx)
	cancel()
	if err == nil {
		var cfg *pgxpool.Config
		cfg, err = pgxpool.ParseConfig(dsn(pgsteerPort, "pgxcheck"))
		if err == nil {
			cfg.MaxConns = int32(poolSize)
			pool, err = pgxpool.ConnectConfig(ctx, cfg)
		}
	}
	if err != nil {
		fmt.Printf("FAIL pgx/%s setup: %s\n", mode, oneLine(err))
		fmt.Printf("pgx/%s: 0 passed, 1 failed\n", mode)
		os.Exit(1)
	}
	run("pool", 150*time.Second, poolCheck)
	run("notify", 60*time.Second, notifyCheck)
	run("notify-idle", 20*time.Second, notifyIdleCheck)
	run("batch", 30*time.Second, batchCheck)
	run("ddl", 30*time.Second, ddlCheck)
	run("copy", 60*time.Second, copyCheck)
	run("cancel", 40*time.Second, cancelCheck)
	run("cancelrequest", 40*time.Second, cancelRequestCheck)
	fmt.Printf("pgx/%s: %d passed, %d failed\n", mode, passed, failed)
	if failed > 0 {
		os.Exit(1)
	}
}
