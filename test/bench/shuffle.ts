/**
 * Benchmark: events through a cross-peer shuffle (`npm run bench -- shuffle`). Two peers
 * as separate processes; the source runs on one, a keyed count on the other, so every
 * record crosses the network. The same job on the embedded runtime in this process is the
 * baseline. Also the latency of submitting a small job, to scheduled and to finished; the
 * bytes per record on the wire (every TCP byte between the two peers while the job ran:
 * records, frame headers, credits, noise and yamux, heartbeats); and a small keyed job at
 * p=3 on 3 peers against p=6 on 6 peers (a keyBy joins every peer to every other).
 *
 *   MESHFLOW_BENCH_EVENTS=10000000 (default)
 *   MESHFLOW_BENCH_MESH_PEERS=6 (default; the largest mesh of the small-job latency, 0 skips it)
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { StreamEnvironment } from 'meshflow'
import { MeshClient } from '../../node/cluster/mesh-client.ts'
import job from './fixtures/shuffle-job.ts'

const N = Number(process.env.MESHFLOW_BENCH_EVENTS ?? 10_000_000)
const MESH_PEERS = Number(process.env.MESHFLOW_BENCH_MESH_PEERS ?? 6)
const root = mkdtempSync(join(tmpdir(), 'meshflow-shuffle-'))
const jobFile = new URL('./fixtures/shuffle-job.ts', import.meta.url).pathname
const smallJobFile = new URL('./fixtures/small-job.ts', import.meta.url).pathname
const peerFile = new URL('./fixtures/bench-peer.ts', import.meta.url).pathname
const children: ChildProcess[] = []

function startPeer (name: string, label: string, ...bootstrap: string[]): Promise<string> {
  const child = spawn(process.execPath, [peerFile, join(root, name), label, ...bootstrap], { stdio: ['ignore', 'pipe', 'inherit'] })
  children.push(child)
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { reject(new Error(`peer ${name} did not start`)) }, 20_000)
    createInterface({ input: child.stdout! }).on('line', line => {
      if (line.startsWith('ready ')) { clearTimeout(timer); resolve(line.slice(6)) }
    })
    child.on('exit', code => { reject(new Error(`peer ${name} exited with ${code}`)) })
  })
}

/** TCP bytes sent so far on loopback connections to or from one of `ports` (`ss -ti`: bytes_acked). */
function tcpBytes (ports: readonly number[]): number {
  const out = execFileSync('ss', ['-tinH', 'state', 'established'], { encoding: 'utf8' })
  let total = 0
  let match = false
  for (const line of out.split('\n')) {
    const addrs = /^\d+\s+\d+\s+(\S+):(\d+)\s+(\S+):(\d+)/.exec(line.trim())
    if (addrs !== null) {
      match = ports.includes(Number(addrs[2])) || ports.includes(Number(addrs[4]))
      continue
    }
    const acked = /bytes_acked:(\d+)/.exec(line)
    if (match && acked !== null) total += Number(acked[1])
  }
  return total
}

/** CPU time (user + system) a process has used so far, in ms (/proc/PID/stat). */
function cpuMs (pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ')
  // utime and stime are fields 14 and 15 of stat, 12 and 13 after the command
  return (Number(fields[11]) + Number(fields[12])) * 10
}

function portOf (multiaddr: string): number {
  return Number(/\/tcp\/(\d+)/.exec(multiaddr)![1])
}

async function waitForPeers (client: MeshClient, n: number): Promise<void> {
  for (let i = 0; ; i++) {
    const s = await client.status()
    if (s.leader !== null && s.peers.length === n && s.peers.every(p => p.role !== 'lost' && p.role !== 'candidate' && p.slots > 0)) return
    if (i > 400) throw new Error(`The ${n} peers never formed a mesh`)
    await new Promise(resolve => setTimeout(resolve, 50))
  }
}

/** Submit-to-finish of the small keyed job at parallelism `p`, `runs` times: the first and the median. */
async function smallJobLatency (client: MeshClient, p: number, runs: number): Promise<{ firstMs: number, medianMs: number }> {
  const times: number[] = []
  for (let r = 0; r < runs; r++) {
    const out = join(root, `small-p${p}-${r}`)
    const t = performance.now()
    const id = await client.submit(smallJobFile, { name: `small-p${p}`, parallelism: p, args: { events: '1000', out } })
    const result = await client.awaitJob(id)
    times.push(performance.now() - t)
    if (result.state !== 'FINISHED') throw new Error(`The small job at p=${p} ended ${result.state}: ${result.error ?? ''}`)
    if (counted(out) !== 1000) throw new Error(`The small job at p=${p} counted ${counted(out)} of 1000 records`)
  }
  const sorted = times.slice().sort((x, y) => x - y)
  return { firstMs: Math.round(times[0]!), medianMs: Math.round(sorted[sorted.length >> 1]!) }
}

function counted (dir: string): number {
  return readdirSync(dir).filter(f => f.startsWith('count-')).reduce((n, f) => n + Number(readFileSync(join(dir, f), 'utf8')), 0)
}

