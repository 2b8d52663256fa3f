// JdbcCheck: pgJDBC (42.5, Debian's libpostgresql-jdbc-java) through pgsteer,
// the way applications use it. Run by contrib/clients.sh, which compiles it
// with javac and starts it with the environment below; it prints one line
// per check, "PASS jdbc/MODE CHECK: detail" or "FAIL jdbc/MODE CHECK: detail",
// then "jdbc/MODE: N passed, N failed", and exits 1 if any check failed.
//
// Checks (each under its own deadline, so one hang does not hide the others):
//   pool      CLIENTS_POOL threads, each with its own Connection
//             (prepareThreshold=1: every statement is a named server-side
//             prepared statement from its first use), share
//             CLIENTS_ITERATIONS iterations; each iteration is a parameterised
//             SELECT, a transaction that INSERTs a row with a unique id and
//             reads it back, a plain read of that row after the COMMIT (it
//             may go to a replica: read-your-writes must show it), and a
//             duplicate-key error inside a transaction (then 25P02 for the
//             next statement) and ROLLBACK. Every iteration must be correct.
//   notify    a connection through pgsteer LISTENs and keeps INSERTing while
//             a direct connection to the primary sends CLIENTS_NOTIFICATIONS
//             pg_notify(); every payload must arrive once
//             (PGConnection.getNotifications(timeout)).
//   notify-idle  a pg_notify sent while a listener through pgsteer sends
//             nothing reaches it within 3 s (getNotifications(timeout) only
//             reads).
//   batch     500 INSERTs by executeBatch() (pipelined, one Sync per 100)
//             in a transaction, seen before COMMIT; a batch with a duplicate
//             key fails with 23505 and ROLLBACK leaves none of its rows.
//   ddl       4 connections hold a prepared SELECT * of a table; after a
//             direct ALTER TABLE ADD COLUMN each may fail once with 0A000
//             (as PostgreSQL does), then must return the new column; a new
//             connection's first execution after the ALTER must not fail.
//   copy      CopyManager.copyIn of 10,000 rows, read back in a transaction,
//             copyOut of the same rows; a copyIn that hits a duplicate key
//             fails with 23505 and the connection works afterwards.
//   cancel    Statement.cancel() from another thread stops pg_sleep(30)
//             with 57014 within 5 s; the connection works afterwards.
//   timeout   setQueryTimeout(1) inside a transaction does the same; after
//             ROLLBACK the connection works; no node still runs the sleeps.
//
// Environment: PGSTEER_PORT (pgsteer, 127.0.0.1), NODE_PORTS (the primary's
// port first, then the replicas', comma-separated: direct connections for
// setup, NOTIFY and the server-side checks), CLIENTS_MODE (label:
// transaction or session), CLIENTS_POOL (default 20), CLIENTS_ITERATIONS
// (default 1000), CLIENTS_NOTIFICATIONS (default 1000).

import java.io.StringReader;
import java.io.StringWriter;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.postgresql.copy.CopyManager;

public class JdbcCheck {
    static final String TABLE = "clients_jdbc";
    static final String CHANNEL = "clients_jdbc";

    static int pgsteerPort;
    static int[] nodePorts;
    static String mode;
    static int poolSize;
    static int iterations;
    static int notifications;
    static int passed;
    static int failed;

    /** A check that did not hold; the message says what was expected and what came. */
    static final class CheckFailed extends Exception {
        private static final long serialVersionUID = 1L;

        CheckFailed(String msg) {
            super(msg);
        }
    }

    interface Check {
        String run() throws Exception;
    }

    static String env(String name, String dflt) {
        String v = System.getenv(name);
        return v == null || v.isEmpty() ? dflt : v;
    }

