/**
 * MemoryRaftStorage: the RaftStorage contract (hard state, append, truncate-then-append).
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { MemoryRaftStorage } from '../../../../node/cluster/raft/raft-storage.ts'
import type { LogEntry } from '../../../../protocol/raft.ts'

const MemoryRaftStorageSuite = suite('MemoryRaftStorage')

const e = (index: number, term: number): LogEntry => ({ index, term, type: 'command', command: `${index}@${term}` })

MemoryRaftStorageSuite('loads nothing before the first save', async () => {
  assert.equal(await new MemoryRaftStorage().load(), { hardState: undefined, entries: [] })
})

MemoryRaftStorageSuite('keeps the hard state until a new one is given, and appends entries', async () => {
  const s = new MemoryRaftStorage()
  await s.save({ term: 2, votedFor: 'a' }, [e(1, 1), e(2, 2)], undefined)
  await s.save(undefined, [e(3, 2)], undefined)
  assert.equal(await s.load(), { hardState: { term: 2, votedFor: 'a' }, entries: [e(1, 1), e(2, 2), e(3, 2)] })
})

MemoryRaftStorageSuite('drops entries from truncateFrom before appending', async () => {
  const s = new MemoryRaftStorage()
  await s.save({ term: 2, votedFor: undefined }, [e(1, 1), e(2, 2), e(3, 2)], undefined)
  await s.save({ term: 3, votedFor: undefined }, [e(2, 3)], 2)
  assert.equal((await s.load()).entries, [e(1, 1), e(2, 3)])
  await s.save(undefined, [], 2)
  assert.equal((await s.load()).entries, [e(1, 1)])
})

MemoryRaftStorageSuite('rejects a gap and changes nothing', async () => {
  const s = new MemoryRaftStorage()
  await s.save({ term: 1, votedFor: undefined }, [e(1, 1)], undefined)
  try {
    await s.save({ term: 9, votedFor: undefined }, [e(3, 9)], undefined)
    assert.unreachable()
  } catch (err) {
    assert.instance(err, RangeError)
  }
  assert.equal(await s.load(), { hardState: { term: 1, votedFor: undefined }, entries: [e(1, 1)] })
})

MemoryRaftStorageSuite('returns a copy that later saves do not change', async () => {
  const s = new MemoryRaftStorage()
  await s.save(undefined, [e(1, 1)], undefined)
  const loaded = await s.load()
  await s.save(undefined, [e(2, 1)], undefined)
  assert.is(loaded.entries.length, 1)
})

MemoryRaftStorageSuite.run()
