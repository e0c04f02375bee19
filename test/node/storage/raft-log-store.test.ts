import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PeerStore } from '../../../node/storage/peer-store.ts'
import { RaftLogStore } from '../../../node/storage/raft-log-store.ts'
import type { LogEntry } from '../../../protocol/raft.ts'

const raftLog = suite('RaftLogStore')
let dir = ''
raftLog.before.each(() => { dir = mkdtempSync(join(tmpdir(), 'meshflow-raftlog-')) })
raftLog.after.each(() => { rmSync(dir, { recursive: true, force: true }) })

const entry = (index: number, term: number, command: unknown = { n: index }): LogEntry => ({ index, term, type: 'command', command })

raftLog('starts empty at term 0 without a vote', async () => {
  const store = await PeerStore.open(dir)
  assert.equal(await new RaftLogStore(store).load(), { hardState: { term: 0, votedFor: undefined }, entries: [] })
  await store.close()
})

raftLog('keeps term, vote and entries across a reopen, in index order past 255', async () => {
  const store = await PeerStore.open(dir)
  const log = new RaftLogStore(store)
  const entries: LogEntry[] = [{ index: 1, term: 1, type: 'config', config: { voters: ['a', 'b'], learners: [] } }]
  for (let i = 2; i <= 300; i++) entries.push(entry(i, 1))
  await log.save({ term: 2, votedFor: 'b' }, entries, undefined)
  await store.close()
  const again = await PeerStore.open(dir)
  const loaded = await new RaftLogStore(again).load()
  assert.equal(loaded.hardState, { term: 2, votedFor: 'b' })
  assert.equal(loaded.entries, entries)
  await again.close()
})

raftLog('truncates a conflicting suffix before appending', async () => {
  const store = await PeerStore.open(dir)
  const log = new RaftLogStore(store)
  await log.save({ term: 1, votedFor: undefined }, [entry(1, 1), entry(2, 1), entry(3, 1), entry(4, 1)], undefined)
  await log.save({ term: 2, votedFor: 'x' }, [entry(3, 2, 'new')], 3)
  const loaded = await log.load()
  assert.equal(loaded.entries, [entry(1, 1), entry(2, 1), entry(3, 2, 'new')])
  assert.equal(loaded.hardState, { term: 2, votedFor: 'x' })
  await store.close()
})

raftLog('writes a snapshot with the compaction behind it, and loads both after a reopen', async () => {
  const store = await PeerStore.open(dir)
  const log = new RaftLogStore(store)
  const entries: LogEntry[] = [{ index: 1, term: 1, type: 'config', config: { voters: ['a'], learners: [] } }]
  for (let i = 2; i <= 50; i++) entries.push(entry(i, 1))
  await log.save({ term: 1, votedFor: 'a' }, entries, undefined)
  const snapshot = { meta: { index: 40, term: 1, config: { voters: ['a'], learners: ['b'] } }, data: new Uint8Array([1, 2, 3]) }
  await log.saveSnapshot(snapshot, 38)
  await store.close()
  const again = await PeerStore.open(dir)
  const loaded = await new RaftLogStore(again).load()
  assert.equal(loaded.snapshot, snapshot)
  assert.equal(loaded.entries.map(e => e.index), Array.from({ length: 13 }, (_, i) => 38 + i))
  // an installed snapshot replaces the whole log
  await new RaftLogStore(again).saveSnapshot({ ...snapshot, meta: { ...snapshot.meta, index: 90, term: 3 } }, undefined)
  const replaced = await new RaftLogStore(again).load()
  assert.equal(replaced.entries, [])
  assert.is(replaced.snapshot?.meta.index, 90)
  await new RaftLogStore(again).save(undefined, [entry(91, 3)], undefined)
  assert.equal((await new RaftLogStore(again).load()).entries, [entry(91, 3)])
  await again.close()
})

async function rejectsWith (p: Promise<unknown>, name: string, pattern: RegExp): Promise<void> {
  try {
    await p
  } catch (err) {
    assert.is((err as Error).name, name)
    assert.match((err as Error).message, pattern)
    return
  }
  assert.unreachable(`resolved instead of failing with ${name}`)
}

raftLog('refuses a corrupt snapshot record and a log with a gap after its snapshot', async () => {
  const store = await PeerStore.open(dir)
  const log = new RaftLogStore(store)
  await store.putMeta('raft-snapshot', new Uint8Array([0xa1, 0x61]))
  await rejectsWith(log.load(), 'CorruptRecordError', /Raft snapshot/)
  await log.saveSnapshot({ meta: { index: 10, term: 2, config: { voters: ['a'], learners: [] } }, data: new Uint8Array(0) }, undefined)
  await log.save(undefined, [entry(11, 2)], undefined)
  assert.is((await log.load()).entries.length, 1)
  await log.saveSnapshot({ meta: { index: 5, term: 2, config: { voters: ['a'], learners: [] } }, data: new Uint8Array(0) }, 0)
  await rejectsWith(log.load(), 'CorruptRecordError', /after a gap behind the snapshot at 5/)
  await store.close()
})

raftLog.run()
