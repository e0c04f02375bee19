/**
 * Benchmark: events through a cross-peer shuffle (`npm run bench -- shuffle`). Two peers
 * as separate processes; the source runs on one, a keyed count on the other, so every
 * record crosses the network. The same job on the embedded runtime in this process is the
 * baseline. Also the latency of submitting a small job, to scheduled and to finished.
 *
 *   MESHFLOW_BENCH_EVENTS=10000000 (default)
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { StreamEnvironment } from 'meshflow'
import { MeshClient } from '../../node/cluster/mesh-client.ts'
import job from './fixtures/shuffle-job.ts'

const N = Number(process.env.MESHFLOW_BENCH_EVENTS ?? 10_000_000)
const root = mkdtempSync(join(tmpdir(), 'meshflow-shuffle-'))
const jobFile = new URL('./fixtures/shuffle-job.ts', import.meta.url).pathname
const peerFile = new URL('./fixtures/bench-peer.ts', import.meta.url).pathname
const children: ChildProcess[] = []

function startPeer (name: string, label: string, bootstrap?: string): Promise<string> {
  const child = spawn(process.execPath, [peerFile, join(root, name), label, ...(bootstrap === undefined ? [] : [bootstrap])], { stdio: ['ignore', 'pipe', 'inherit'] })
  children.push(child)
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { reject(new Error(`peer ${name} did not start`)) }, 20_000)
    createInterface({ input: child.stdout! }).on('line', line => {
      if (line.startsWith('ready ')) { clearTimeout(timer); resolve(line.slice(6)) }
    })
    child.on('exit', code => { reject(new Error(`peer ${name} exited with ${code}`)) })
  })
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
  await env.execute('shuffle-embedded')
  const embeddedMs = performance.now() - t
  if (counted(embeddedOut) !== N) throw new Error('The embedded run lost records')

  const a = await startPeer('a', 'side=a')
  await startPeer('b', 'side=b', a)
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
  t = performance.now()
  const id = await client.submit(jobFile, { name: 'shuffle', parallelism: 1, args: { events: String(N), out } })
  const result = await client.awaitJob(id)
  const meshMs = performance.now() - t
  if (result.state !== 'FINISHED') throw new Error(`The job ended ${result.state}: ${result.error ?? ''}`)
  const seen = counted(out)
  if (seen !== N) throw new Error(`The mesh run counted ${seen} of ${N} records`)
  const tasks = (await client.jobs()).find(j => j.id === id)!.tasks
  await client.close()
  const embeddedEps = N / (embeddedMs / 1000)
  const meshEps = N / (meshMs / 1000)
  console.log(JSON.stringify({ bench: 'shuffle', variant: 'embedded', events: N, ms: Math.round(embeddedMs), eventsPerSec: Math.round(embeddedEps) }))
  console.log(JSON.stringify({
    bench: 'shuffle', variant: 'two-peers', events: N, ms: Math.round(meshMs), eventsPerSec: Math.round(meshEps),
    ratioToEmbedded: Number((meshEps / embeddedEps).toFixed(3)), peers: new Set(tasks.map(x => x.peer)).size
  }))
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
