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

raftLog.run()
