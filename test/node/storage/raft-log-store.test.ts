import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PeerStore } from '../../../node/storage/peer-store.ts'
import { RaftLogStore } from '../../../node/storage/raft-log-store.ts'
import type { LogEntry } from '../../../protocol/raft.ts'
import { encodeCbor } from '../../../protocol/cbor.ts'

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

async function damage (run: (store: PeerStore) => Promise<void>, expected: RegExp): Promise<void> {
  const store = await PeerStore.open(dir)
  try {
    await run(store)
    await new RaftLogStore(store).load()
    assert.unreachable('loaded a damaged Raft state')
  } catch (err) {
    assert.is((err as Error).name, 'RaftStateDamagedError')
    assert.match((err as Error).message, `The Raft state in ${dir} is damaged`)
    assert.match((err as Error).message, expected)
  } finally {
    await store.close()
  }
}

raftLog('load refuses a log with a gap, an undecodable entry, a misfiled entry, or a term above the current one', async () => {
  await damage(async store => {
    await new RaftLogStore(store).save({ term: 1, votedFor: undefined }, [entry(1, 1), entry(2, 1), entry(3, 1)], undefined)
    await store.db.delete('@meshflow/raft-log', { index: 2 })
    await store.db.flush()
  }, /no entry 2/)
  rmSync(dir, { recursive: true, force: true })
  await damage(async store => {
    await new RaftLogStore(store).save({ term: 1, votedFor: undefined }, [entry(1, 1), entry(2, 1)], undefined)
    await store.db.insert('@meshflow/raft-log', { index: 2, term: 1, data: Buffer.from([0xff, 0x00, 0x13]) })
    await store.db.flush()
  }, /entry 2 does not decode/)
  rmSync(dir, { recursive: true, force: true })
  await damage(async store => {
    await new RaftLogStore(store).save({ term: 2, votedFor: undefined }, [entry(1, 1)], undefined)
    await store.db.insert('@meshflow/raft-log', { index: 2, term: 2, data: Buffer.from(encodeCbor(entry(3, 2))) })
    await store.db.flush()
  }, /entry 2 holds index 3/)
  rmSync(dir, { recursive: true, force: true })
  await damage(async store => {
    await new RaftLogStore(store).save({ term: 3, votedFor: 'a' }, [entry(1, 1), entry(2, 3)], undefined)
    // the hard state lost: the term went back to an older one
    await store.db.insert('@meshflow/raft-state', { key: 'hard', term: 2 })
    await store.db.flush()
  }, /above the current term 2/)
})

raftLog('wipe drops term, vote and log but keeps the rest of the store, and marks a repair until finishRepair', async () => {
  const store = await PeerStore.open(dir)
  await store.putMeta('identity', new Uint8Array([7]))
  const log = new RaftLogStore(store)
  await log.save({ term: 4, votedFor: 'b' }, [entry(1, 1), entry(2, 3), entry(3, 4)], undefined)
  assert.not.ok(await log.isRepairing())
  assert.is(await log.wipe(), 3)
  assert.equal(await log.load(), { hardState: { term: 0, votedFor: undefined }, entries: [] })
  assert.equal(await store.getMeta('identity'), new Uint8Array([7]))
  assert.ok(await log.isRepairing())
  // caught up again in term 5 under leader 'c': the repair ends and the term's vote is pinned to 'c'
  await log.save({ term: 5, votedFor: undefined }, [entry(1, 1), entry(2, 3), entry(3, 4), entry(4, 5)], undefined)
  await log.finishRepair(5, 'c')
  assert.not.ok(await log.isRepairing())
  assert.equal((await log.load()).hardState, { term: 5, votedFor: 'c' })
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
  await new RaftLogStore(again).save({ term: 3, votedFor: 'a' }, [entry(91, 3)], undefined)
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
  await rejectsWith(log.load(), 'RaftStateDamagedError', /the snapshot cannot be read/)
  await log.saveSnapshot({ meta: { index: 10, term: 2, config: { voters: ['a'], learners: [] } }, data: new Uint8Array(0) }, undefined)
  await log.save({ term: 2, votedFor: undefined }, [entry(11, 2)], undefined)
  assert.is((await log.load()).entries.length, 1)
  await log.saveSnapshot({ meta: { index: 5, term: 2, config: { voters: ['a'], learners: [] } }, data: new Uint8Array(0) }, 0)
  await rejectsWith(log.load(), 'RaftStateDamagedError', /the log starts at entry 11, after a gap behind the snapshot at 5/)
  await store.close()
})

raftLog.run()
