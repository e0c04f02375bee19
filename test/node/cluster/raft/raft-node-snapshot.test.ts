/**
 * RaftNode with a state machine: it snapshots every `snapshotEvery` applied entries through
 * the storage (snapshot first, then the compaction), and a node restarted on that storage
 * hands the snapshot to the state machine and emits only the entries after it.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { RaftNode } from '../../../../node/cluster/raft/raft-node.ts'
import { MemoryRaftStorage } from '../../../../node/cluster/raft/raft-storage.ts'
import type { RaftStateMachine } from '../../../../node/cluster/raft/types.ts'

const NodeSnapshots = suite('RaftNode snapshots')

async function waitFor (what: string, condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, 5))
  }
}

/** A state machine that keeps the applied commands. */
class Commands implements RaftStateMachine {
  commands: string[] = []
  restores: number[] = []
  snapshot (): Uint8Array { return new TextEncoder().encode(JSON.stringify(this.commands)) }
  restore (data: Uint8Array, index: number): void {
    this.commands = JSON.parse(new TextDecoder().decode(data)) as string[]
    this.restores.push(index)
  }
}

function single (storage: MemoryRaftStorage, sm: Commands): RaftNode {
  const node = new RaftNode({ storage, transport: { send: () => {} }, stateMachine: sm }, { id: 'a', tickMs: 5, snapshotEvery: 5, snapshotMargin: 1 })
  node.addEventListener('committed', e => { if (e.detail.type === 'command') sm.commands.push(String(e.detail.command)) })
  return node
}

NodeSnapshots('snapshots every snapshotEvery entries and restarts from the snapshot, replaying only the tail', async () => {
  const storage = new MemoryRaftStorage()
  const sm = new Commands()
  const node = single(storage, sm)
  const taken: number[] = []
  node.addEventListener('snapshot', e => { taken.push(e.detail.index) })
  await node.start()
  await node.bootstrap({ voters: ['a'], learners: [] })
  await waitFor('leadership', () => node.role === 'leader')
  for (let i = 0; i < 12; i++) await node.propose(`c${i}`)
  await waitFor('a snapshot', () => taken.length >= 2)
  const { snapshot, entries } = await storage.load()
  assert.ok(snapshot !== undefined && snapshot.meta.index === node.snapshotIndex)
  assert.is(entries[0]?.index, node.snapshotIndex - 1, 'the log is compacted behind the snapshot, keeping the margin')
  await node.stop()

  const sm2 = new Commands()
  const again = single(storage, sm2)
  const emitted: number[] = []
  again.addEventListener('committed', e => { emitted.push(e.detail.index) })
  await again.start()
  assert.equal(sm2.restores, [snapshot.meta.index], 'the state machine got the snapshot on start')
  await waitFor('leadership again', () => again.role === 'leader' && again.commitIndex > snapshot.meta.index)
  await again.propose('after')
  assert.ok(emitted.every(i => i > snapshot.meta.index), `only entries after ${snapshot.meta.index} are emitted: ${emitted.join(',')}`)
  assert.equal(sm2.commands, [...sm.commands, 'after'])
  await again.stop()
})

NodeSnapshots('a state machine that cannot restore its snapshot stops the start with its error', async () => {
  const storage = new MemoryRaftStorage()
  await storage.saveSnapshot({ meta: { index: 3, term: 1, config: { voters: ['a'], learners: [] } }, data: new Uint8Array([1]) }, undefined)
  const broken: RaftStateMachine = { snapshot: () => new Uint8Array(0), restore: () => { throw new Error('Bad snapshot bytes') } }
  const node = new RaftNode({ storage, transport: { send: () => {} }, stateMachine: broken }, { id: 'a', tickMs: 5 })
  try {
    await node.start()
    assert.unreachable('started')
  } catch (err) {
    assert.is((err as Error).message, 'Bad snapshot bytes')
  }
  assert.not.ok(node.isStarted)
})

NodeSnapshots.run()
