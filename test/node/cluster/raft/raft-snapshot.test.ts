/**
 * RaftCore snapshots, one behaviour at a time on a hand-driven network (raft-cluster.ts):
 * compaction behind a snapshot, a chunked InstallSnapshot to a follower left behind, a
 * restart from a snapshot, a restart in the middle of an install, and a lost chunk.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import type { RaftEnvelope } from '../../../../protocol/raft.ts'
import { Cluster } from '../raft-cluster.ts'
import { STALLED_HEARTBEATS } from '../../../../node/cluster/raft/snapshot-transfer.ts'

const Snapshots = suite('RaftCore snapshots')

const ABC = ['a', 'b', 'c']

/** The state machine of these tests: the applied commands, as bytes (long enough for several chunks). */
function stateOf (c: Cluster, id: string): Uint8Array {
  const restored = c.restored(id)
  const base = restored === undefined ? [] : (JSON.parse(new TextDecoder().decode(restored.data)) as string[])
  const applied = c.applied(id).flatMap(e => e.type === 'command' ? [String(e.command)] : [])
  return new TextEncoder().encode(JSON.stringify([...base, ...applied]))
}

function commands (bytes: Uint8Array): string[] {
  return JSON.parse(new TextDecoder().decode(bytes)) as string[]
}

const isInstall = (to: string) => (m: RaftEnvelope): boolean => m.to === to && m.message.type === 'install-snapshot'
const installs = (c: Cluster, to: string): Extract<RaftEnvelope['message'], { type: 'install-snapshot' }>[] =>
  c.sent.flatMap(m => m.to === to && m.message.type === 'install-snapshot' ? [m.message] : [])

/** A 3-voter cluster where `a` leads and committed `n` commands that `c` never saw (it was cut off). */
function lagging (n: number, options: { snapshotMargin?: number, snapshotChunkBytes?: number, snapshotChunksInFlight?: number } = {}): Cluster {
  const c = new Cluster({ voters: ABC, snapshotMargin: 2, snapshotChunkBytes: 16, snapshotChunksInFlight: 2, ...options })
  c.elect('a')
  c.tickAll(1)
  c.isolate('c')
  for (let i = 0; i < n; i++) c.core('a').propose(`cmd-${i}`)
  c.deliver()
  c.tick('a')
  c.deliver()
  return c
}

Snapshots('createSnapshot compacts the log behind it, keeping the margin, and the Ready persists it first', () => {
  const c = lagging(20)
  const a = c.core('a')
  const applied = a.appliedIndex
  assert.is(applied, 22) // config, no-op, 20 commands
  assert.throws(() => a.createSnapshot(applied + 1, new Uint8Array([1])), (err: Error) => err.name === 'RangeError')
  assert.ok(a.createSnapshot(applied, stateOf(c, 'a')))
  assert.not.ok(a.createSnapshot(applied, stateOf(c, 'a')), 'a second snapshot at the same index is refused')
  assert.is(a.firstIndex, applied - 2 + 1)
  assert.is(a.entry(applied - 2), undefined)
  assert.is(a.entry(applied - 1)?.index, applied - 1)
  assert.equal(a.snapshotMeta, { index: applied, term: a.term, config: { voters: ABC, learners: [] } })
  c.flush('a')
  const disk = c.disk('a')
  assert.is(disk.snapshot?.meta.index, applied)
  // storage keeps the sentinel entry (for its term) and the margin after it
  assert.equal(disk.entries.map(e => e.index), [applied - 2, applied - 1, applied])
  // the leader keeps replicating to b from the compacted log
  a.propose('after')
  c.deliver()
  c.tick('a')
  c.deliver()
  assert.is(c.core('b').commitIndex, applied + 1)
})

Snapshots('a follower whose next entry was compacted gets the snapshot in chunks and then only the tail', () => {
  const c = lagging(30)
  const a = c.core('a')
  const snapIndex = a.appliedIndex
  const state = stateOf(c, 'a')
  a.createSnapshot(snapIndex, state)
  a.propose('tail-1')
  a.propose('tail-2')
  c.heal()
  c.deliver()
  for (let i = 0; i < 10 && c.core('c').commitIndex < a.lastIndex; i++) c.tickAll(1)
  const chunks = installs(c, 'c')
  assert.ok(chunks.length >= Math.ceil(state.byteLength / 16), `the snapshot went in chunks of 16 bytes (${chunks.length} messages for ${state.byteLength} bytes)`)
  assert.ok(chunks.every(m => m.data.byteLength <= 16))
  assert.equal(c.restored('c')?.data, state)
  assert.is(c.restored('c')?.meta.index, snapIndex)
  // c applied nothing between what it had before it was cut off and the snapshot
  assert.equal(c.applied('c').map(e => e.index), [1, 2, snapIndex + 1, snapIndex + 2])
  assert.is(c.core('c').commitIndex, a.commitIndex)
  assert.equal(commands(stateOf(c, 'c')), commands(stateOf(c, 'a')))
  // c's disk: the snapshot and the entries after it, nothing of its old log
  assert.is(c.disk('c').snapshot?.meta.index, snapIndex)
  assert.equal(c.disk('c').entries.map(e => e.index), [snapIndex + 1, snapIndex + 2])
  assert.is(a.progress('c')?.state, 'replicate')
  assert.is(a.progress('c')?.match, a.lastIndex)
})

