import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { StreamEnvironment } from '../../../../node/api/stream-environment.ts'
import { WatermarkStrategy } from '../../../../node/api/watermark-strategy.ts'
import { TumblingEventTimeWindows } from '../../../../node/api/windows.ts'
import { DataStream, DataStreamSink } from '../../../../node/api/data-stream.ts'
import { DataSet } from '../../../../node/api/data-set.ts'
import { datagen } from '../../../../connectors/datagen/index.ts'

const T0 = Date.UTC(2026, 0, 1)

const test = suite('streaming SQL: env.sql over connector tables')
let dir = ''
test.before(async () => { dir = await mkdtemp(join(tmpdir(), 'sql-stream-')) })
test.after(async () => { await rm(dir, { recursive: true, force: true }) })

/** The committed (visible) lines of a file sink's directory. */
async function committedLines (path: string): Promise<string[]> {
  const names = (await readdir(path)).filter(n => !n.startsWith('.') && !n.startsWith('_'))
  const lines: string[] = []
  for (const n of names) lines.push(...(await readFile(join(path, n), 'utf8')).split('\n').filter(l => l.length > 0))
  return lines
}

const CLICKS = (rows: number): string => `CREATE TABLE clicks (id BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts)
  WITH ('connector' = 'datagen', 'rows-per-second' = '1000000',
        'fields.id.kind' = 'sequence', 'fields.id.start' = '1', 'fields.id.end' = '${rows}',
        'fields.ts.kind' = 'sequence', 'fields.ts.start' = '${T0}', 'fields.ts.end' = '${T0 + 10_000_000}')`

test('WHERE and projections over a stream: a DataStream of the rows kept, computed', async () => {
  const path = join(dir, 'orders.jsonl')
  const orders = Array.from({ length: 500 }, (_, i) => ({ id: i, store: ['rome', 'oslo', null][i % 3], amount: i % 7 === 0 ? null : i * 1.5, ts: T0 + i * 1000 }))
  await writeFile(path, orders.map(o => JSON.stringify(o)).join('\n') + '\n')
  const env = StreamEnvironment.create({ parallelism: 2 })
  const out = env.sql(`CREATE TABLE orders (id INT, store STRING, amount DOUBLE, ts TIMESTAMP(3)) WITH ('connector' = 'files', 'path' = '${path}', 'format' = 'json');
    SELECT id, UPPER(store) AS store, amount * 2 AS doubled, ts FROM orders WHERE store IS NOT NULL AND (amount > 300 OR amount IS NULL)`)
  assert.ok(out instanceof DataStream, 'a DataStream')
  const got = (out as DataStream<Record<string, unknown>>).collect()
  await env.execute('filter')
  const expected = orders.filter(o => o.store !== null && (o.amount === null || o.amount > 300))
    .map(o => ({ id: o.id, store: o.store!.toUpperCase(), doubled: o.amount === null ? null : o.amount * 2, ts: o.ts }))
  assert.equal([...got.values].sort((a, b) => (a.id as number) - (b.id as number)), expected)
})

test('a datagen TUMBLE query equals its DataStream twin over the same generator', async () => {
  const env = StreamEnvironment.create({ parallelism: 2 })
  const sql = env.sql<DataStream<Record<string, unknown>>>(`${CLICKS(20_000)};
    SELECT window_start, window_end, COUNT(*) AS n, SUM(id) AS total, MAX(id) AS last FROM TABLE(TUMBLE(TABLE clicks, DESCRIPTOR(ts), INTERVAL '1' SECOND)) GROUP BY window_start, window_end`).collect()
  const strategy = WatermarkStrategy.forMonotonousTimestamps<{ id: bigint, ts: number }>().withTimestampAssigner(c => c.ts)
  const twin = env.fromSource(datagen({ count: 20_000, generate: i => ({ id: BigInt(i + 1), ts: T0 + i }), ratePerSec: 1_000_000 }), strategy, 'twin')
    .keyBy(() => 0)
    .window(TumblingEventTimeWindows.of(1000))
    .aggregate({
      createAccumulator: () => ({ n: 0n, total: 0n, last: 0n }),
      add: (c, a) => ({ n: a.n + 1n, total: a.total + c.id, last: c.id > a.last ? c.id : a.last }),
      getResult: a => a
    }, (_k, w, a) => ({ window_start: w.start, window_end: w.end, n: a.n, total: a.total, last: a.last }))
    .collect()
  await env.execute('twins')
  const sort = (rows: readonly Record<string, unknown>[]): Record<string, unknown>[] => [...rows].sort((a, b) => (a.window_start as number) - (b.window_start as number))
  assert.is(twin.values.length, 20)
  assert.equal(sort(sql.values), sort(twin.values))
})

