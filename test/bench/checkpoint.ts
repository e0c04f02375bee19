/**
 * Benchmark: checkpoints (`npm run bench -- checkpoint`).
 *
 * 1. throughput — the shuffle benchmark's shape (source on one peer process, a keyed count
 *    in keyed state on another) with checkpoints every second against the same job without
 *    checkpoints, in the same run (target: under 10% loss);
 * 2. state size — keyed-snapshot.ts: one keyed operator holding 1,000,000 keys: bytes of a
 *    first checkpoint, and what a second one writes after 1% of the keys changed (target:
 *    under 5% of the first), and the time to restore;
 * 3. recovery — a TaskManager peer fails while a checkpointed job runs on four peer
 *    processes, alternately by SIGKILL (its sockets close: a broken data channel fails a
 *    task at once) and by SIGSTOP (frozen with its connections open, like a power cut or a
 *    partition: only the 3 s heartbeat timeout tells): detection (failure to the
 *    JobManager's restart decision) and restart (decision to the next attempt's first
 *    completed checkpoint, checkpoints every 100 ms), per kind (targets: restart under 1 s
 *    after detection, end to end p50 under 5 s).
 *
 *   MESHFLOW_BENCH_EVENTS=10000000 (throughput), MESHFLOW_BENCH_KEYS=1000000,
 *   MESHFLOW_BENCH_ROUNDS=6 (recovery, alternately SIGKILL and SIGSTOP), MESHFLOW_BENCH_PARTS=size,throughput,recovery,
 *   MESHFLOW_BENCH_LOGS=DIR (each peer's stderr to DIR/<name>.log; with DEBUG=meshflow:*)
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { MeshClient } from '../../node/cluster/mesh-client.ts'

const N = Number(process.env.MESHFLOW_BENCH_EVENTS ?? 10_000_000)
const KEYS = Number(process.env.MESHFLOW_BENCH_KEYS ?? 1_000_000)
const ROUNDS = Number(process.env.MESHFLOW_BENCH_ROUNDS ?? 6)
const PARTS = new Set((process.env.MESHFLOW_BENCH_PARTS ?? 'size,throughput,recovery').split(','))
const root = mkdtempSync(join(tmpdir(), 'meshflow-ckpt-bench-'))
const throughputJob = new URL('./fixtures/checkpoint-job.ts', import.meta.url).pathname
const recoveryJob = new URL('../cluster/fixtures/checkpointed-job.ts', import.meta.url).pathname
const peerFile = new URL('./fixtures/bench-peer.ts', import.meta.url).pathname
const children: ChildProcess[] = []

interface Started { address: string, child: ChildProcess }

function startPeer (name: string, label: string, bootstrap?: string): Promise<Started> {
  const logs = process.env.MESHFLOW_BENCH_LOGS
  const stderr = logs === undefined ? 'inherit' : openSync(join(logs, `${name}.log`), 'w')
  const child = spawn(process.execPath, [peerFile, join(root, name), label, ...(bootstrap === undefined ? [] : [bootstrap])], { stdio: ['ignore', 'pipe', stderr] })
  children.push(child)
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { reject(new Error(`peer ${name} did not start`)) }, 20_000)
    createInterface({ input: child.stdout! }).on('line', line => {
      if (line.startsWith('ready ')) { clearTimeout(timer); resolve({ address: line.slice(6), child }) }
    })
    child.on('exit', code => { if (code !== null) reject(new Error(`peer ${name} exited with ${code}`)) })
  })
}

function counted (dir: string): number {
  return readdirSync(dir).filter(f => f.startsWith('count-')).reduce((n, f) => n + Number(readFileSync(join(dir, f), 'utf8')), 0)
}

/**
 * Waits for `peers` voters, none of them in `gone`: a voter killed in one round stays in
 * the Raft configuration until the voter policy removes it (30 s after it was lost), and
 * killing a second voter before that would leave 2 of 4 voters — no quorum, so nothing
 * could restart.
 */