Snapshots('a restarted node loads its snapshot and replays only the entries after it', () => {
  const c = lagging(10)
  c.heal()
  c.tickAll(3)
  const snapIndex = c.core('b').appliedIndex
  assert.ok(c.core('b').createSnapshot(snapIndex, stateOf(c, 'b')))
  c.flush('b')
  c.core('a').propose('later')
  c.tickAll(2)
  const before = commands(stateOf(c, 'b'))
  c.crash('b')
  c.restart('b')
  const b = c.core('b')
  assert.is(b.commitIndex, snapIndex, 'the snapshot is committed')
  assert.is(b.appliedIndex, snapIndex)
  assert.is(c.restored('b')?.meta.index, snapIndex)
  c.tickAll(3)
  assert.equal(c.applied('b').map(e => e.index), [snapIndex + 1], 'only the tail is applied again')
  assert.equal(commands(stateOf(c, 'b')), before)
})

Snapshots('a follower restarted in the middle of an install starts over cleanly and completes', () => {
  const c = lagging(40)
  const a = c.core('a')
  const state = stateOf(c, 'a')
  a.createSnapshot(a.appliedIndex, state)
  c.heal()
  // deliver a's messages to c until c holds part of the snapshot, then crash c
  c.deliver(m => m.to !== 'c' || m.message.type !== 'install-snapshot')
  for (let i = 0; i < 5 && installs(c, 'c').length === 0; i++) { c.tick('a'); c.deliver(m => !isInstall('c')(m)) }
  assert.ok(c.deliver(isInstall('c'), 2) === 2, 'c received the first chunks')
  c.deliver(m => m.to === 'a')
  assert.ok((a.progress('c') as { state: string }).state === 'snapshot')
  c.crash('c')
  assert.is(c.disk('c').snapshot, undefined, 'nothing of a half-received snapshot is on disk')
  c.restart('c')
  const sentBefore = installs(c, 'c').length
  // the leader hears "0 bytes" from the restarted c, or stalls and resends from there
  for (let i = 0; i < 3 * STALLED_HEARTBEATS && c.restored('c') === undefined; i++) c.tickAll(1)
  const resent = installs(c, 'c').slice(sentBefore)
  assert.ok(resent.some(m => m.offset === 0), 'the transfer started over from byte 0')
  assert.equal(c.restored('c')?.data, state)
  c.tickAll(2)
  assert.is(c.core('c').commitIndex, a.commitIndex)
})

Snapshots('a lost chunk is resent from where the follower stopped', () => {
  const c = lagging(40, { snapshotChunksInFlight: 3 })
  const a = c.core('a')
  const state = stateOf(c, 'a')
  a.createSnapshot(a.appliedIndex, state)
  c.heal()
  // lose the second chunk ever sent to c
  let seen = 0
  for (let i = 0; i < 40 && c.restored('c') === undefined; i++) {
    c.tick('a')
    c.deliver(m => {
      if (isInstall('c')(m) && ++seen === 2) {
        c.drop(x => x === m)
        return false
      }
      return true
    })
  }
  assert.equal(c.restored('c')?.data, state)
  const offsets = installs(c, 'c').map(m => m.offset)
  assert.ok(offsets.filter(o => o === 16).length >= 2, `the lost chunk at byte 16 went again: ${offsets.join(',')}`)
})

Snapshots('a follower that holds the snapshot\'s last entry only commits it, without a restore', () => {
  const c = lagging(5)
  const a = c.core('a')
  // c catches up with entries first, then hears of a snapshot it does not need
  c.heal()
  c.tickAll(3)
  const index = a.appliedIndex
  c.core('c').step({ from: 'a', to: 'c', message: { type: 'install-snapshot', term: a.term, leaderId: 'a', meta: { index, term: a.term, config: a.configuration }, size: 3, offset: 0, data: new Uint8Array(3) } })
  c.flush('c')
  assert.is(c.restored('c'), undefined)
  const answer = c.queue.find(m => m.from === 'c' && m.message.type === 'install-snapshot-response')
  assert.equal(answer?.message, { type: 'install-snapshot-response', term: a.term, index, received: 3, done: true })
})

Snapshots.run()
