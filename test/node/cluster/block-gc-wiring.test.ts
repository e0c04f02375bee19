// The peers' garbage collector on real job state (in-process peers): after a checkpointed
// job ended, its checkpoint blocks are collected while a savepoint's stay readable on the
// mesh, and deleting the savepoint lets them go too.
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Peer, PeerInit } from '../../../node/cluster/peer.ts'
import { agreed, startPeers, waitFor } from './fixtures/peers.ts'
import { parseCid } from '../../../protocol/cid.ts'
import { decodeManifest, manifestReferences } from '../../../node/runtime/checkpoint-manifest.ts'

const test = suite('JobService garbage collection')
const JOB = new URL('../../cluster/fixtures/checkpointed-job.ts', import.meta.url)
/** Blocks are collectable as soon as nothing references them. */
const NO_GRACE: Partial<PeerInit> = { storage: { gcGraceMs: 0, restampAfterMs: 0 } }


/** Whether some peer holds the block. */
async function held (peers: Peer[], cid: string): Promise<boolean> {
  for (const p of peers) if (await p.jobService.blocks.has(parseCid(cid))) return true
  return false
}

test("collects the blocks of an ended job, keeps a savepoint's until it is deleted", async () => {
  const root = mkdtempSync(join(tmpdir(), 'meshflow-gc-'))
  const peers = await startPeers(root, 2, NO_GRACE)
  try {
    await agreed(peers)
    const handle = await peers[0]!.submit(JOB, { parallelism: 2, args: { out: join(root, 'out'), count: '12000', rate: '8000', interval: '100' } })
    await waitFor('two checkpoints', () => (peers[0]!.jobs().find(j => j.id === handle.id)?.checkpoints?.completed ?? 0) >= 2)
    const sp = await handle.savepoint('keep')
    assert.equal((await handle.result()).state, 'FINISHED')
    const job = peers[0]!.jobService.registry.job(handle.id)!
    const last = job.retained.at(-1)!
    assert.ok(last.checkpointId > sp.checkpointId, 'checkpoints went on after the savepoint')
    const lastRefs = manifestReferences(decodeManifest((await peers[0]!.jobService.blocks.get(parseCid(last.cid)))!))
    const spRefs = manifestReferences(decodeManifest((await peers[0]!.jobService.blocks.get(parseCid(sp.cid))) ?? (await peers[1]!.jobService.blocks.get(parseCid(sp.cid)))!))

    let deleted = 0
    for (const p of peers) deleted += (await p.jobService.collectGarbage()).deleted
    assert.ok(deleted > 0, 'the ended job\'s blocks were collected')
    assert.ok(await held(peers, sp.cid), 'the savepoint manifest is kept')
    for (const cid of spRefs) assert.ok(await held(peers, cid), `the savepoint's chunk ${cid} is kept`)
    assert.not.ok(await held(peers, last.cid), 'the last checkpoint of the ended job is collected')
    for (const cid of lastRefs) if (!spRefs.includes(cid)) assert.not.ok(await held(peers, cid), `chunk ${cid} is collected`)

    await peers[0]!.deleteSavepoint('keep')
    await waitFor('the savepoint deleted everywhere', () => peers.every(p => p.savepoints().length === 0))
    for (const p of peers) await p.jobService.collectGarbage()
    assert.not.ok(await held(peers, sp.cid), 'a deleted savepoint is collected')
  } finally {
    for (const p of peers) await p.stop()
    rmSync(root, { recursive: true, force: true })
  }
})

test.run()