async function formed (client: MeshClient, peers: number, gone: ReadonlySet<string> = new Set()): Promise<void> {
  for (let i = 0; ; i++) {
    const s = await client.status()
    const voters = s.peers.filter(p => (p.role === 'leader' || p.role === 'follower') && !gone.has(p.id)).length
    const stale = s.peers.some(p => gone.has(p.id) && (p.role === 'leader' || p.role === 'follower'))
    if (s.leader !== null && voters >= peers && !stale) return
    if (i > 2_400) throw new Error(`The ${peers} peers never formed a mesh`)
    await new Promise(resolve => setTimeout(resolve, 50))
  }
}

const percentile = (xs: number[], p: number): number => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(p * s.length))]! }

async function throughput (): Promise<void> {
  const a = await startPeer('ta', 'side=a')
  await startPeer('tb', 'side=b', a.address)
  const client = await MeshClient.connect({ mesh: a.address })
  try {
    await formed(client, 2)
    const run = async (interval: number | undefined): Promise<{ ms: number, checkpoints: number }> => {
      const out = join(root, `t-${interval ?? 'none'}`)
      const t = performance.now()
      const id = await client.submit(throughputJob, { name: 'checkpoint-throughput', parallelism: 1, args: { events: String(N), out, ...(interval === undefined ? {} : { interval: String(interval) }) } })
      const result = await client.awaitJob(id)
      const ms = performance.now() - t
      if (result.state !== 'FINISHED') throw new Error(`The job ended ${result.state}: ${result.error ?? ''}`)
      if (counted(out) !== N) throw new Error(`The run counted ${counted(out)} of ${N} records`)
      const info = (await client.jobs()).find(j => j.id === id)!
      return { ms, checkpoints: info.checkpoints?.completed ?? 0 }
    }
    // alternate, so a noisy moment does not land on one variant only
    const none: number[] = []
    const withCk: number[] = []
    let checkpoints = 0
    for (let i = 0; i < 2; i++) {
      none.push((await run(undefined)).ms)
      const r = await run(1000)
      withCk.push(r.ms)
      checkpoints = r.checkpoints
    }
    const noneMs = Math.min(...none)
    const ckMs = Math.min(...withCk)
    console.log(JSON.stringify({ bench: 'checkpoint', variant: 'throughput-no-checkpoints', events: N, ms: Math.round(noneMs), eventsPerSec: Math.round(N / noneMs * 1000) }))
    console.log(JSON.stringify({
      bench: 'checkpoint', variant: 'throughput-checkpoints-1s', events: N, ms: Math.round(ckMs), eventsPerSec: Math.round(N / ckMs * 1000),
      checkpointsCompleted: checkpoints, lossPct: Number(((1 - noneMs / ckMs) * 100).toFixed(1)), targetLossPct: 10
    }))
  } finally {
    await client.close()
  }
}

