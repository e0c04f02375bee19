/**
 * The local pipeline of local-pipeline.ts against another checkout of meshflow, in one run:
 * `node test/bench/local-compare.ts ../meshflow-previous` runs the same job (N events ->
 * filter -> keyBy -> tumbling window count, parallelism 1, warmed up) through this tree's
 * and the other tree's `StreamEnvironment.execute`, alternating three times, each against
 * a plain-JS baseline measured just before it. Prints one JSON line per tree and round; a
 * change keeps the local data plane's speed when its ratios match the other tree's.
 */
import { spawnSync } from 'node:child_process'
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const other = process.argv[2]
if (other === undefined) {
  process.stderr.write('usage: node test/bench/local-compare.ts OTHER_CHECKOUT\n')
  process.exit(2)
}
const here = fileURLToPath(new URL('../../', import.meta.url))
const N = Number(process.env.MESHFLOW_BENCH_EVENTS ?? 10_000_000)

if (process.argv[3] === '--child') {
  const root = resolve(other)
  const { StreamEnvironment, WatermarkStrategy, TumblingEventTimeWindows } = await import(`${root}/node/index.ts`)
  const { datagen } = await import(`${root}/connectors/datagen/index.ts`)
  const KEYS = 1000
  const WINDOW = 10_000
  const generate = (i: number): { key: number, ts: number, value: number } => ({ key: (i * 7919) % KEYS, ts: i, value: i & 0xff })
  const keep = (e: { value: number }): boolean => e.value !== 0
  const plain = (): number => {
    const started = performance.now()
    let windows = new Map<number, Map<number, number>>()
    let current = 0
    for (let i = 0; i < N; i++) {
      const e = generate(i)
      if (!keep(e)) continue
      const start = e.ts - (e.ts % WINDOW)
      if (start !== current) { windows = new Map(); current = start }
      let m = windows.get(start)
      if (m === undefined) { m = new Map(); windows.set(start, m) }
      m.set(e.key, (m.get(e.key) ?? 0) + 1)
    }
    return performance.now() - started
  }
  const engine = async (events: number): Promise<number> => {
    const env = StreamEnvironment.create({ parallelism: 1 })
    env.fromSource(datagen({ count: events, generate }), WatermarkStrategy.forMonotonousTimestamps().withTimestampAssigner((e: { ts: number }) => e.ts), 'events')
      .filter(keep).keyBy((e: { key: number }) => e.key).window(TumblingEventTimeWindows.of(WINDOW))
      .aggregate({ createAccumulator: () => 0, add: (_e: unknown, c: number) => c + 1, getResult: (c: number) => c })
      .sinkTo({ createWriter: () => ({ write () {}, finish () {}, close () {} }) }, 'discard')
    const started = performance.now()
    await env.execute('local-compare')
    return performance.now() - started
  }
  await engine(10_000)
  const base = Math.min(plain(), plain())
  const ms = await engine(N)
  console.log(JSON.stringify({ bench: 'local-compare', tree: root, events: N, plainMs: Math.round(base), engineMs: Math.round(ms), ratioToPlainJs: Number((base / ms).toFixed(3)) }))
} else {
  const self = fileURLToPath(import.meta.url)
  for (let round = 0; round < 3; round++) {
    for (const tree of [other, here]) {
      const r = spawnSync(process.execPath, [self, tree, '--child'], { stdio: 'inherit' })
      if (r.status !== 0) process.exitCode = 1
    }
  }
}
