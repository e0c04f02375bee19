import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { StreamEnvironment } from '../../../../node/api/stream-environment.ts'
import { WatermarkStrategy } from '../../../../node/api/watermark-strategy.ts'
import { EventTimeSessionWindows, SlidingEventTimeWindows, TumblingEventTimeWindows, type WindowAssigner } from '../../../../node/api/windows.ts'
import type { DataStream } from '../../../../node/api/data-stream.ts'
import type { CollectedOutput } from '../../../../node/api/collect-sink.ts'
import { fileSource } from '../../../../connectors/files/index.ts'

/**
 * Streaming SQL windows against their DataStream twins: the same events (a JSON Lines
 * file, out of order by up to 4 s, watermark 5 s behind, with a few events minutes late)
 * read by the same connector, aggregated once by SQL and once by keyBy → window →
 * aggregate written by hand. Parallelism 1 keeps the watermark's progress (and so which
 * late events are dropped) the same in both.
 */

interface Event { id: number, k: string | null, v: number | null, ts: number }

const T0 = Date.UTC(2026, 0, 1)
const N = 6000

/** Events every 250 ms with up to 4 s of jitter, key 'c' absent from 300 s to 350 s, a 2-minute pause every 1000 events, and every 500th event from 2500 on 10 minutes late. */
function events (): { all: Event[], late: number } {
  const all: Event[] = []
  let late = 0
  let seed = 42
  const rand = (): number => { seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; return seed / 4294967296 }
  for (let i = 0; i < N; i++) {
    const keys = ['a', 'b', 'c', null]
    const drawn = keys[Math.floor(rand() * 4)]!
    // no 'c' for 50 s: its own sessions break there, sessions over all events do not
    const k = drawn === 'c' && i >= 1200 && i < 1400 ? 'a' : drawn
    const v = i % 13 === 0 ? null : Math.floor(rand() * 100)
    let ts = T0 + i * 250 + Math.floor(i / 1000) * 120_000 - Math.floor(rand() * 4000)
    if (i >= 2500 && i % 500 === 0) { ts -= 600_000; late++ }
    all.push({ id: i, k, v, ts })
  }
  return { all, late }
}

interface Acc { n: number, cv: number, s: number | null, mn: number | null, mx: number | null }
const twinAggregate = {
  createAccumulator: (): Acc => ({ n: 0, cv: 0, s: null, mn: null, mx: null }),
  add: (e: Event, a: Acc): Acc => e.v === null
    ? { ...a, n: a.n + 1 }
    : { n: a.n + 1, cv: a.cv + 1, s: (a.s ?? 0) + e.v, mn: a.mn === null ? e.v : Math.min(a.mn, e.v), mx: a.mx === null ? e.v : Math.max(a.mx, e.v) },
  getResult: (a: Acc): Acc => a,
  merge: (a: Acc, b: Acc): Acc => ({
    n: a.n + b.n,
    cv: a.cv + b.cv,
    s: a.s === null ? b.s : b.s === null ? a.s : a.s + b.s,
    mn: a.mn === null ? b.mn : b.mn === null ? a.mn : Math.min(a.mn, b.mn),
    mx: a.mx === null ? b.mx : b.mx === null ? a.mx : Math.max(a.mx, b.mx)
  })
}

const NULL_KEY = '∅'

function twin (env: StreamEnvironment, path: string, assigner: WindowAssigner, global: boolean): CollectedOutput<Record<string, unknown>> {
  const strategy = WatermarkStrategy.forBoundedOutOfOrderness<Event>(5000).withTimestampAssigner(e => e.ts)
  const events = env.fromSource(fileSource<Event>({ path, format: 'jsonl' }), strategy, 'twin')
  if (global) {
    // sessions over all events, then per key within each session
    return events.keyBy(() => 0).window(assigner).process<Record<string, unknown>>((_k, w, elements, out) => {
      const groups = new Map<string | null, Acc>()
      for (const e of elements) groups.set(e.k, twinAggregate.add(e, groups.get(e.k) ?? twinAggregate.createAccumulator()))
      for (const [k, a] of groups) out.collect({ window_start: w.start, window_end: w.end, k, ...a })
    }).collect()
  }
  return events
    .keyBy(e => e.k ?? NULL_KEY)
    .window(assigner)
    .aggregate(twinAggregate, (key, w, a) => ({ window_start: w.start, window_end: w.end, k: key === NULL_KEY ? null : key, n: a.n, cv: a.cv, s: a.s, mn: a.mn, mx: a.mx }))
    .collect()
}

/** Rows as sorted JSON, bigints as numbers. */
function canonical (rows: readonly Record<string, unknown>[]): string[] {
  return rows.map(r => JSON.stringify(Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v])))).sort()
}

const ddl = (path: string): string => `CREATE TABLE ev (id BIGINT, k VARCHAR, v INT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '5' SECOND)
  WITH ('connector' = 'files', 'path' = '${path}', 'format' = 'json');`

const AGGS = 'COUNT(*) AS n, COUNT(v) AS cv, SUM(v) AS s, MIN(v) AS mn, MAX(v) AS mx'

