// The JobService's fencing of checkpoint triggers against the peer's real Raft view
// (DESIGN §5): after a leader is deposed, a trigger stamped with its old term — sent in its
// own name, on its own connection — is refused by every TaskManager.
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { agreed, startPeers, waitFor } from './fixtures/peers.ts'

const test = suite('JobService fencing')

test('a trigger of a deposed leader\'s term is refused; one of the current leader in its term is accepted (no job: not triggered)', async () => {
  const root = mkdtempSync(join(tmpdir(), 'meshflow-fencing-'))
  const peers = await startPeers(root, 3)
  try {
    await agreed(peers)
    const old = peers.find(p => p.isLeader)!
    const token = old.fencingToken!
    assert.is(token.leaderId, old.id)
    // a graceful stop hands leadership over: a new term with another leader
    await old.stop()
    const rest = peers.filter(p => p !== old)
    await waitFor('a new leader known to both', () => rest.some(p => p.isLeader) && rest.every(p => p.leaderId !== undefined && p.term > token.term))
    const leader = rest.find(p => p.isLeader)!
    const follower = rest.find(p => !p.isLeader)!
    const trigger = { type: 'trigger-checkpoint', id: 7, jobId: 'job', attempt: 0, checkpointId: 5, kind: 'checkpoint' } as const
    const stale = await follower.jobService.answer({ ...trigger, term: token.term, leaderId: token.leaderId }, { from: old.id })
    assert.equal(stale?.type === 'error-response' ? [stale.code, stale.retriable] : stale, ['forbidden', false])
    assert.match(stale?.type === 'error-response' ? stale.message : '', new RegExp(`Rejected a command of leader ${old.id} in term ${token.term}: term ${follower.term} \\(leader ${leader.id}\\) is newer`))
    const current = await follower.jobService.answer({ ...trigger, term: follower.term, leaderId: leader.id }, { from: leader.id })
    assert.equal(current, { type: 'trigger-checkpoint-response', id: 7, accepted: false, lastCheckpointId: 0 })
    // once the new term was accepted, the old one stays refused
    const again = await follower.jobService.answer({ ...trigger, term: token.term, leaderId: token.leaderId }, { from: old.id })
    assert.is(again?.type === 'error-response' ? again.code : again?.type, 'forbidden')
  } finally {
    for (const p of peers) await p.stop()
    rmSync(root, { recursive: true, force: true })
  }
})

test.run()
