// The meshflow side of `npm run bench -- nexmark`: a query as a job module (bench-job.ts)
// on an embedded peer, as `meshflow run` runs it — its subtasks on the task threads, one
// per core — with a counting, checksumming sink; and one such run in a fresh Node process,
// so its start-up and peak RSS are its own as each Flink run gets a fresh JVM.
//   node test/bench/nexmark/meshflow-run.ts --query q5 --events N --parallelism P --tiny T
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Peer } from '../../../node/cluster/peer.ts'
import { CHECKSUM_MODULUS } from './flink.ts'
import { queries, type NexmarkQuery } from './queries.ts'

export interface EngineRun { count: number, checksum: number, ms: number }

const JOB = fileURLToPath(new URL('./bench-job.ts', import.meta.url))

/** Runs `query` over `events` events at `parallelism` on `peer`; ms is from submission to the job's end. */
export async function engine (peer: Peer, query: NexmarkQuery, events: number, parallelism: number): Promise<EngineRun> {
  const out = mkdtempSync(join(tmpdir(), 'meshflow-nexmark-out-'))
  try {
    const started = performance.now()
    const handle = await peer.submit(JOB, { name: `bench-nexmark-${query.name}`, parallelism, args: { query: query.name, events: String(events), out } })
    const result = await handle.result()
    const ms = performance.now() - started
    if (result.state !== 'FINISHED') throw new Error(`Nexmark ${query.name} ended ${result.state}: ${result.error ?? ''}`)
    let count = 0
    let checksum = 0
    for (const f of readdirSync(out)) {
      const part = JSON.parse(readFileSync(join(out, f), 'utf8')) as { results: number, checksum: number }
      count += part.results
      checksum = (checksum + part.checksum) % CHECKSUM_MODULUS
    }
    return { count, ms, checksum }
  } finally {
    rmSync(out, { recursive: true, force: true })
  }
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
  const dir = mkdtempSync(join(tmpdir(), 'meshflow-nexmark-'))
  const peer = await Peer.start({ dataDir: dir, embedded: true })
  try {
    await peer.mark('bench')
    await engine(peer, query, tinyEvents, p)
    const startupMs = performance.now()
    // the least of three tiny runs: one slow run (a GC, a busy machine) would flatter the rate
    let tinyMs = Infinity
    for (let i = 0; i < 3; i++) tinyMs = Math.min(tinyMs, (await engine(peer, query, tinyEvents, p)).ms)
    const r = await engine(peer, query, Number(arg('events')), p)
    const run: MeshflowRun = {
      results: r.count, checksum: r.checksum, ms: r.ms, tinyMs, startupMs,
      // the process with its task threads (RSS is the process's, whatever thread holds it)
      rssMb: Math.round(process.resourceUsage().maxRSS / 1024)
    }
    console.log(JSON.stringify({ system: 'meshflow', ...run }))
  } finally {
    await peer.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}