try {
  // baseline: the same job embedded
  const embeddedOut = join(root, 'embedded')
  const env = StreamEnvironment.create({ parallelism: 1 })
  await job.build(env, { events: String(N), out: embeddedOut })
  let t = performance.now()
  const cpu0 = process.cpuUsage()
  await env.execute('shuffle-embedded')
  const embeddedMs = performance.now() - t
  const cpu1 = process.cpuUsage(cpu0)
  const embeddedCpuMs = Math.round((cpu1.user + cpu1.system) / 1000)
  if (counted(embeddedOut) !== N) throw new Error('The embedded run lost records')

  const a = await startPeer('a', 'side=a')
  const b = await startPeer('b', 'side=b', a)
  const client = await MeshClient.connect({ mesh: a })
  // wait until both peers are voters of one mesh
  for (let i = 0; ; i++) {
    const s = await client.status()
    if (s.leader !== null && s.peers.length === 2 && s.peers.every(p => p.role === 'leader' || p.role === 'follower')) break
    if (i > 200) throw new Error('The two peers never formed a mesh')
    await new Promise(resolve => setTimeout(resolve, 50))
  }

  // latency of a small job
  t = performance.now()
  const small = await client.submit(jobFile, { name: 'small', parallelism: 1, args: { events: '10', out: join(root, 'small') } })
  const submitMs = performance.now() - t
  await client.awaitJob(small)
  const smallFinishedMs = performance.now() - t
  console.log(JSON.stringify({ bench: 'shuffle', variant: 'submit-latency', submitToScheduledMs: Math.round(submitMs), submitToFinishedMs: Math.round(smallFinishedMs) }))

  const out = join(root, 'mesh')
  const ports = [portOf(a), portOf(b)]
  const bytesBefore = tcpBytes(ports)
  const peerPids = children.map(c => c.pid!)
  const cpuBefore = peerPids.map(cpuMs)
  t = performance.now()
  const id = await client.submit(jobFile, { name: 'shuffle', parallelism: 1, args: { events: String(N), out } })
  const result = await client.awaitJob(id)
  const meshMs = performance.now() - t
  const wireBytes = tcpBytes(ports) - bytesBefore
  const peerCpuMs = peerPids.map((pid, i) => cpuMs(pid) - cpuBefore[i]!)
  if (result.state !== 'FINISHED') throw new Error(`The job ended ${result.state}: ${result.error ?? ''}`)
  const seen = counted(out)
  if (seen !== N) throw new Error(`The mesh run counted ${seen} of ${N} records`)
  const tasks = (await client.jobs()).find(j => j.id === id)!.tasks
  const embeddedEps = N / (embeddedMs / 1000)
  const meshEps = N / (meshMs / 1000)
  console.log(JSON.stringify({ bench: 'shuffle', variant: 'embedded', events: N, ms: Math.round(embeddedMs), eventsPerSec: Math.round(embeddedEps), cpuMs: embeddedCpuMs }))
  console.log(JSON.stringify({
    bench: 'shuffle', variant: 'two-peers', events: N, ms: Math.round(meshMs), eventsPerSec: Math.round(meshEps),
    ratioToEmbedded: Number((meshEps / embeddedEps).toFixed(3)), peers: new Set(tasks.map(x => x.peer)).size,
    wireBytes, bytesPerRecord: Number((wireBytes / N).toFixed(2)),
    // CPU time of each peer process while the job ran (wall-clock ratios swing with the load of
    // a shared machine; CPU per record much less)
    peerCpuMs, cpuRatioToEmbedded: Number((embeddedCpuMs / Math.max(...peerCpuMs)).toFixed(3))
  }))

  // a small keyed job at p=3 on 3 peers, then at p=MESH_PEERS on as many
  if (MESH_PEERS > 3) {
    const addrs = [a, b]
    addrs.push(await startPeer('c', 'side=c', ...addrs))
    await waitForPeers(client, 3)
    const p3 = await smallJobLatency(client, 3, 5)
    console.log(JSON.stringify({ bench: 'shuffle', variant: 'small-job', peers: 3, parallelism: 3, ...p3 }))
    // each peer dials all before it: every pair is connected before the job needs it
    for (let i = 3; i < MESH_PEERS; i++) addrs.push(await startPeer(`p${i}`, `side=p${i}`, ...addrs))
    await waitForPeers(client, MESH_PEERS)
    const pn = await smallJobLatency(client, MESH_PEERS, 5)
    console.log(JSON.stringify({ bench: 'shuffle', variant: 'small-job', peers: MESH_PEERS, parallelism: MESH_PEERS, ...pn, medianRatioToP3: Number((pn.medianMs / p3.medianMs).toFixed(2)) }))
  }
  await client.close()
} finally {
  // SIGTERM first, so a peer started with --cpu-prof (NODE_OPTIONS) writes its profile
  await Promise.all(children.map(c => new Promise<void>(resolve => {
    if (c.exitCode !== null || c.signalCode !== null) { resolve(); return }
    const timer = setTimeout(() => { c.kill('SIGKILL') }, 5000)
    c.once('exit', () => { clearTimeout(timer); resolve() })
    c.kill('SIGTERM')
  })))
  rmSync(root, { recursive: true, force: true })
}
