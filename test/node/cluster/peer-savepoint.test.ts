// The peer API's savepoints (in-process peers): handle.savepoint(name, { stop }) stops a
// checkpointed job with a savepoint, peer.savepoints() lists it, peer.submit(…, {
// fromSavepoint }) resumes it at another parallelism with exact output, and
// peer.deleteSavepoint(name) forgets it.
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { agreed, startPeer, startPeers, waitFor } from './fixtures/peers.ts'
import { event } from '../../cluster/fixtures/checkpointed-job.ts'
import { committedLines, expectedWindows } from '../../cluster/fixtures/checkpointed-output.ts'

const test = suite('Peer savepoints')
const JOB = new URL('../../cluster/fixtures/checkpointed-job.ts', import.meta.url)
const COUNT = 16_000




test('stop with a savepoint, list it, resume from it at another parallelism, delete it', async () => {
  const root = mkdtempSync(join(tmpdir(), 'meshflow-peer-sp-'))
  const peers = await startPeers(root, 2)
  try {
    await agreed(peers)
    const out = join(root, 'out')
    const args = { out, count: String(COUNT), rate: '8000', interval: '200' }
    const handle = await peers[1]!.submit(JOB, { parallelism: 2, args })
    await waitFor('a completed checkpoint', () => (peers[1]!.jobs().find(j => j.id === handle.id)?.checkpoints?.completed ?? 0) >= 1)
    const sp = await handle.savepoint('mid', { stop: 'no-drain' })
    assert.is(sp.name, 'mid')
    assert.ok(sp.checkpointId >= 2)
    assert.equal((await handle.result()).state, 'FINISHED')
    assert.ok(committedLines(out).length < expectedWindows(COUNT).length, 'stopped before the end')
    await waitFor('the savepoint on every peer', () => peers.every(p => p.savepoints().some(s => s.name === 'mid' && s.cid === sp.cid)))

    const resumed = await peers[0]!.submit(JOB, { parallelism: 1, args, fromSavepoint: 'mid' })
    assert.equal(await resumed.result(), { state: 'FINISHED', error: undefined })
    const got = committedLines(out)
    const want = expectedWindows(COUNT)
    const missing = want.filter(l => !got.includes(l))
    const extra = got.filter(l => !want.includes(l))
    assert.equal({ missing: missing.slice(0, 5), extra: extra.slice(0, 5), counts: [got.length, want.length] }, { missing: [], extra: [], counts: [want.length, want.length] })
    assert.equal(peers[0]!.jobs().find(j => j.id === resumed.id)!.restoreHistory, [{ attempt: 0, checkpointId: sp.checkpointId, at: peers[0]!.jobs().find(j => j.id === resumed.id)!.restoreHistory![0]!.at }])

    try {
      await peers[0]!.submit(JOB, { args, fromSavepoint: 'nope' })
      assert.unreachable('an unknown savepoint is refused')
    } catch (err) {
      assert.match((err as Error).message, /No savepoint named 'nope'/)
    }
    await peers[0]!.deleteSavepoint('mid')
    await waitFor('the savepoint gone', () => peers.every(p => p.savepoints().length === 0))
  } finally {
    for (const p of peers) await p.stop()
    rmSync(root, { recursive: true, force: true })
  }
})

test('stop with drain fires every window first: the output is exactly that of the records read before the stop', async () => {
  const root = mkdtempSync(join(tmpdir(), 'meshflow-peer-drain-'))
  const first = await startPeer(root, 'p0')
  try {
    await waitFor('a leader', () => first.isLeader)
    const out = join(root, 'out')
    // parallelism 1: one split, so the records read before the stop are a prefix 0..k-1
    const handle = await first.submit(JOB, { parallelism: 1, args: { out, count: String(COUNT), rate: '8000', interval: '200' } })
    await waitFor('a completed checkpoint', () => (first.jobs().find(j => j.id === handle.id)?.checkpoints?.completed ?? 0) >= 1)
    await handle.savepoint('drained', { stop: 'drain' })
    assert.equal((await handle.result()).state, 'FINISHED')
    const got = committedLines(out)
    const total = got.reduce((n, l) => n + (JSON.parse(l) as { sum: number }).sum, 0)
    // every value is at least 1, so exactly one prefix has this total
    let k = 0
    for (let sum = 0; sum < total; k++) sum += event(k).v
    assert.ok(k > 0 && k < COUNT, `stopped after ${k} records`)
    assert.equal(got, expectedWindows(k), 'every window of the records read fired, none twice')
  } finally {
    await first.stop()
    rmSync(root, { recursive: true, force: true })
  }
})

test('a job handle of a peer that stops rejects instead of waiting forever', async () => {
  const root = mkdtempSync(join(tmpdir(), 'meshflow-peer-stop-'))
  const peer = await startPeer(root, 'p0')
  try {
    await waitFor('a leader', () => peer.isLeader)
    const handle = await peer.submit(JOB, { parallelism: 1, args: { out: join(root, 'out'), count: '1000000', rate: '1000', interval: '200' } })
    const result = handle.result().then(() => undefined, (err: Error) => err)
    await peer.stop()
    assert.is((await result)?.name, 'PeerStoppedError', 'the result of a stopped peer rejects')
  } finally {
    await peer.stop()
    rmSync(root, { recursive: true, force: true })
  }
})

test.run()