    /** Through pgsteer: every statement a named server-side prepared statement. */
    static Connection viaPgsteer() throws SQLException {
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + pgsteerPort
                + "/postgres?user=postgres&prepareThreshold=1&connectTimeout=10"
                + "&socketTimeout=60&ApplicationName=jdbccheck");
    }

    static Connection direct(int port) throws SQLException {
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port
                + "/postgres?user=postgres&connectTimeout=10&socketTimeout=60"
                + "&ApplicationName=jdbccheck-direct");
    }

    static long scalarLong(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    static String state(SQLException e) {
        return e.getSQLState() == null ? "(no SQLSTATE)" : e.getSQLState();
    }

    static String oneLine(Throwable e) {
        String m = e.getClass().getSimpleName() + ": " + e.getMessage();
        if (e instanceof SQLException && ((SQLException) e).getSQLState() != null) {
            m = "[" + ((SQLException) e).getSQLState() + "] " + m;
        }
        return m.replace('\n', ' ');
    }

    // ------------------------------------------------------------------ setup

    /** The table on the primary, and replayed on the replicas before anything runs. */
    static void setup() throws Exception {
        String lsn;
        try (Connection c = direct(nodePorts[0]); Statement s = c.createStatement()) {
            s.execute("DROP TABLE IF EXISTS " + TABLE);
            s.execute("CREATE TABLE " + TABLE
                    + " (id bigint PRIMARY KEY, worker int NOT NULL, val text NOT NULL)");
            try (ResultSet rs = s.executeQuery("SELECT pg_current_wal_lsn()::text")) {
                rs.next();
                lsn = rs.getString(1);
            }
        }
        for (int i = 1; i < nodePorts.length; i++) {
            try (Connection c = direct(nodePorts[i])) {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                while (scalarLong(c, "SELECT (pg_last_wal_replay_lsn() >= '" + lsn + "')::int") == 0) {
                    if (System.nanoTime() > deadline) {
                        throw new CheckFailed("replica on port " + nodePorts[i]
                                + " has not replayed " + lsn + " after 20 s");
                    }
                    Thread.sleep(50);
                }
            }
        }
    }

    // ------------------------------------------------------------------- pool

    static final Map<String, AtomicInteger> stepFailures = new ConcurrentHashMap<>();
    static final ConcurrentLinkedQueue<String> firstErrors = new ConcurrentLinkedQueue<>();
    static final AtomicInteger errorCount = new AtomicInteger();

    static void iterationFailed(String step, int n, String what) {
        stepFailures.computeIfAbsent(step, k -> new AtomicInteger()).incrementAndGet();
        if (errorCount.getAndIncrement() < 8) {
            firstErrors.add("iteration " + n + ", " + step + ": " + what);
        }
    }

    /** One worker's prepared statements, on its own connection. */
    static final class Worker {
        final int w;
        Connection c;
        PreparedStatement calc, ins, sel, probe;

        Worker(int w) {
            this.w = w;
        }

        void open() throws SQLException {
            c = viaPgsteer();
            calc = c.prepareStatement("SELECT ?::int + ?::int, ?::text || '-' || ?::text");
            ins = c.prepareStatement("INSERT INTO " + TABLE + " (id, worker, val) VALUES (?, ?, ?)");
            sel = c.prepareStatement("SELECT worker, val FROM " + TABLE + " WHERE id = ?");
            probe = c.prepareStatement("SELECT 1");
        }

        void close() {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (SQLException e) {
                // already broken
            }
            c = null;
        }

        /** One iteration; returns null when correct, else "step: what". */
        String iteration(int n) throws SQLException {
            String step = "1 parameterised SELECT";
            try {
                calc.setInt(1, n);
                calc.setInt(2, w);
                calc.setString(3, "it" + n);
                calc.setString(4, "w" + w);
                try (ResultSet rs = calc.executeQuery()) {
                    if (!rs.next()) {
                        return step + ": no row";
                    }
                    int sum = rs.getInt(1);
                    String txt = rs.getString(2);
                    if (sum != n + w || !("it" + n + "-w" + w).equals(txt)) {
                        return step + ": expected (" + (n + w) + ", it" + n + "-w" + w
                                + "), got (" + sum + ", " + txt + ")";
                    }
                }

                step = "2 transaction INSERT + read back";
                String val = mode + "-" + n + "-w" + w;
                c.setAutoCommit(false);
                ins.setLong(1, n);
                ins.setInt(2, w);
                ins.setString(3, val);
                int rows = ins.executeUpdate();
                if (rows != 1) {
                    return step + ": INSERT reported " + rows + " rows";
                }
                sel.setLong(1, n);
                try (ResultSet rs = sel.executeQuery()) {
                    if (!rs.next()) {
                        return step + ": the row inserted in this transaction is not there";
                    }
                    if (rs.getInt(1) != w || !val.equals(rs.getString(2))) {
                        return step + ": expected (" + w + ", " + val + "), got (" + rs.getInt(1)
                                + ", " + rs.getString(2) + ")";
                    }
                }
                c.commit();
                c.setAutoCommit(true);

                // outside a transaction a read may go to a replica; read-your-writes
                // (read_your_writes = lsn) must still show this session its row
                step = "3 plain read of the committed row";
                try (ResultSet rs = sel.executeQuery()) {
                    if (!rs.next()) {
                        return step + ": the row committed by this connection is not there";
                    }
                    if (rs.getInt(1) != w || !val.equals(rs.getString(2))) {
                        return step + ": expected (" + w + ", " + val + "), got (" + rs.getInt(1)
                                + ", " + rs.getString(2) + ")";
                    }
                }

                step = "4 error in a transaction, ROLLBACK";
                c.setAutoCommit(false);
                ins.setLong(1, n); // the id committed above: a duplicate key
                ins.setInt(2, w);
                ins.setString(3, "duplicate");
                try {
                    ins.executeUpdate();
                    return step + ": the duplicate INSERT succeeded";
                } catch (SQLException e) {
                    if (!"23505".equals(e.getSQLState())) {
                        return step + ": expected 23505 from the duplicate INSERT, got " + oneLine(e);
                    }
                }
                try {
                    probe.executeQuery().close();
                    return step + ": SELECT 1 after the error succeeded (expected 25P02: the"
                            + " transaction is aborted)";
                } catch (SQLException e) {
                    if (!"25P02".equals(e.getSQLState())) {
                        return step + ": expected 25P02 after the error, got " + oneLine(e);
                    }
                }
                c.rollback();
                c.setAutoCommit(true);
                return null;
            } catch (SQLException e) {
                return step + ": " + oneLine(e);
            }
        }

        /** After a failed iteration: leave no transaction open; reconnect if broken. */
        boolean recover() {
            try {
                if (!c.getAutoCommit()) {
                    c.rollback();
                    c.setAutoCommit(true);
                }
                if (c.isValid(5)) {
                    return true;
                }
            } catch (SQLException e) {
                // fall through: reconnect
            }
            close();
            return false;
        }
    }

    static String poolCheck() throws Exception {
        AtomicInteger next = new AtomicInteger();
        AtomicInteger ok = new AtomicInteger();
        AtomicInteger reconnects = new AtomicInteger();
        List<Thread> threads = new ArrayList<>();
        long t0 = System.nanoTime();
        for (int i = 0; i < poolSize; i++) {
            final int w = i + 1;
            Thread t = new Thread(() -> {
                Worker wk = new Worker(w);
                int n;
                while ((n = next.getAndIncrement()) < iterations) {
                    try {
                        if (wk.c == null) {
                            wk.open();
                        }
                        String bad = wk.iteration(n);
                        if (bad == null) {
                            ok.incrementAndGet();
                            continue;
                        }
                        iterationFailed(bad.substring(0, bad.indexOf(':')), n, bad);
                    } catch (SQLException e) {
                        iterationFailed("connect", n, oneLine(e));
                    }
                    if (wk.c != null && !wk.recover()) {
                        reconnects.incrementAndGet();
                    }
                }
                wk.close();
            }, "pool-" + w);
            t.setDaemon(true);
            t.start();
            threads.add(t);
        }
        for (Thread t : threads) {
            t.join();
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        long rows;
        try (Connection d = direct(nodePorts[0])) {
            rows = scalarLong(d, "SELECT count(*) FROM " + TABLE + " WHERE id < " + iterations);
        }
        String summary = String.format("%d/%d iterations correct, %d connections, %.1f s, "
                + "%d rows on the primary", ok.get(), iterations, poolSize, secs, rows);
        if (ok.get() == iterations && rows == iterations) {
            return summary;
        }
        StringBuilder sb = new StringBuilder(summary);
        sb.append("; failures by step ").append(new java.util.TreeMap<>(stepFailures));
        if (reconnects.get() > 0) {
            sb.append("; ").append(reconnects.get()).append(" reconnects after a broken connection");
        }
        for (String e : firstErrors) {
            sb.append("\n    ").append(e);
        }
        throw new CheckFailed(sb.toString());
    }

    // ----------------------------------------------------------------- notify

    static String notifyCheck() throws Exception {
        try (Connection lc = viaPgsteer(); Connection dc = direct(nodePorts[0])) {
            try (Statement s = lc.createStatement()) {
                s.execute("LISTEN " + CHANNEL);
            }
            PGConnection pg = lc.unwrap(PGConnection.class);
            boolean[] seen = new boolean[notifications];
            int got = 0, dups = 0, foreign = 0, inserts = 0;
            AtomicInteger sent = new AtomicInteger();
            String[] senderError = new String[1];
            Thread sender = new Thread(() -> {
                try (PreparedStatement ps = dc.prepareStatement("SELECT pg_notify(?, ?)")) {
                    for (int i = 0; i < notifications; i++) {
                        ps.setString(1, CHANNEL);
                        ps.setString(2, Integer.toString(i));
                        ps.executeQuery().close();
                        sent.incrementAndGet();
                        if (i % 5 == 4) {
                            Thread.sleep(1); // bursts of 5: the listener is mid-INSERT
                        }
                    }
                } catch (SQLException | InterruptedException e) {
                    senderError[0] = oneLine(e);
                }
            }, "notify-sender");
            sender.setDaemon(true);
            String listenerError = null;
            long t0 = System.nanoTime();
            long lastProgress = t0;
            long deadline = t0 + TimeUnit.SECONDS.toNanos(40);
            try (PreparedStatement ins = lc.prepareStatement(
                    "INSERT INTO " + TABLE + " (id, worker, val) VALUES (?, 0, 'listener')")) {
                for (; inserts < 20; inserts++) { // warm up: prepared, JIT-compiled
                    ins.setLong(1, 1_000_000L + inserts);
                    ins.executeUpdate();
                }
                sender.start();
                while (got < notifications && System.nanoTime() < deadline) {
                    ins.setLong(1, 1_000_000L + inserts);
                    ins.executeUpdate();
                    inserts++;
                    // while the primary sends, INSERT back to back and take what
                    // has come with each reply; after, wait up to 100 ms a time
                    PGNotification[] ns = pg.getNotifications(sender.isAlive() ? -1 : 100);
                    if (ns != null) {
                        for (PGNotification n : ns) {
                            int k = -1;
                            try {
                                k = Integer.parseInt(n.getParameter());
                            } catch (NumberFormatException e) {
                                // counted below
                            }
                            if (!CHANNEL.equals(n.getName()) || k < 0 || k >= notifications) {
                                foreign++;
                            } else if (seen[k]) {
                                dups++;
                            } else {
                                seen[k] = true;
                                got++;
                                lastProgress = System.nanoTime();
                            }
                        }
                    }
                    // all sent and nothing new for 5 s: what is missing is lost
                    if (!sender.isAlive() && System.nanoTime() - lastProgress > TimeUnit.SECONDS.toNanos(5)) {
                        break;
                    }
                }
            } catch (SQLException e) {
                listenerError = oneLine(e);
            }
            sender.join(TimeUnit.SECONDS.toMillis(10));
            double secs = (System.nanoTime() - t0) / 1e9;
            String summary = String.format("%d/%d notifications arrived (%d sent by the primary), "
                    + "%d duplicates, %d unexpected; the listener ran %d INSERTs, %.1f s",
                    got, notifications, sent.get(), dups, foreign, inserts, secs);
            if (got == notifications && dups == 0 && foreign == 0 && listenerError == null
                    && senderError[0] == null) {
                return summary;
            }
            StringBuilder sb = new StringBuilder(summary);
            if (listenerError != null) {
                sb.append("; listener error: ").append(listenerError);
            }
            if (senderError[0] != null) {
                sb.append("; sender error: ").append(senderError[0]);
            }
            List<Integer> missing = new ArrayList<>();
            for (int i = 0; i < notifications; i++) {
                if (!seen[i]) {
                    missing.add(i);
                }
            }
            if (!missing.isEmpty()) {
                sb.append("; missing payloads ").append(missing.subList(0, Math.min(20, missing.size())))
                        .append(missing.size() > 20 ? " ..." : "");
            }
            throw new CheckFailed(sb.toString());
        }
    }

    /** A listener that sends nothing still gets what is sent to it. */
    static String notifyIdleCheck() throws Exception {
        try (Connection lc = viaPgsteer(); Connection dc = direct(nodePorts[0])) {
            try (Statement s = lc.createStatement()) {
                s.execute("LISTEN " + CHANNEL + "_idle");
                s.execute("INSERT INTO " + TABLE + " (id, worker, val) VALUES (3000000, 0, 'idle')");
            }
            PGConnection pg = lc.unwrap(PGConnection.class);
            Thread.sleep(200); // the listener is idle, its last reply read
            long t0 = System.nanoTime();
            try (Statement s = dc.createStatement()) {
                s.execute("SELECT pg_notify('" + CHANNEL + "_idle', 'idle')");
            }
            List<String> got = new ArrayList<>();
            long deadline = t0 + TimeUnit.SECONDS.toNanos(3);
            while (got.isEmpty() && System.nanoTime() < deadline) {
                int left = (int) Math.max(1, (deadline - System.nanoTime()) / 1_000_000);
                PGNotification[] ns = pg.getNotifications(left); // reads, sends nothing
                if (ns != null) {
                    for (PGNotification n : ns) {
                        got.add(n.getName() + ":" + n.getParameter());
                    }
                }
            }
            double secs = (System.nanoTime() - t0) / 1e9;
            if (got.equals(List.of(CHANNEL + "_idle:idle"))) {
                return String.format("a notification sent while the listener was idle arrived after %.3f s,"
                        + " the listener sending nothing", secs);
            }
            throw new CheckFailed(String.format("a notification sent while the listener was idle: got %s"
                    + " within 3 s (the listener sent nothing meanwhile; expected [%s_idle:idle])", got, CHANNEL));
        }
    }

    // ------------------------------------------------------------------ batch

    /** executeBatch: the driver pipelines the INSERTs (Parse/Bind/Execute each, one Sync). */
    static String batchCheck() throws Exception {
        final int rows = 500;
        final long base = 4_000_000L;
        try (Connection c = viaPgsteer()) {
            c.setAutoCommit(false);
            try (PreparedStatement ps = c.prepareStatement(
                    "INSERT INTO " + TABLE + " (id, worker, val) VALUES (?, 8, ?)")) {
                for (int i = 0; i < rows; i++) {
                    ps.setLong(1, base + i);
                    ps.setString(2, "batch-" + i);
                    ps.addBatch();
                    if (i % 100 == 99) {
                        int[] counts = ps.executeBatch();
                        for (int k : counts) {
                            if (k != 1 && k != Statement.SUCCESS_NO_INFO) {
                                throw new CheckFailed("executeBatch reported " + k + " rows for an INSERT");
                            }
                        }
                        if (counts.length != 100) {
                            throw new CheckFailed("executeBatch of 100 returned " + counts.length + " counts");
                        }
                    }
                }
            }
            long inTx = scalarLong(c, "SELECT count(*) FROM " + TABLE + " WHERE id >= " + base
                    + " AND id < " + (base + rows));
            c.commit();
            if (inTx != rows) {
                throw new CheckFailed("in the batches' transaction SELECT count(*) saw " + inTx + " of " + rows);
            }
            // a batch with a duplicate key in the middle, inside a transaction
            try (PreparedStatement ps = c.prepareStatement(
                    "INSERT INTO " + TABLE + " (id, worker, val) VALUES (?, 8, 'again')")) {
                ps.setLong(1, base + rows);
                ps.addBatch();
                ps.setLong(1, base);
                ps.addBatch();
                ps.setLong(1, base + rows + 1);
                ps.addBatch();
                try {
                    ps.executeBatch();
                    throw new CheckFailed("a batch with a duplicate key succeeded");
                } catch (java.sql.BatchUpdateException e) {
                    SQLException next = e.getNextException() != null ? e.getNextException() : e;
                    if (!"23505".equals(e.getSQLState()) && !"23505".equals(next.getSQLState())) {
                        throw new CheckFailed("a batch with a duplicate key: expected 23505, got " + oneLine(next));
                    }
                }
            }
            c.rollback();
            long after = scalarLong(c, "SELECT count(*) FROM " + TABLE + " WHERE id >= " + base
                    + " AND id <= " + (base + rows + 1));
            c.commit();
            c.setAutoCommit(true);
            if (after != rows) {
                throw new CheckFailed("after the failed batch and ROLLBACK, " + after + " rows of the batches"
                        + " (expected " + rows + ")");
            }
            return rows + " INSERTs in 5 executeBatch() calls in one transaction, all seen before COMMIT;"
                    + " a batch failing with 23505, rolled back, left nothing behind";
        }
    }

    // -------------------------------------------------------------------- ddl

    /**
     * A column added while connections hold a prepared SELECT * of the table:
     * as with PostgreSQL, each connection's next execution may fail once with
     * 0A000 (cached plan must not change result type; pgJDBC then prepares it
     * again), and the one after returns the new column.
     */
    static String ddlCheck() throws Exception {
        final int conns = 4;
        final String t = TABLE + "_ddl_" + mode;
        try (Connection d = direct(nodePorts[0]); Statement s = d.createStatement()) {
            s.execute("DROP TABLE IF EXISTS " + t);
            s.execute("CREATE TABLE " + t + " (id int PRIMARY KEY, a text)");
            s.execute("INSERT INTO " + t + " VALUES (1, 'x')");
        }
        List<Connection> cs = new ArrayList<>();
        List<PreparedStatement> ps = new ArrayList<>();
        try {
            for (int i = 0; i < conns; i++) {
                Connection c = viaPgsteer();
                cs.add(c);
                c.setAutoCommit(false); // on the primary, which has the new column at once
                ps.add(c.prepareStatement("SELECT * FROM " + t + " WHERE id = ?"));
            }
            List<String> log = new ArrayList<>();
            String bad = null;
            for (int round = 0; round < 3; round++) {
                if (round == 1) {
                    try (Connection d = direct(nodePorts[0]); Statement s = d.createStatement()) {
                        s.execute("ALTER TABLE " + t + " ADD COLUMN b int DEFAULT 7");
                    }
                    // a connection that never prepared it: PostgreSQL answers 3 columns at
                    // once; pgsteer may answer its first execution from the statement other
                    // connections share, which then fails once with 0A000 (doc/session-state.md)
                    try (Connection c = viaPgsteer();
                            PreparedStatement p = c.prepareStatement("SELECT * FROM " + t + " WHERE id = ?")) {
                        c.setAutoCommit(false);
                        String got = "";
                        for (int attempt = 0; attempt < 2; attempt++) {
                            try {
                                p.setInt(1, 1);
                                try (ResultSet rs = p.executeQuery()) {
                                    rs.next();
                                    got = rs.getMetaData().getColumnCount() + " columns";
                                }
                                c.commit();
                            } catch (SQLException e) {
                                got = state(e) + " " + e.getMessage().replace('\n', ' ');
                                c.rollback();
                            }
                            log.add("round 1 new conn, execution " + (attempt + 1) + ": " + got);
                            if (!(attempt == 0 && got.startsWith("0A000 "))) {
                                break; // at most one 0A000
                            }
                        }
                        if (!got.equals("3 columns")) {
                            bad = "after ALTER TABLE ADD COLUMN, a new connection: expected 3 columns"
                                    + " (after at most one 0A000), got " + got;
                        }
                    }
                }
                for (int i = 0; i < conns; i++) {
                    String got;
                    try {
                        ps.get(i).setInt(1, 1);
                        try (ResultSet rs = ps.get(i).executeQuery()) {
                            rs.next();
                            got = rs.getMetaData().getColumnCount() + " columns";
                        }
                        cs.get(i).commit();
                    } catch (SQLException e) {
                        got = state(e) + " " + e.getMessage().replace('\n', ' ');
                        cs.get(i).rollback();
                    }
                    log.add("round " + round + " conn " + i + ": " + got);
                    String want = round == 0 ? "2 columns" : "3 columns";
                    boolean ok = got.equals(want)
                            || (round == 1 && got.startsWith("0A000 ")); // PostgreSQL's own answer
                    if (!ok && bad == null) {
                        bad = "round " + round + " (" + (round == 0 ? "before" : "after")
                                + " ALTER TABLE ADD COLUMN), connection " + i + ": expected " + want
                                + (round == 1 ? " or 0A000 once" : "") + ", got " + got;
                    }
                }
            }
            if (bad != null) {
                throw new CheckFailed(bad + "; each execution:\n    " + String.join("\n    ", log));
            }
            return conns + " connections with SELECT * prepared: after ALTER TABLE ADD COLUMN at most one 0A000"
                    + " each, then 3 columns";
        } finally {
            for (Connection c : cs) {
                c.close();
            }
        }
    }

    // ------------------------------------------------------------------- copy

    static String copyCheck() throws Exception {
        final int rows = 10_000;
        final long base = 2_000_000L;
        StringBuilder in = new StringBuilder();
        StringBuilder expectOut = new StringBuilder();
        for (int i = 0; i < rows; i++) {
            in.append(base + i).append("\t7\tcopy-").append(i).append('\n');
            expectOut.append(base + i).append("\tcopy-").append(i).append('\n');
        }
        try (Connection c = viaPgsteer()) {
            CopyManager cm = c.unwrap(PGConnection.class).getCopyAPI();
            long n = cm.copyIn("COPY " + TABLE + " (id, worker, val) FROM STDIN", new StringReader(in.toString()));
            if (n != rows) {
                throw new CheckFailed("copyIn reported " + n + " rows, expected " + rows);
            }
            c.setAutoCommit(false); // a transaction: the primary, which has the rows
            long counted = scalarLong(c, "SELECT count(*) FROM " + TABLE + " WHERE id >= " + base
                    + " AND id < " + (base + rows));
            if (counted != rows) {
                throw new CheckFailed("after copyIn of " + rows + " rows, SELECT count(*) in a"
                        + " transaction says " + counted);
            }
            StringWriter out = new StringWriter();
            long m = cm.copyOut("COPY (SELECT id, val FROM " + TABLE + " WHERE id >= " + base
                    + " AND id < " + (base + rows) + " ORDER BY id) TO STDOUT", out);
            c.commit();
            c.setAutoCommit(true);
            if (m != rows || !out.toString().equals(expectOut.toString())) {
                throw new CheckFailed("copyOut returned " + m + " rows (" + out.toString().length()
                        + " chars), expected " + rows + " rows (" + expectOut.length()
                        + " chars) equal to what was copied in");
            }
            // a COPY that fails on the server: a duplicate of the first row
            try {
                cm.copyIn("COPY " + TABLE + " (id, worker, val) FROM STDIN",
                        new StringReader(base + "\t7\tagain\n"));
                throw new CheckFailed("copyIn of a duplicate key succeeded");
            } catch (SQLException e) {
                if (!"23505".equals(e.getSQLState())) {
                    throw new CheckFailed("copyIn of a duplicate key: expected 23505, got " + oneLine(e));
                }
            }
            if (scalarLong(c, "SELECT 41 + 1") != 42) {
                throw new CheckFailed("SELECT 41 + 1 after the failed COPY did not return 42");
            }
            return rows + " rows in (copyIn), counted, " + m
                    + " rows out (copyOut) identical; duplicate-key copyIn -> 23505, connection usable";
        }
    }

    // ----------------------------------------------------------------- cancel

    static final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "timer");
        t.setDaemon(true);
        return t;
    });

    /** Nodes on which a query containing MARK still runs (none, once cancelled). */
    static String stillRunning(String mark) throws Exception {
        StringBuilder sb = new StringBuilder();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        for (int port : nodePorts) {
            try (Connection d = direct(port)) {
                while (true) {
                    long n = scalarLong(d, "SELECT count(*) FROM pg_stat_activity WHERE state = 'active'"
                            + " AND query LIKE '%" + mark + "%' AND pid <> pg_backend_pid()");
                    if (n == 0) {
                        break;
                    }
                    if (System.nanoTime() > deadline) {
                        sb.append(" port ").append(port).append(": ").append(n);
                        break;
                    }
                    Thread.sleep(50);
                }
            }
        }
        return sb.toString();
    }

    static String cancelCheck() throws Exception {
        String mark = "jdbc_cancel_" + mode;
        try (Connection c = viaPgsteer(); Statement s = c.createStatement()) {
            timer.schedule(() -> {
                try {
                    s.cancel();
                } catch (SQLException e) {
                    System.err.println("jdbc: Statement.cancel() failed: " + oneLine(e));
                }
            }, 500, TimeUnit.MILLISECONDS);
            long t0 = System.nanoTime();
            try {
                s.execute("SELECT pg_sleep(30), '" + mark + "'");
                throw new CheckFailed("pg_sleep(30) was not cancelled: it returned after "
                        + (System.nanoTime() - t0) / 1_000_000 + " ms");
            } catch (SQLException e) {
                double secs = (System.nanoTime() - t0) / 1e9;
                if (!"57014".equals(e.getSQLState())) {
                    throw new CheckFailed(String.format("expected 57014 after Statement.cancel(), got %s"
                            + " after %.1f s", oneLine(e), secs));
                }
                if (secs > 5) {
                    throw new CheckFailed(String.format("57014 came %.1f s after the cancel", secs - 0.5));
                }
            }
            double secs = (System.nanoTime() - t0) / 1e9;
            if (scalarLong(c, "SELECT 41 + 1") != 42) {
                throw new CheckFailed("SELECT 41 + 1 after the cancel did not return 42");
            }
            String running = stillRunning(mark);
            if (!running.isEmpty()) {
                throw new CheckFailed("57014 came back, but the sleep still runs on" + running);
            }
            return String.format("Statement.cancel() after 0.5 s -> 57014 at %.2f s; the connection"
                    + " works afterwards", secs);
        }
    }

    static String timeoutCheck() throws Exception {
        String mark = "jdbc_timeout_" + mode;
        try (Connection c = viaPgsteer(); Statement s = c.createStatement()) {
            c.setAutoCommit(false);
            s.setQueryTimeout(1);
            long t0 = System.nanoTime();
            try {
                s.execute("SELECT pg_sleep(30), '" + mark + "'");
                throw new CheckFailed("pg_sleep(30) with setQueryTimeout(1) was not cancelled");
            } catch (SQLException e) {
                double secs = (System.nanoTime() - t0) / 1e9;
                if (!"57014".equals(e.getSQLState())) {
                    throw new CheckFailed(String.format("expected 57014 after setQueryTimeout(1), got %s"
                            + " after %.1f s", oneLine(e), secs));
                }
                if (secs > 6) {
                    throw new CheckFailed(String.format("57014 came after %.1f s, timeout 1 s", secs));
                }
            }
            double secs = (System.nanoTime() - t0) / 1e9;
            s.setQueryTimeout(0);
            c.rollback();
            c.setAutoCommit(true);
            if (scalarLong(c, "SELECT 41 + 1") != 42) {
                throw new CheckFailed("SELECT 41 + 1 after the timeout and ROLLBACK did not return 42");
            }
            String running = stillRunning(mark);
            if (!running.isEmpty()) {
                throw new CheckFailed("57014 came back, but the sleep still runs on" + running);
            }
            return String.format("setQueryTimeout(1) in a transaction -> 57014 at %.2f s; ROLLBACK;"
                    + " the connection works afterwards", secs);
        }
    }

    // ------------------------------------------------------------------- main

    static void run(ExecutorService ex, String name, int timeoutSeconds, Check check) {
        String label = "jdbc/" + mode + " " + name;
        Future<String> f = ex.submit(check::run);
        try {
            String detail = f.get(timeoutSeconds, TimeUnit.SECONDS);
            System.out.println("PASS " + label + ": " + detail);
            passed++;
        } catch (TimeoutException e) {
            f.cancel(true);
            System.out.println("FAIL " + label + ": no result after " + timeoutSeconds + " s (hung)");
            failed++;
        } catch (Exception e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            String msg = cause instanceof CheckFailed ? cause.getMessage() : oneLine(cause);
            System.out.println("FAIL " + label + ": " + msg);
            failed++;
        }
        System.out.flush();
    }

    public static void main(String[] args) throws Exception {
        pgsteerPort = Integer.parseInt(env("PGSTEER_PORT", "6432"));
        String[] ports = env("NODE_PORTS", "5432").split(",");
        nodePorts = new int[ports.length];
        for (int i = 0; i < ports.length; i++) {
            nodePorts[i] = Integer.parseInt(ports[i].trim());
        }
        mode = env("CLIENTS_MODE", "transaction");
        poolSize = Integer.parseInt(env("CLIENTS_POOL", "20"));
        iterations = Integer.parseInt(env("CLIENTS_ITERATIONS", "1000"));
        notifications = Integer.parseInt(env("CLIENTS_NOTIFICATIONS", "1000"));
        System.out.println("jdbc/" + mode + ": pgJDBC " + org.postgresql.util.DriverInfo.DRIVER_VERSION
                + ", Java " + System.getProperty("java.version") + ", pgsteer port " + pgsteerPort);

        try {
            setup();
        } catch (Exception e) {
            System.out.println("FAIL jdbc/" + mode + " setup: " + oneLine(e));
            System.out.println("jdbc/" + mode + ": 0 passed, 1 failed");
            System.exit(1);
        }
        ExecutorService ex = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "check");
            t.setDaemon(true);
            return t;
        });
        run(ex, "pool", 150, JdbcCheck::poolCheck);
        run(ex, "notify", 60, JdbcCheck::notifyCheck);
        run(ex, "notify-idle", 20, JdbcCheck::notifyIdleCheck);
        run(ex, "batch", 30, JdbcCheck::batchCheck);
        run(ex, "ddl", 30, JdbcCheck::ddlCheck);
        run(ex, "copy", 60, JdbcCheck::copyCheck);
        run(ex, "cancel", 40, JdbcCheck::cancelCheck);
        run(ex, "timeout", 40, JdbcCheck::timeoutCheck);
        System.out.println("jdbc/" + mode + ": " + passed + " passed, " + failed + " failed");
        System.exit(failed == 0 ? 0 : 1);
    }
}
