// A restarting job waits for the peers it needs (in-process peers): when the only peer with
// the label its source needs leaves, the job stays RESTARTING instead of failing, and runs
// again — from its checkpoint, with exact output — once a peer with that label joins.
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Peer } from '../../../node/cluster/peer.ts'
import { agreed, startPeer, waitFor } from './fixtures/peers.ts'
import { committedLines, expectedWindows } from '../../cluster/fixtures/checkpointed-output.ts'

const test = suite('JobManager restarts')
const JOB = new URL('../../cluster/fixtures/checkpointed-job.ts', import.meta.url)
const COUNT = 16_000


test('a job whose labelled peer left waits in RESTARTING and resumes when such a peer joins', async () => {
  const root = mkdtempSync(join(tmpdir(), 'meshflow-restart-'))
  const cloud = await startPeer(root, 'cloud')
  const peers: Peer[] = [cloud]
  try {
    // three voters: the edge peer leaving keeps a quorum
    peers.push(await startPeer(root, 'cloud-2', cloud))
    const edge = await startPeer(root, 'edge', cloud, { labels: { tier: 'edge' } })
    peers.push(edge)
    await agreed(peers)
    // submitted through a cloud peer: a handle is only as alive as the peer it came from
    const submitter = peers.find(p => p !== edge)!
    const out = join(root, 'out')
    const handle = await submitter.submit(JOB, { parallelism: 1, args: { out, count: String(COUNT), rate: '6000', interval: '100', edge: 'edge' } })
    const watcher = peers.find(p => p !== edge)!
    const job = (): ReturnType<Peer['jobs']>[number] | undefined => watcher.jobs().find(j => j.id === handle.id)
    await waitFor('a checkpoint', () => (job()?.checkpoints?.completed ?? 0) >= 2)

    await edge.stop()
    peers.splice(peers.indexOf(edge), 1)
    await waitFor('the job restarting', () => job()?.state === 'RESTARTING')
    // no peer has the label: it keeps waiting rather than failing
    await new Promise(resolve => setTimeout(resolve, 2_500))
    assert.is(job()?.state, 'RESTARTING')

    const again = await startPeer(root, 'edge-2', cloud, { labels: { tier: 'edge' } })
    peers.push(again)
    assert.equal(await handle.result(), { state: 'FINISHED', error: undefined })
    const info = job()!
    assert.is(info.restarts, 1)
    assert.ok(info.restoreHistory![0]!.checkpointId !== null, 'restored from a checkpoint')
    assert.ok(info.tasks.some(t => t.peer === again.id), 'the source runs on the new edge peer')
    assert.equal(committedLines(out), expectedWindows(COUNT))
  } finally {
    for (const p of peers) await p.stop()
    rmSync(root, { recursive: true, force: true })
  }
})

test.run()
