// The meshflow side of `npm run bench -- nexmark`: a query on the embedded runtime with a
// counting, checksumming sink; and one such run in a fresh Node process, so its start-up
// and peak RSS are its own as each Flink run gets a fresh JVM.
//   node test/bench/nexmark/meshflow-run.ts --query q5 --events N --parallelism P --tiny T
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { StreamEnvironment, type Sink } from 'meshflow'
import { nexmarkStream } from './common.ts'
import { checksums } from './flink.ts'
import { queries, type NexmarkQuery } from './queries.ts'

export interface EngineRun { count: number, checksum: number, ms: number }

/** Runs `query` over `events` events at `parallelism`; ms is the execute() time. */
export async function engine (query: NexmarkQuery, events: number, parallelism: number): Promise<EngineRun> {
  let count = 0
  const checksum = checksums[query.name]?.()
  const counting: Sink<unknown> = {
    createWriter: () => ({
      write (v) {
        count += v.length
        if (checksum !== undefined) for (const x of v) checksum.add(x)
      },
      finish () {},
      close () {}
    })
  }
  const env = StreamEnvironment.create({ parallelism })
  query.job(nexmarkStream(env, { events })).sinkTo(counting, 'count')
  const started = performance.now()
  await env.execute(`bench-nexmark-${query.name}`)
  return { count, ms: performance.now() - started, checksum: checksum?.value() ?? 0 }
}

export interface MeshflowRun {
  results: number
  checksum: number
  /** The run of `events` events. */
  ms: number
  /** A tiny run of the same query after the warm-up (the start-up to subtract; the least of three). */
  tinyMs: number
  /** From process start to the end of the warm-up run: Node, modules, the first tiny job. */
  startupMs: number
  /** Peak RSS of the process (the largest run dominates). */
  rssMb: number
}

const SELF = fileURLToPath(import.meta.url)

/** One fresh process: a warm-up and tiny runs of `tiny` events, then `events`. */
export function runMeshflow (query: string, events: number, parallelism: number, tiny: number): MeshflowRun {
  const r = spawnSync(process.execPath, [...process.execArgv, SELF, '--query', query, '--events', String(events), '--parallelism', String(parallelism), '--tiny', String(tiny)], { encoding: 'utf8', maxBuffer: 1 << 26 })
  const line = r.stdout.split('\n').find(l => l.startsWith('{"system":"meshflow"'))
  if (r.status !== 0 || line === undefined) throw new Error(`meshflow ${query} failed (exit ${String(r.status)}):\n${r.stdout}${r.stderr}`)
  return JSON.parse(line)
}

if (process.argv[1] === SELF) {
  const arg = (name: string): string => {
    const at = process.argv.indexOf(`--${name}`)
    if (at < 0 || at + 1 >= process.argv.length) throw new Error(`meshflow-run needs --${name}`)
    return process.argv[at + 1]!
  }
  const query = queries.find(q => q.name === arg('query'))
  if (query === undefined) throw new Error(`Unknown Nexmark query ${arg('query')}`)
  const p = Number(arg('parallelism'))
  const tinyEvents = Number(arg('tiny'))
  await engine(query, tinyEvents, p)
  const startupMs = performance.now()
  // the least of three tiny runs: one slow run (a GC, a busy machine) would flatter the rate
  let tinyMs = Infinity
  for (let i = 0; i < 3; i++) tinyMs = Math.min(tinyMs, (await engine(query, tinyEvents, p)).ms)
  const r = await engine(query, Number(arg('events')), p)
  const run: MeshflowRun = {
    results: r.count, checksum: r.checksum, ms: r.ms, tinyMs, startupMs,
    rssMb: Math.round(process.resourceUsage().maxRSS / 1024)
  }
  console.log(JSON.stringify({ system: 'meshflow', ...run }))
}