const cases: { name: string, sql: string, assigner: WindowAssigner, global?: boolean }[] = [
  {
    name: 'TUMBLE group window',
    sql: `SELECT TUMBLE_START(ts, INTERVAL '1' MINUTE) AS window_start, TUMBLE_END(ts, INTERVAL '1' MINUTE) AS window_end, k, ${AGGS} FROM ev GROUP BY TUMBLE(ts, INTERVAL '1' MINUTE), k`,
    assigner: TumblingEventTimeWindows.of(60_000)
  },
  {
    name: 'TUMBLE table function',
    sql: `SELECT window_start, window_end, k, ${AGGS} FROM TABLE(TUMBLE(TABLE ev, DESCRIPTOR(ts), INTERVAL '1' MINUTES)) GROUP BY window_start, window_end, k`,
    assigner: TumblingEventTimeWindows.of(60_000)
  },
  {
    name: 'HOP group window',
    sql: `SELECT HOP_START(ts, INTERVAL '20' SECOND, INTERVAL '1' MINUTE) AS window_start, HOP_END(ts, INTERVAL '20' SECOND, INTERVAL '1' MINUTE) AS window_end, k, ${AGGS}
      FROM ev GROUP BY k, HOP(ts, INTERVAL '20' SECOND, INTERVAL '1' MINUTE)`,
    assigner: SlidingEventTimeWindows.of(60_000, 20_000)
  },
  {
    name: 'HOP table function',
    sql: `SELECT window_start, window_end, k, ${AGGS} FROM TABLE(HOP(TABLE ev, DESCRIPTOR(ts), INTERVAL '20' SECONDS, INTERVAL '1' MINUTES)) GROUP BY window_start, k, window_end`,
    assigner: SlidingEventTimeWindows.of(60_000, 20_000)
  },
  {
    name: 'SESSION group window',
    sql: `SELECT SESSION_START(ts, INTERVAL '30' SECOND) AS window_start, SESSION_END(ts, INTERVAL '30' SECOND) AS window_end, k, ${AGGS} FROM ev GROUP BY SESSION(ts, INTERVAL '30' SECOND), k`,
    assigner: EventTimeSessionWindows.withGap(30_000)
  },
  {
    name: 'SESSION table function (sessions over all rows, as Flink without PARTITION BY)',
    sql: `SELECT window_start, window_end, k, ${AGGS} FROM TABLE(SESSION(TABLE ev, DESCRIPTOR(ts), INTERVAL '30' SECOND)) GROUP BY window_start, window_end, k`,
    assigner: EventTimeSessionWindows.withGap(30_000),
    global: true
  }
]

const test = suite('streaming SQL windows = their DataStream twins')
let dir = ''
let path = ''
const data = events()

test.before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sql-twins-'))
  path = join(dir, 'events.jsonl')
  await writeFile(path, data.all.map(e => JSON.stringify(e)).join('\n') + '\n')
})
test.after(async () => { await rm(dir, { recursive: true, force: true }) })

for (const c of cases) {
  test(`${c.name}: the same rows as the DataStream twin, late events dropped`, async () => {
    const env = StreamEnvironment.create({ parallelism: 1 })
    const sql = env.sql<DataStream<Record<string, unknown>>>(`${ddl(path)} ${c.sql}`).collect()
    const expected = twin(env, path, c.assigner, c.global === true)
    const perKey = c.global === true ? twin(env, path, c.assigner, false) : undefined
    await env.execute(c.name)
    if (perKey !== undefined) assert.not.equal(canonical(perKey.values), canonical(expected.values), 'the data tells sessions over all events from sessions per key')
    assert.ok(expected.values.length > 20, `windows: ${expected.values.length}`)
    assert.equal(canonical(sql.values), canonical(expected.values))
    // every event counted once per window it belongs to, except the late ones (dropped, as Flink drops them)
    const counted = sql.values.reduce((n, r) => n + Number(r.n), 0)
    const perEvent = c.assigner.kind === 'sliding' ? 3 : 1
    assert.is(counted, (N - data.late) * perEvent)
    assert.ok(sql.values.some(r => r.k === null), 'a NULL key group')
  })
}

test('late events are dropped: a window with a late event counts only the events in time', async () => {
  const env = StreamEnvironment.create({ parallelism: 1 })
  const sql = env.sql<DataStream<Record<string, unknown>>>(`${ddl(path)}
    SELECT window_start, COUNT(*) AS n FROM TABLE(TUMBLE(TABLE ev, DESCRIPTOR(ts), INTERVAL '1' MINUTES)) GROUP BY window_start, window_end`).collect()
  await env.execute('late')
  const inTime = new Map<number, number>()
  data.all.forEach((e, i) => {
    if (i >= 2500 && i % 500 === 0) return
    const start = e.ts - (e.ts % 60_000)
    inTime.set(start, (inTime.get(start) ?? 0) + 1)
  })
  const got = new Map(sql.values.map(r => [r.window_start as number, Number(r.n)]))
  assert.equal(got, inTime)
})

test.run()
