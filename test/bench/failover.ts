/**
 * Benchmark: JobManager failover in a 5-peer mesh of `meshflow node` processes on loopback.
 * Every round SIGKILLs the leader and measures the time from the kill until a command
 * proposed through a surviving peer is committed by a new leader (the client retries from
 * the kill on), then restarts the killed peer on its data directory and waits until all
 * five follow one leader again. Also measures a peer's start-up (spawn to the `listening`
 * line, and to the first role line naming a leader) and a follower's idle RSS, with the
 * spawn-to-exit time of `node -e 0` as the baseline of process start-up, and the idle RSS
 * of a sixth peer started with `--max-semi-space-size=2`. One JSON line per result.
 *
 *   npm run bench -- failover          (MESHFLOW_BENCH_ROUNDS=20 by default)
 */
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { MeshClient } from '../../node/cluster/mesh-client.ts'
import { LocalMesh } from '../cluster/local-mesh.ts'
import { sleep, type NodeProcess } from '../cluster/node-process.ts'
import { errorMessage } from '../../protocol/error-message.ts'

const ROUNDS = Number(process.env.MESHFLOW_BENCH_ROUNDS ?? 20)
const PEERS = 5
const IDLE_MS = 10_000

function emit (record: Record<string, unknown>): void {
  process.stdout.write(JSON.stringify({ bench: 'failover', ...record }) + '\n')
}

/** Nearest-rank percentile (p99 of 20 samples is the largest). */
function percentile (sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p / 100 * sorted.length) - 1))]!
}

function summary (samples: readonly number[]): { p50: number, p99: number, max: number, min: number } {
  const sorted = [...samples].sort((a, b) => a - b)
  return { p50: Math.round(percentile(sorted, 50)), p99: Math.round(percentile(sorted, 99)), max: Math.round(sorted.at(-1)!), min: Math.round(sorted[0]!) }
}

async function baselineSpawnMs (): Promise<number> {
  const times: number[] = []
  for (let i = 0; i < 5; i++) {
    const started = performance.now()
    const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' })
    await new Promise(resolve => child.on('close', resolve))
    times.push(performance.now() - started)
  }
  return summary(times).p50
}

function rssMb (pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return m === null ? NaN : Math.round(Number(m[1]) / 1024)
}

/** Proposes through `via` until a leader commits it; resolves with when that happened. */
async function commitThrough (client: MeshClient, command: unknown, deadlineMs: number): Promise<{ index: number, term: number, at: number }> {
  const end = performance.now() + deadlineMs
  let last: unknown
  while (performance.now() < end) {
    try {
      const r = await client.mark(JSON.stringify(command), { signal: AbortSignal.timeout(Math.max(100, Math.ceil(end - performance.now()))) })
      return { ...r, at: performance.now() }
    } catch (err) {
      last = err
      if (process.env.MESHFLOW_BENCH_DEBUG !== undefined) process.stderr.write(`propose: ${Math.round(performance.now())} ${errorMessage(err)}\n`)
      await sleep(10)
    }
  }
  throw new Error(`Nothing committed within ${deadlineMs} ms: ${errorMessage(last)}`)
}

/** Spawn to `listening` and to the first role line naming a leader, of the fresh mesh's peers and of restarted ones. */
const startups: { kind: 'fresh' | 'rejoin', listening: number, joined: number }[] = []
function recordStartup (n: NodeProcess, kind: 'fresh' | 'rejoin'): void {
  if (n.listeningAt !== undefined && n.joinedAt !== undefined) startups.push({ kind, listening: n.listeningAt - n.spawnedAt, joined: n.joinedAt - n.spawnedAt })
}

emit({ variant: 'baseline', what: 'spawn to exit of node -e 0', ms: Math.round(await baselineSpawnMs()) })

const mesh = await LocalMesh.start(PEERS)
try {
  let leader = await mesh.agreedLeader(30_000, PEERS)
  for (const n of mesh.nodes) recordStartup(n, 'fresh')

  await sleep(IDLE_MS)
  const follower = mesh.nodes.find(n => n !== leader)!
  emit({ variant: 'idle-rss', role: 'follower', idleMs: IDLE_MS, rssMb: rssMb(follower.child.pid!), leaderRssMb: rssMb(leader.child.pid!), targetMb: 130 })

  const failover: number[] = []
  const elected: number[] = []
  for (let round = 0; round < ROUNDS; round++) {
    const survivors = mesh.nodes.filter(n => n !== leader)
    const via = survivors[round % survivors.length]!
    const client = await MeshClient.connect({ mesh: via.address })
    try {
      const oldId = leader.id
      const oldTerm = leader.state.term
      const killedAt = performance.now()
      leader.kill('SIGKILL')
      const newLeader = new Promise<number>(resolve => {
        const offs = survivors.map(n => n.onChange(() => {
          if (n.state.leader !== undefined && n.state.leader !== oldId && n.state.term > oldTerm) {
            for (const off of offs) off()
            resolve(performance.now())
          }
        }))
      })
      const committed = await commitThrough(client, { bench: 'failover', round }, 10_000)
      failover.push(committed.at - killedAt)
      elected.push(await Promise.race([newLeader, sleep(5000).then(() => NaN)]) - killedAt)
    } finally {
      await client.close()
    }
    const killed = leader
    await killed.exited
    const again = await mesh.restart(killed)
    leader = await mesh.agreedLeader(20_000, PEERS)
    recordStartup(again, 'rejoin')
  }

  const f = summary(failover)
  emit({ variant: 'kill-leader-to-commit', peers: PEERS, rounds: ROUNDS, p50Ms: f.p50, p99Ms: f.p99, minMs: f.min, maxMs: f.max, targetP99Ms: 2000 })
  const e = summary(elected.filter(x => !Number.isNaN(x)))
  emit({ variant: 'kill-leader-to-new-leader-line', peers: PEERS, rounds: ROUNDS, p50Ms: e.p50, p99Ms: e.p99, minMs: e.min, maxMs: e.max })
  // the same idle measurement for a peer whose V8 young generation is capped: most of the
  // idle heap is new space grown while the modules load
  const flags = ['--max-semi-space-size=2']
  const small = await mesh.add({ nodeArgs: flags })
  await small.waitFor('joined', () => small.state.leader !== undefined, 20_000)
  await sleep(IDLE_MS)
  const reference = mesh.nodes.find(n => n.alive && !n.isLeader && n !== small)!
  emit({ variant: 'idle-rss-capped-new-space', nodeFlags: flags.join(' '), role: small.state.role, idleMs: IDLE_MS, rssMb: rssMb(small.child.pid!), defaultFollowerRssMb: rssMb(reference.child.pid!), targetMb: 130 })

  for (const kind of ['fresh', 'rejoin'] as const) {
    const of = startups.filter(s => s.kind === kind)
    if (of.length === 0) continue
    const l = summary(of.map(s => s.listening))
    const j = summary(of.map(s => s.joined))
    emit({ variant: `startup-${kind}`, samples: of.length, listeningP50Ms: l.p50, listeningMaxMs: l.max, joinedP50Ms: j.p50, joinedMaxMs: j.max, targetListeningMs: 700 })
  }
} finally {
  await mesh.close()
}
