import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { SqlSession } from '../../../../node/sql/sql-session.ts'
import type { SqlResult } from '../../../../node/sql/sql-result.ts'

const T0 = Date.UTC(2026, 0, 1)

const test = suite('SqlSession: connector tables, continuous queries, streaming INSERT')
let dir = ''
let session: SqlSession

test.before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sql-session-stream-'))
  session = await SqlSession.open({ dataDir: join(dir, 'data'), parallelism: 2 })
})
test.after(async () => {
  await session.close()
  await rm(dir, { recursive: true, force: true })
})

function stream (r: SqlResult): Extract<SqlResult, { kind: 'stream' }> {
  if (r.kind !== 'stream') throw new Error(`expected a stream result, got ${r.kind}`)
  return r
}

test('CREATE TABLE … WITH declares a table of the session (SHOW TABLES, DESCRIBE)', async () => {
  const r = await session.execute(`CREATE TABLE clicks (id BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
    WITH ('connector' = 'datagen', 'rows-per-second' = '1000000', 'fields.id.kind' = 'sequence', 'fields.id.start' = '1', 'fields.id.end' = '3000',
          'fields.ts.kind' = 'sequence', 'fields.ts.start' = '${T0}', 'fields.ts.end' = '${T0 + 1_000_000}')`)
  assert.is(r.kind, 'status')
  const shown = await session.execute('SHOW TABLES')
  assert.ok(shown.kind === 'rows' && shown.rows.some(x => x[0] === 'clicks'))
  const described = await session.execute('DESCRIBE clicks')
  assert.ok(described.kind === 'rows')
  assert.equal(described.rows.map(x => [x[0], x[1]]), [['id', 'BIGINT'], ['ts', 'TIMESTAMP']])
})

test('a continuous query streams its windows as they fire and ends with a bounded source', async () => {
  const r = stream(await session.execute(`SELECT window_start, COUNT(*) AS n, SUM(id) AS s FROM TABLE(TUMBLE(TABLE clicks, DESCRIPTOR(ts), INTERVAL '1' SECOND)) GROUP BY window_start, window_end`))
  assert.equal(r.columns.map(c => c.name), ['window_start', 'n', 's'])
  const rows: unknown[][] = []
  for await (const batch of r.batches) rows.push(...batch)
  rows.sort((a, b) => (a[0] as number) - (b[0] as number))
  assert.equal(rows, [0, 1, 2].map(w => [T0 + w * 1000, 1000n, BigInt((w * 1000 + 1 + w * 1000 + 1000) * 500)]))
})

test('stopping to read a continuous query over an unbounded table cancels its job', async () => {
  await session.execute(`CREATE TABLE ticks (n BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts) WITH ('connector' = 'datagen', 'rows-per-second' = '2000',
    'fields.n.min' = '1', 'fields.n.max' = '1')`)
  const r = stream(await session.execute(`SELECT TUMBLE_END(ts, INTERVAL '100' MILLISECOND) AS t, SUM(n) AS total FROM ticks GROUP BY TUMBLE(ts, INTERVAL '100' MILLISECOND)`))
  let seen = 0
  for await (const batch of r.batches) {
    for (const row of batch) assert.is(row[1], 100n)
    seen += batch.length
    if (seen >= 3) break
  }
  assert.ok(seen >= 3)
  // the session goes on: the next statement runs
  const again = await session.execute('SELECT 1 AS one')
  assert.ok(again.kind === 'rows' && again.rows[0]![0] === 1)
})

test('INSERT INTO a files table runs a detached, checkpointed job whose committed output is every window once', async () => {
  const out = join(dir, 'per-second')
  await session.execute(`CREATE TABLE per_second (window_start TIMESTAMP(3), clicks BIGINT) WITH ('connector' = 'files', 'path' = '${out}', 'format' = 'csv')`)
  const r = await session.execute(`INSERT INTO per_second SELECT TUMBLE_START(ts, INTERVAL '1' SECOND), COUNT(*) FROM clicks GROUP BY TUMBLE(ts, INTERVAL '1' SECOND)`)
  assert.ok(r.kind === 'status' && /^Job \S+ inserts into per_second/.test(r.message), r.kind === 'status' ? r.message : r.kind)
  const expected = [0, 1, 2].map(w => `${T0 + w * 1000},1000`).join('\n')
  let lines: string[] = []
  for (let i = 0; i < 600; i++) {
    const names = await readdir(out).catch(() => [] as string[])
    lines = []
    for (const n of names.filter(x => !x.startsWith('.'))) lines.push(...(await readFile(join(out, n), 'utf8')).split('\n').filter(l => l.length > 0))
    if (lines.length >= 3) break
    await sleep(100)
  }
  assert.is(lines.sort().join('\n'), expected)
})

test('dataset tables: a dataset read as a stream with event time, windows appended to another dataset', async () => {
  await session.execute(`CREATE TABLE sales AS SELECT CAST(col0 AS BIGINT) AS id, col1 AS store, col2 AS ts FROM (VALUES
    (1, 'a', TIMESTAMP '2026-01-01 00:00:00.500'), (2, 'b', TIMESTAMP '2026-01-01 00:00:01.200'), (3, 'a', TIMESTAMP '2026-01-01 00:00:00.900')) AS v`)
  await session.execute(`CREATE TABLE history (id BIGINT, store STRING, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND) WITH ('connector' = 'dataset', 'name' = 'sales')`)
  const windows = `SELECT window_start, store, COUNT(*) AS n FROM TABLE(TUMBLE(TABLE history, DESCRIPTOR(ts), INTERVAL '1' SECOND)) GROUP BY window_start, window_end, store`
  const r = stream(await session.execute(windows))
  const rows: unknown[][] = []
  for await (const batch of r.batches) rows.push(...batch)
  const expected = [[T0, 'a', 2n], [T0 + 1000, 'b', 1n]]
  assert.equal(rows.sort((a, b) => (a[0] as number) - (b[0] as number)), expected)
  const explained = await session.execute(`EXPLAIN ${windows}`)
  assert.ok(explained.kind === 'explain' && explained.text.includes('WindowAggregate') && explained.text.includes('window-aggregate'), explained.kind === 'explain' ? explained.text : explained.kind)
  await session.execute(`CREATE TABLE to_dataset (window_start TIMESTAMP(3), store STRING, n BIGINT) WITH ('connector' = 'dataset', 'name' = 'per_second_ds')`)
  const inserted = await session.execute(`INSERT INTO to_dataset ${windows}`)
  assert.is(inserted.kind, 'status')
  let got: unknown[][] = []
  for (let i = 0; i < 600 && got.length < 2; i++) {
    const shown = await session.execute('SHOW TABLES')
    if (shown.kind === 'rows' && shown.rows.some(x => x[0] === 'per_second_ds')) {
      const q = await session.execute('SELECT window_start, store, n FROM per_second_ds ORDER BY window_start')
      if (q.kind === 'rows') got = q.rows.map(x => [...x])
    }
    if (got.length < 2) await sleep(100)
  }
  assert.equal(got, expected)
})

test.run()