async function recovery (): Promise<void> {
  const peers: Started[] = []
  peers.push(await startPeer('r0', 'side=x'))
  for (let i = 1; i < 4; i++) peers.push(await startPeer(`r${i}`, 'side=x', peers[0]!.address))
  const idOf = (p: Started): string => p.address.split('/p2p/')[1]!
  const client = await MeshClient.connect({ mesh: peers[0]!.address })
  // per way of failing: SIGKILL closes the peer's sockets (its data channels break at once);
  // SIGSTOP freezes it with its connections open, as a power cut or a partition would, so
  // only the missed heartbeats (3 s) tell
  const results = { kill: { detection: [] as number[], restart: [] as number[], total: [] as number[] }, freeze: { detection: [] as number[], restart: [] as number[], total: [] as number[] } }
  const gone = new Set<string>()
  try {
    await formed(client, 4)
    for (let round = 0; round < ROUNDS; round++) {
      const leader = (await client.status()).leader
      const out = join(root, `r-${round}`)
      const id = await client.submit(recoveryJob, { name: 'recovery', parallelism: 4, args: { out, count: '10000000', rate: '20000', interval: '100' } })
      let info
      for (;;) {
        info = (await client.jobs()).find(j => j.id === id)!
        if ((info.checkpoints?.completed ?? 0) >= 1) break
        await new Promise(resolve => setTimeout(resolve, 20))
      }
      const hosts = new Set(info.tasks.map(t => t.peer))
      const victim = peers.find(p => p.child.exitCode === null && idOf(p) !== leader && hosts.has(idOf(p)) && p.address !== peers[0]!.address)
      if (victim === undefined) throw new Error('No TaskManager peer to kill')
      const killedAt = performance.now()
      const how = round % 2 === 0 ? 'kill' : 'freeze'
      victim.child.kill(how === 'kill' ? 'SIGKILL' : 'SIGSTOP')
      // detection: the JobManager decided to restart (RESTARTING, or already the next attempt);
      // running again: the next attempt completed its first checkpoint, so every subtask
      // was deployed, restored its state and processed records (interval 100 ms: at most
      // that much later than the moment it ran)
      let decidedAt: number | undefined
      let runningAt: number | undefined
      let completedBefore = Number.POSITIVE_INFINITY
      while (runningAt === undefined) {
        const j = (await client.jobs()).find(x => x.id === id)!
        const now = performance.now()
        if (decidedAt === undefined && (j.state === 'RESTARTING' || j.restarts >= 1)) decidedAt = now
        if (j.restarts >= 1 && completedBefore === Number.POSITIVE_INFINITY) completedBefore = j.checkpoints?.completed ?? 0
        if (j.restarts >= 1 && (j.checkpoints?.completed ?? 0) > completedBefore) runningAt = now
        if (j.state === 'FAILED') throw new Error(`The job failed: ${j.error ?? ''}`)
        if (now - killedAt > 30_000) throw new Error(`Round ${round}: the job did not run again within 30 s: ${JSON.stringify({ ...j, tasks: undefined })}; status ${JSON.stringify((await client.status()).peers.map(p => [p.id.slice(-6), p.role]))}, killed ${idOf(victim).slice(-6)}`)
        await new Promise(resolve => setTimeout(resolve, 10))
      }
      results[how].detection.push(decidedAt! - killedAt)
      results[how].restart.push(runningAt - decidedAt!)
      results[how].total.push(runningAt - killedAt)
      victim.child.kill('SIGKILL')
      // a cancel right after a peer died may meet a leader change: it is idempotent, retry
      for (let attempt = 0; ; attempt++) {
        try {
          await client.cancel(id)
          break
        } catch (err) {
          if (attempt >= 10) throw err
          await new Promise(resolve => setTimeout(resolve, 300))
        }
      }
      // bring the mesh back to four peers for the next round
      const i = peers.indexOf(victim)
      peers[i] = await startPeer(`r${i}-${round}`, 'side=x', peers[0]!.address)
      gone.add(idOf(victim))
      await formed(client, 4, gone)
    }
  } finally {
    await client.close()
  }
  for (const [how, { detection, restart, total }] of Object.entries(results)) {
    if (detection.length === 0) continue
    console.log(JSON.stringify({
      bench: 'checkpoint', variant: `recovery-${how}`, rounds: detection.length, heartbeatTimeoutMs: 3000,
      detectionP50Ms: Math.round(percentile(detection, 0.5)), restartP50Ms: Math.round(percentile(restart, 0.5)), restartMaxMs: Math.round(Math.max(...restart)),
      endToEndP50Ms: Math.round(percentile(total, 0.5)), endToEndMaxMs: Math.round(Math.max(...total)), targetRestartMs: 1000, targetEndToEndP50Ms: 5000
    }))
  }
}

try {
  // state size: keyed-snapshot.ts (its own process, so its heap does not weigh on the rest)
  const size = !PARTS.has('size') ? { status: 0 } : spawnSync(process.execPath, [new URL('./keyed-snapshot.ts', import.meta.url).pathname], { stdio: 'inherit', env: { ...process.env, MESHFLOW_BENCH_KEYS: String(KEYS) } })
  if (size.status !== 0) throw new Error('The state-size benchmark failed')
  if (PARTS.has('throughput')) await throughput()
  for (const c of children.splice(0)) c.kill('SIGKILL')
  if (PARTS.has('recovery')) await recovery()
} finally {
  for (const c of children) c.kill('SIGKILL')
  rmSync(root, { recursive: true, force: true })
}
