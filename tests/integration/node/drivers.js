'use strict'
// node-postgres through pgsteer, as its users use it. Run by
// tests/integration/test_drivers.py, which holds the expectations:
//
//   node drivers.js scenario '{"port": P, "nodePorts": [..], "poolSize": 20,
//        "iterations": 200, "stallMs": 20000, "idleNotifyMs": 3000}'
//   node drivers.js notify-load '{"port": P, "primaryPort": Q, "count": 1000,
//        "deadlineMs": 30000, "graceMs": 1000, "idleNotifyMs": 3000}'
//
// Each prints one line of JSON saying what happened (results, errors,
// timings); nothing here decides pass or fail. Every wait has a deadline,
// and the script ends itself with process.exit().
const pg = require('pg')

class TimeoutError extends Error {}

function config (port, extra) {
  return Object.assign({
    host: '127.0.0.1',
    port,
    user: 'postgres',
    database: 'postgres',
    connectionTimeoutMillis: 10000
  }, extra || {})
}

function withTimeout (promise, ms, what) {
  let timer
  const expiry = new Promise((resolve, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(what + ' timed out after ' + ms + 'ms')), ms)
  })
  return Promise.race([promise, expiry]).finally(() => clearTimeout(timer))
}

function describe (e) {
  const name = (e && e.constructor && e.constructor.name) || 'Error'
  const msg = String((e && e.message) || e).split('\n')[0]
  return name + (e && e.code ? ' [' + e.code + ']' : '') + ': ' + msg
}

function check (cond, what, got) {
  if (!cond) throw new Error('wrong result: ' + what + ', got ' + JSON.stringify(got))
}

async function expectError (promise, code, what) {
  try {
    await promise
  } catch (e) {
    if (e.code === code) return
    throw e
  }
  throw new Error(what + ': expected SQLSTATE ' + code + ', got no error')
}

// Polls COND (sync or async) every 50 ms until true or MS have passed.
async function poll (cond, ms) {
  const end = Date.now() + ms
  for (;;) {
    if (await cond()) return true
    if (Date.now() > end) return false
    await new Promise(resolve => setTimeout(resolve, 50))
  }
}

// One use of a pooled client: named prepared statements, unnamed extended
// and simple queries, a transaction that inserts its row and reads it back,
// a read after the commit (read-your-writes), errors inside transactions
// followed by ROLLBACK.
async function iteration (client, i) {
  let r = await client.query({ name: 'drv_double', text: 'SELECT $1::int * 2 + $2::int AS v', values: [i, 1] })
  check(r.rows.length === 1 && r.rows[0].v === 2 * i + 1, 'drv_double(' + i + ')', r.rows)
  r = await client.query({ name: 'drv_pair', text: "SELECT $1::bigint + 1 AS a, $2::text || 'x' AS b", values: [i, 'p' + i] })
  check(r.rows.length === 1 && r.rows[0].a === String(i + 1) && r.rows[0].b === 'p' + i + 'x', 'drv_pair(' + i + ')', r.rows)

  await client.query('BEGIN')
  await client.query({ name: 'drv_insert', text: 'INSERT INTO drv_rows (id, who, n) VALUES ($1, $2, $3)', values: [i, 'node', i] })
  r = await client.query({ name: 'drv_get', text: 'SELECT n, who FROM drv_rows WHERE id = $1', values: [i] })
  check(r.rows.length === 1 && r.rows[0].n === i && r.rows[0].who === 'node', 'row ' + i + ' inside its transaction', r.rows)
  await client.query('COMMIT')

  r = await client.query('SELECT who FROM drv_rows WHERE id = $1', [i])
  check(r.rows.length === 1 && r.rows[0].who === 'node', 'row ' + i + ' after the commit (unnamed)', r.rows)
  r = await client.query('SELECT count(*)::int AS c FROM drv_rows WHERE id = ' + i)
  check(r.rows[0].c === 1, 'row ' + i + ' after the commit (simple query)', r.rows)

  await client.query('BEGIN')
  await expectError(client.query({ name: 'drv_insert', text: 'INSERT INTO drv_rows (id, who, n) VALUES ($1, $2, $3)', values: [i, 'dup', -1] }),
    '23505', 'duplicate key')
  await expectError(client.query('SELECT 1'), '25P02', 'a statement in a failed transaction')
  await client.query('ROLLBACK')
  await client.query('BEGIN')
  await expectError(client.query({ name: 'drv_div', text: 'SELECT 1 / $1::int', values: [0] }), '22012', '1 / 0')
  await client.query('ROLLBACK')
  r = await client.query({ name: 'drv_count', text: 'SELECT count(*)::int AS c FROM drv_rows WHERE id = $1', values: [i] })
  check(r.rows[0].c === 1, 'row ' + i + ' after the rollbacks', r.rows)
}

