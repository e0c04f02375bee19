import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdtempSync, rmSync, readdirSync, readFileSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { StreamEnvironment } from 'meshflow'
import { Peer, type PeerInit } from '../../../node/cluster/peer.ts'
import { MeshClient } from '../../../node/cluster/mesh-client.ts'
import job from './fixtures/windowed-job.ts'

const distributed = suite('distributed job')
let root = ''
let testStart = 0
distributed.before.each(() => { root = mkdtempSync(join(tmpdir(), 'meshflow-dist-')); testStart = Date.now() })
distributed.after.each(() => { rmSync(root, { recursive: true, force: true }); process.stderr.write(`test took ${Date.now() - testStart} ms\n`) })

const fixture = new URL('./fixtures/windowed-job.ts', import.meta.url).pathname
const slowFixture = new URL('./fixtures/slow-job.ts', import.meta.url).pathname
const fast: Partial<PeerInit> = { mdns: false, heartbeatIntervalMs: 200, failureTimeoutMs: 1000, bootstrapDelayMs: 300, raft: { tickMs: 20, electionTicks: 10 } }

async function waitFor (what: string, cond: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error(`Timed out waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, 25))
  }
}

async function mesh (labels: Record<string, string>[]): Promise<Peer[]> {
  const peers = [await Peer.start({ ...fast, dataDir: join(root, 'p0'), listen: ['/ip4/127.0.0.1/tcp/0'], slots: 2, labels: labels[0] ?? {} })]
  for (let i = 1; i < labels.length; i++) {
    peers.push(await Peer.start({ ...fast, dataDir: join(root, `p${i}`), listen: ['/ip4/127.0.0.1/tcp/0'], bootstrap: [peers[0]!.multiaddrs[0]!], slots: 2, labels: labels[i] ?? {} }))
  }
  await waitFor('a leader known to all and all voters', () => peers.filter(p => p.role === 'leader').length === 1 &&
    peers.every(p => p.role === 'leader' || p.role === 'follower') && peers.every(p => p.leaderId !== undefined))
  return peers
}

function readLines (dir: string): string[] {
  if (!existsSync(dir)) return []
  return readdirSync(dir).filter(f => !f.startsWith('.')).flatMap(f => readFileSync(join(dir, f), 'utf8').split('\n').filter(l => l.length > 0)).map(l => JSON.parse(l) as string).sort()
}

async function embedded (out: string, count: number): Promise<string[]> {
  const env = StreamEnvironment.create({ parallelism: 4 })
  await job.build(env, { out, count: String(count) })
  await env.execute('reference')
  return readLines(out)
}

distributed('a keyed windowed job at parallelism 4 on three peers writes exactly what the embedded runtime writes', async () => {
  const expected = await embedded(join(root, 'expected'), 20_000)
  assert.ok(expected.length > 100)
  const peers = await mesh([{}, {}, {}])
  const client = await MeshClient.connect({ mesh: peers[1]!.multiaddrs[0]! })
  try {
    const out = join(root, 'out')
    const jobId = await client.submit(fixture, { name: 'windowed', parallelism: 4, args: { out, count: '20000' } })
    const result = await client.awaitJob(jobId, { signal: AbortSignal.timeout(30_000) })
    assert.equal(result, { state: 'FINISHED', error: undefined })
    assert.equal(readLines(out), expected)
    const jobs = await client.jobs()
    const info = jobs.find(j => j.id === jobId)!
    assert.is(info.state, 'FINISHED')
    assert.ok(new Set(info.tasks.map(t => t.peer)).size >= 2, 'tasks ran on at least two peers')
  } finally {
    await client.close()
    for (const p of peers) await p.stop()
  }
})

distributed('a job whose build throws is refused with that error, and the peers stay up', async () => {
  const peers = await mesh([{}, {}])
  const client = await MeshClient.connect({ mesh: peers[0]!.multiaddrs[0]! })
  try {
    try {
      await client.submit(fixture, { name: 'broken', parallelism: 2, args: { out: join(root, 'x'), fail: 'build' } })
      assert.unreachable('the submission was accepted')
    } catch (err) {
      assert.match((err as Error).message, /cannot be built: This job refuses to build/)
    }
    assert.ok(peers.every(p => p.leaderId !== undefined))
    assert.is((await client.jobs()).length, 0)
  } finally {
    await client.close()
    for (const p of peers) await p.stop()
  }
})

distributed('a job that fails at run time ends FAILED with the operator named, and leaves no visible output', async () => {
  const peers = await mesh([{}, {}])
  const client = await MeshClient.connect({ mesh: peers[0]!.multiaddrs[0]! })
  try {
    const out = join(root, 'failed')
    const jobId = await client.submit(fixture, { name: 'poison', parallelism: 2, args: { out, fail: 'run' } })
    const result = await client.awaitJob(jobId, { signal: AbortSignal.timeout(30_000) })
    assert.is(result.state, 'FAILED')
    assert.match(result.error ?? '', /Operator 'check'.*record 5000 is poison/)
    assert.equal(readLines(out), [])
  } finally {
    await client.close()
    for (const p of peers) await p.stop()
  }
})

distributed('placement: a labelled operator runs only on the labelled peer; an unknown label fails the submission naming it', async () => {
  const peers = await mesh([{}, { tier: 'edge' }, {}])
  const client = await MeshClient.connect({ mesh: peers[0]!.multiaddrs[0]! })
  try {
    const out = join(root, 'placed')
    const jobId = await client.submit(fixture, { name: 'placed', parallelism: 2, args: { out, edge: 'edge', count: '3000' } })
    assert.is((await client.awaitJob(jobId, { signal: AbortSignal.timeout(30_000) })).state, 'FINISHED')
    const info = (await client.jobs()).find(j => j.id === jobId)!
    const edgeTasks = info.tasks.filter(t => t.vertex.startsWith('edge-tap'))
    assert.equal(edgeTasks.map(t => t.peer), [peers[1]!.id])
    assert.ok(readLines(`${out}-edge`).length > 0)
    try {
      await client.submit(fixture, { name: 'nowhere', parallelism: 2, args: { out, edge: 'moon' } })
      assert.unreachable('scheduled on a label nobody has')
    } catch (err) {
      assert.match((err as Error).message, /tier=moon/)
    }
  } finally {
    await client.close()
    for (const p of peers) await p.stop()
  }
})

distributed('losing a TaskManager fails its running jobs with an error naming that peer', async () => {
  const peers = await mesh([{}, {}, {}])
  const client = await MeshClient.connect({ mesh: peers[0]!.multiaddrs[0]! })
  try {
    const leader = peers.find(p => p.role === 'leader')!
    const jobId = await client.submit(slowFixture, { name: 'slow', parallelism: 3, args: {} })
    await waitFor('the job running on every peer', () => peers.every(p => p.jobService.registry.job(jobId) !== undefined))
    const victim = peers.find(p => p !== leader && p !== peers[0])!
    // the victim goes silent without a goodbye, as if its process had been killed
    await victim.host.stop()
    const result = await client.awaitJob(jobId, { signal: AbortSignal.timeout(30_000) })
    assert.is(result.state, 'FAILED')
    // whichever comes first names the lost peer: the failure detector, or a broken channel to it
    assert.match(result.error ?? '', new RegExp(`(TaskManager|peer) ${victim.id}`))
  } finally {
    await client.close()
    for (const p of peers) await p.stop().catch(() => {})
  }
})

distributed('peer.submit runs a job from the peer API and its handle cancels it', async () => {
  const peers = await mesh([{}, {}])
  try {
    const out = join(root, 'peer-api')
    const handle = await peers[1]!.submit(new URL('./fixtures/windowed-job.ts', import.meta.url), { parallelism: 2, args: { out, count: '5000' } })
    assert.equal(await handle.result(), { state: 'FINISHED', error: undefined })
    assert.ok(readLines(out).length > 0)
    const slow = await peers[0]!.submit(slowFixture, { parallelism: 2 })
    await waitFor('the slow job on both peers', () => peers.every(p => p.jobService.registry.job(slow.id) !== undefined))
    const tasks = peers[0]!.jobService.registry.job(slow.id)!.tasks
    for (const p of peers) {
      const busy = tasks.some(t => t.peer === p.id)
      assert.is(p.freeSlots, busy ? 1 : 2, `${p.id} runs ${busy ? 'a slot of' : 'nothing of'} the job`)
    }
    assert.is(await slow.cancel(), 'CANCELED')
    await waitFor('the slots to be free again on every peer', () => peers.every(p => p.freeSlots === 2))
    assert.equal(await slow.result(), { state: 'CANCELED', error: undefined })
  } finally {
    for (const p of peers) await p.stop()
  }
})

distributed.run()