test('env.sql with DDL and INSERT INTO: a checkpointed job writing windows to a files table once', async () => {
  const out = join(dir, 'per-second')
  const env = StreamEnvironment.create({ parallelism: 2 })
  env.enableCheckpointing(50)
  const sink = env.sql(`${CLICKS(5000)};
    CREATE TABLE per_second (window_start TIMESTAMP(3), clicks BIGINT, first_id BIGINT) WITH ('connector' = 'files', 'path' = '${out}', 'format' = 'json');
    INSERT INTO per_second SELECT TUMBLE_START(ts, INTERVAL '1' SECOND), COUNT(*), MIN(id) FROM clicks GROUP BY TUMBLE(ts, INTERVAL '1' SECOND)`)
  assert.ok(sink instanceof DataStreamSink, 'the INSERT gives the sink')
  await env.execute('insert')
  const rows = (await committedLines(out)).map(l => JSON.parse(l) as { window_start: number, clicks: number, first_id: number })
  rows.sort((a, b) => a.window_start - b.window_start)
  assert.equal(rows, Array.from({ length: 5 }, (_, w) => ({ window_start: T0 + w * 1000, clicks: 1000, first_id: w * 1000 + 1 })))
})

test('a query over datasets only still gives a DataSet', () => {
  const env = StreamEnvironment.create({ parallelism: 1 })
  const data = env.fromCollection([{ a: 1 }]).toDataSet()
  env.registerTable('t', data, { columns: [{ name: 'a', type: 'number' }] })
  assert.ok(env.sql('SELECT a + 1 AS b FROM t') instanceof DataSet)
})

function refuses (text: string, ...fragments: string[]): void {
  const env = StreamEnvironment.create({ parallelism: 1 })
  try {
    env.sql(`${CLICKS(10)}; ${text}`)
  } catch (err) {
    const message = (err as Error).message
    for (const f of fragments) assert.ok(message.includes(f), `'${f}' not in: ${message}`)
    return
  }
  assert.unreachable(`no error for ${text}`)
}

test('what a stream cannot do is refused with a reason', () => {
  refuses('SELECT id, COUNT(*) FROM clicks GROUP BY id', 'GROUP BY without a window over the streaming table clicks', 'TUMBLE, HOP or SESSION')
  refuses('SELECT COUNT(*) FROM clicks', 'GROUP BY without a window')
  refuses('SELECT id FROM clicks ORDER BY id', 'ORDER BY over a stream')
  refuses(`SELECT window_start, COUNT(*) FROM TABLE(TUMBLE(TABLE clicks, DESCRIPTOR(ts), INTERVAL '1' SECOND)) GROUP BY window_start`, 'must GROUP BY window_start and window_end')
  refuses(`SELECT * FROM TABLE(TUMBLE(TABLE clicks, DESCRIPTOR(ts), INTERVAL '1' SECOND))`, 'without GROUP BY window_start, window_end')
  refuses(`SELECT COUNT(*) FROM clicks GROUP BY TUMBLE(id, INTERVAL '1' SECOND)`, 'time column must be a TIMESTAMP')
  refuses(`SELECT COUNT(*) FROM clicks GROUP BY TUMBLE(ts, 5)`, 'must be an INTERVAL literal')
  refuses(`SELECT HOP_START(ts, INTERVAL '1' SECOND, INTERVAL '2' SECOND), COUNT(*) FROM clicks GROUP BY TUMBLE(ts, INTERVAL '1' SECOND)`, 'HOP_START needs GROUP BY HOP')
  refuses(`INSERT INTO clicks SELECT * FROM clicks`, "connector 'datagen') is a source")
  refuses(`INSERT INTO nowhere SELECT * FROM clicks`, "Unknown table 'nowhere'")
})

test('a window over a column that is not the event time is refused', () => {
  const env = StreamEnvironment.create({ parallelism: 1 })
  assert.throws(() => env.sql(`CREATE TABLE t (a TIMESTAMP(3), b TIMESTAMP(3), WATERMARK FOR a AS a) WITH ('connector' = 'datagen', 'number-of-rows' = '5');
    SELECT COUNT(*) FROM t GROUP BY TUMBLE(b, INTERVAL '1' SECOND)`), (err: Error) => err.message.includes("Window column 'b' is not an event-time attribute"))
})

test.run()