async function poolIterations (c) {
  // connectionTimeoutMillis also bounds the wait for a client of the pool
  const pool = new pg.Pool(config(c.port, { max: c.poolSize, connectionTimeoutMillis: c.stallMs }))
  pool.on('error', () => {}) // an idle client's connection closed: the pool drops it
  let next = 0
  let stuck = 0
  const ok = []
  const failures = []
  async function worker () {
    while (next < c.iterations) {
      const i = next++
      let client = null
      try {
        client = await pool.connect()
        await withTimeout(iteration(client, i), c.stallMs, 'iteration')
        client.release()
        client = null
        ok.push(i)
      } catch (e) {
        failures.push({ i, error: describe(e) })
        if (client) client.release(e) // a client in an unknown state is closed, not reused
        if (e instanceof TimeoutError || /timeout/i.test(String(e.message))) {
          stuck++
          return // the pool is stuck: more tries would wait as long again
        }
      }
    }
  }
  const workers = []
  for (let k = 0; k < c.poolSize; k++) workers.push(worker())
  await Promise.all(workers)
  return { pool, result: { ok, failures, stuck } }
}

// LISTEN on a pg.Client through pgsteer; a pooled client sends NOTIFY and
// pg_notify(); the listener stays idle, its 'notification' events count.
async function listen (c, pool) {
  const listener = new pg.Client(config(c.port))
  listener.on('error', () => {})
  const received = []
  try {
    await listener.connect()
    listener.on('notification', m => { if (m.channel === 'drv_chan') received.push(m.payload) })
    await listener.query('LISTEN drv_chan')
    const sender = await pool.connect()
    try {
      for (let k = 0; k < 5; k++) {
        if (k % 2) await sender.query("NOTIFY drv_chan, 'm" + k + "'")
        else await sender.query({ name: 'drv_notify', text: 'SELECT pg_notify($1, $2)', values: ['drv_chan', 'm' + k] })
      }
    } finally {
      sender.release()
    }
    await poll(() => received.length >= 5, c.idleNotifyMs)
    return { received, error: null }
  } catch (e) {
    return { received, error: describe(e) }
  } finally {
    listener.end().catch(() => {})
  }
}

async function sleepingOn (ports, marker) {
  let n = 0
  for (const port of ports) {
    const d = new pg.Client(config(port))
    await d.connect()
    try {
      const r = await d.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE state = 'active' " +
        'AND query LIKE $1 AND pid <> pg_backend_pid()', ['%' + marker + '%'])
      n += r.rows[0].n
    } finally {
      await d.end()
    }
  }
  return n
}

// Cancel: node-postgres has no documented cancel of a running query, but
// Client#cancel(client, query) sends a CancelRequest with the backend key
// of CLIENT (pgsteer's, here) over a new connection, as libpq's PQcancel.
// query_timeout only gives up on the client side (the server keeps
// running), so the other server-side way is the statement_timeout option
// (a startup parameter that pgsteer must carry to every server the client
// uses).
async function cancel (c) {
  const marker = 'drv_cancel_node'
  const client = new pg.Client(config(c.port))
  client.on('error', () => {})
  const out = { error: null, code: null, elapsedMs: null, after: null }
  try {
    await client.connect()
    const q = new pg.Query('SELECT pg_sleep(10) /* ' + marker + ' */')
    const done = new Promise(resolve => {
      q.on('error', e => resolve(e))
      q.on('end', () => resolve(null))
    })
    client.query(q)
    if (!await poll(async () => (await sleepingOn(c.nodePorts, marker)) === 1, 10000)) {
      throw new Error('pg_sleep(10) never showed up as active on a node')
    }
    const t0 = Date.now()
    const canceller = new pg.Client(config(c.port))
    canceller.connection.on('error', () => {})
    canceller.cancel(client, q)
    const err = await withTimeout(done, 15000, 'the cancelled pg_sleep(10)')
    out.elapsedMs = Date.now() - t0
    out.code = err ? err.code : 'completed without error'
    const r = await withTimeout(client.query('SELECT $1::int AS v', [42]), 10000, 'the statement after the cancel')
    out.after = r.rows[0].v
  } catch (e) {
    out.error = describe(e)
  } finally {
    client.end().catch(() => {})
  }
  return out
}

async function statementTimeout (c) {
  const client = new pg.Client(config(c.port, { statement_timeout: 300 }))
  client.on('error', () => {})
  const out = { error: null, code: null, elapsedMs: null, setting: null, after: null }
  try {
    await client.connect()
    const t0 = Date.now()
    try {
      await withTimeout(client.query('SELECT pg_sleep(10) /* drv_cancel_node_st */'), 15000, 'pg_sleep(10)')
      out.code = 'completed without error'
    } catch (e) {
      if (e instanceof TimeoutError) throw e
      out.code = e.code || describe(e)
    }
    out.elapsedMs = Date.now() - t0
    out.setting = (await client.query('SHOW statement_timeout')).rows[0].statement_timeout
    out.after = (await client.query({ name: 'drv_after', text: 'SELECT $1::int AS v', values: [42] })).rows[0].v
  } catch (e) {
    out.error = describe(e)
  } finally {
    client.end().catch(() => {})
  }
  return out
}

async function scenario (c) {
  const { pool, result } = await poolIterations(c)
  const summary = { iterations: result }
  summary.listen = await listen(c, pool)
  summary.cancel = await cancel(c)
  summary.statementTimeout = await statementTimeout(c)
  await withTimeout(pool.end(), 10000, 'pool.end()').catch(() => {})
  return summary
}

// A pg.Client through pgsteer LISTENs and INSERTs in a loop while a
// pg.Client on the primary sends COUNT pg_notify(); then one more
// notification while the listener is idle.
async function notifyLoad (c) {
  const listener = new pg.Client(config(c.port))
  const direct = new pg.Client(config(c.primaryPort))
  listener.on('error', () => {})
  direct.on('error', () => {})
  const received = []
  const out = { received, inserts: 0, idleReceived: false, error: null }
  try {
    await listener.connect()
    await direct.connect()
    listener.on('notification', m => { if (m.channel === 'drv_load') received.push(m.payload) })
    await listener.query('LISTEN drv_load')
    let senderDone = false
    const sending = (async () => {
      for (let i = 0; i < c.count; i++) {
        await direct.query({ name: 'drv_send', text: 'SELECT pg_notify($1, $2)', values: ['drv_load', String(i)] })
      }
    })().finally(() => { senderDone = true })
    sending.catch(() => {})
    // Write until all are in; or the sender is done and nothing new has
    // arrived for graceMs while writing (what is missing then is lost); or
    // the deadline.
    const deadline = Date.now() + c.deadlineMs
    let seen = -1
    let since = null
    for (;;) {
      const now = Date.now()
      if (received.length >= c.count || now > deadline) break
      if (senderDone) {
        if (received.length !== seen) {
          seen = received.length
          since = now
        }
        if (now - since > c.graceMs) break
      }
      out.inserts++
      await withTimeout(listener.query({
        name: 'drv_listener_insert',
        text: "INSERT INTO drv_rows (id, who, n) VALUES ($1, 'listener', $2)",
        values: [out.inserts, out.inserts]
      }), 20000, 'an INSERT of the listener')
    }
    await withTimeout(sending, c.deadlineMs, 'sending the notifications')
    out.received = received.slice()
    await direct.query("SELECT pg_notify('drv_load', 'idle')")
    out.idleReceived = await poll(() => received.includes('idle'), c.idleNotifyMs)
  } catch (e) {
    out.error = describe(e)
  } finally {
    listener.end().catch(() => {})
    direct.end().catch(() => {})
  }
  return out
}

async function main () {
  const [command, cfg] = process.argv.slice(2)
  const c = JSON.parse(cfg || '{}')
  let summary
  if (command === 'scenario') summary = await scenario(c)
  else if (command === 'notify-load') summary = await notifyLoad(c)
  else throw new Error('usage: node drivers.js scenario|notify-load JSON')
  process.stdout.write(JSON.stringify(summary) + '\n', () => process.exit(0))
}

main().catch(e => {
  process.stderr.write((e && e.stack) || String(e))
  process.stderr.write('\n', () => process.exit(2))
})
