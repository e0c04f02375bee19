/**
 * RaftNode: the driver with real timers, MemoryRaftStorage and an in-process transport
 * that delivers each message after a millisecond.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { RaftNode } from '../../../../node/cluster/raft/raft-node.ts'
import { MemoryRaftStorage } from '../../../../node/cluster/raft/raft-storage.ts'
import type { LogEntry, NodeId, RaftEnvelope } from '../../../../protocol/raft.ts'

const RaftNodeSuite = suite('RaftNode')

const TICK_MS = 10

async function waitFor (what: string, condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, 5))
  }
}

class TestCluster {
  readonly nodes = new Map<NodeId, RaftNode>()
  readonly storages = new Map<NodeId, MemoryRaftStorage>()
  readonly committed = new Map<NodeId, LogEntry[]>()
  /** Nodes whose messages, both ways, are lost. */
  readonly cut = new Set<NodeId>()
  readonly #timers = new Set<ReturnType<typeof setTimeout>>()
  readonly ids: readonly NodeId[]
  readonly electionTicks: number

  constructor (ids: readonly NodeId[], electionTicks = 10) {
    this.ids = ids
    this.electionTicks = electionTicks
    for (const id of ids) {
      this.storages.set(id, new MemoryRaftStorage())
      this.add(id)
    }
  }

  /** (Re)creates the node of `id` on its storage. */
  add (id: NodeId): RaftNode {
    const transport = {
      send: (env: RaftEnvelope) => {
        if (this.cut.has(env.from) || this.cut.has(env.to)) return
        const t = setTimeout(() => {
          this.#timers.delete(t)
          this.nodes.get(env.to)?.receive(env)
        }, 1)
        this.#timers.add(t)
      }
    }
    const node = new RaftNode({ storage: this.storages.get(id)!, transport }, { id, tickMs: TICK_MS, electionTicks: this.electionTicks })
    this.nodes.set(id, node)
    this.committed.set(id, [])
    node.addEventListener('committed', e => { this.committed.get(id)?.push(e.detail) })
    return node
  }

  node (id: NodeId): RaftNode {
    const node = this.nodes.get(id)
    if (node === undefined) throw new Error(`No node ${id}`)
    return node
  }

  async start (): Promise<void> {
    for (const node of this.nodes.values()) {
      await node.start()
      await node.bootstrap({ voters: [...this.ids], learners: [] })
    }
  }

  /** The single leader that every running node (of `among`) agrees on. */
  async leader (among: readonly NodeId[] = [...this.nodes.keys()]): Promise<RaftNode> {
    let leader: RaftNode | undefined
    await waitFor('an agreed leader', () => {
      const running = among.flatMap(id => this.nodes.get(id)?.isStarted === true ? [this.node(id)] : [])
      const leaders = running.filter(n => n.role === 'leader')
      const first = leaders[0]
      leader = first
      return first !== undefined && leaders.length === 1 && running.every(n => n.leaderId === first.id && n.term === first.term)
    })
    return leader!
  }

  async stop (): Promise<void> {
    for (const node of this.nodes.values()) await node.stop()
    for (const t of this.#timers) clearTimeout(t)
    this.#timers.clear()
  }
}

function commands (entries: readonly LogEntry[]): unknown[] {
  return entries.flatMap(e => e.type === 'command' ? [e.command] : [])
}

RaftNodeSuite('three nodes elect one leader and tell it through leader-change events', async () => {
  const c = new TestCluster(['a', 'b', 'c'])
  const seen = new Map<NodeId, NodeId | undefined>()
  for (const [id, node] of c.nodes) node.addEventListener('leader-change', e => { seen.set(id, e.detail.leaderId) })
  try {
    await c.start()
    const leader = await c.leader()
    await waitFor('leader-change events', () => c.ids.every(id => seen.get(id) === leader.id))
    assert.equal(leader.fencingToken, { term: leader.term, leaderId: leader.id })
  } finally {
    await c.stop()
  }
})

RaftNodeSuite('propose resolves once committed and every node applies the command; followers refuse with the leader id', async () => {
  const c = new TestCluster(['a', 'b', 'c'])
  try {
    await c.start()
    const leader = await c.leader()
    const pos = await leader.propose({ op: 'submit', job: 1 })
    assert.ok(pos.index > 1)
    assert.ok(leader.commitIndex >= pos.index)
    await waitFor('every node applied the command', () => c.ids.every(id => commands(c.committed.get(id) ?? []).length === 1))
    for (const id of c.ids) assert.equal(commands(c.committed.get(id) ?? []), [{ op: 'submit', job: 1 }])
    const follower = [...c.nodes.values()].find(n => n !== leader)!
    try {
      await follower.propose('x')
      assert.unreachable('a follower accepted a proposal')
    } catch (err) {
      assert.is((err as Error).name, 'NotLeaderError')
      assert.is((err as { leaderId?: string }).leaderId, leader.id)
    }
  } finally {
    await c.stop()
  }
})

RaftNodeSuite('after transferLeadership, stopping the old leader leaves a new leader at once', async () => {
  // "at once": the transfer's own election makes the new leader, not an election timeout
  // (which always starts with a pre-vote); how fast is test/bench/failover.ts's business
  const c = new TestCluster(['a', 'b', 'c'], 30)
  try {
    await c.start()
    const old = await c.leader()
    await old.propose('before')
    const term = old.term
    const roles: string[] = []
    for (const node of c.nodes.values()) node.addEventListener('state-change', e => { roles.push(`${node.id} ${e.detail.role} ${e.detail.term}`) })
    const to = await old.transferLeadership()
    await old.stop()
    c.nodes.delete(old.id)
    const leader = await c.leader()
    assert.is(leader.id, to)
    assert.is(leader.term, term + 1, 'one election, the transfer\'s')
    assert.not.ok(roles.some(r => r.includes(' pre-candidate ')), `no election timeout ran out: ${roles.join(', ')}`)
    await leader.propose('after')
    await waitFor('the remaining node applied both', () => [...c.nodes.keys()].every(id => commands(c.committed.get(id) ?? []).length === 2))
  } finally {
    await c.stop()
  }
})

RaftNodeSuite('a restarted node keeps its term and log and re-applies the committed entries', async () => {
  const c = new TestCluster(['a', 'b', 'c'])
  try {
    await c.start()
    const leader = await c.leader()
    await leader.propose('kept')
    const follower = [...c.nodes.values()].find(n => n !== leader)!
    await waitFor('the follower applied it', () => commands(c.committed.get(follower.id) ?? []).length === 1)
    const term = follower.term
    await follower.stop()
    await follower.stop() // twice is fine
    const again = c.add(follower.id)
    await again.start()
    assert.ok(again.term >= term)
    await waitFor('the restarted node re-applied it', () => commands(c.committed.get(follower.id) ?? []).length === 1)
    assert.is(c.committed.get(follower.id)?.[0]?.index, 1, 'from index 1 again')
  } finally {
    await c.stop()
  }
})

RaftNodeSuite('stop rejects waiting proposals; an aborted proposal rejects with the reason', async () => {
  const c = new TestCluster(['a', 'b', 'c'])
  try {
    await c.start()
    const leader = await c.leader()
    for (const n of c.nodes.values()) if (n !== leader) await n.stop() // no quorum any more
    const reason = new Error('Caller gave up')
    const controller = new AbortController()
    const aborted = leader.propose('never', { signal: controller.signal })
    controller.abort(reason)
    try {
      await aborted
      assert.unreachable()
    } catch (err) {
      assert.is(err, reason)
    }
    const pending = leader.propose('never either')
    await leader.stop()
    try {
      await pending
      assert.unreachable()
    } catch (err) {
      assert.is((err as Error).name, 'RaftNodeStoppedError')
    }
    try {
      await leader.propose('stopped')
      assert.unreachable()
    } catch (err) {
      assert.is((err as Error).name, 'RaftNodeStoppedError')
    }
  } finally {
    await c.stop()
  }
})

RaftNodeSuite('a single voter leads alone and commits', async () => {
  const c = new TestCluster(['solo'])
  try {
    await c.start()
    const leader = await c.leader()
    const pos = await leader.propose('alone')
    assert.is(pos.index, 3) // config, no-op, command
    assert.ok(leader.isCaughtUp('solo'))
  } finally {
    await c.stop()
  }
})

RaftNodeSuite('a learner joins through changeConfiguration, catches up, and is promoted', async () => {
  const c = new TestCluster(['a', 'b', 'c'])
  c.storages.set('d', new MemoryRaftStorage())
  const d = c.add('d') // not part of the bootstrap
  try {
    for (const id of ['a', 'b', 'c']) {
      await c.node(id).start()
      await c.node(id).bootstrap({ voters: ['a', 'b', 'c'], learners: [] })
    }
    await d.start()
    const leader = await c.leader(['a', 'b', 'c'])
    await leader.propose('history')
    await leader.changeConfiguration({ type: 'add-learner', id: 'd' })
    await waitFor('d caught up', () => leader.isCaughtUp('d'))
    await leader.changeConfiguration({ type: 'promote', id: 'd' })
    await waitFor('d knows it votes', () => d.configuration.voters.includes('d'))
    assert.equal(commands(c.committed.get('d') ?? []), ['history'])
  } finally {
    await c.stop()
  }
})

RaftNodeSuite('a transfer to an unreachable voter is abandoned after an election timeout', async () => {
  const c = new TestCluster(['a', 'b', 'c'])
  try {
    await c.start()
    const leader = await c.leader()
    const target = c.ids.find(id => id !== leader.id)!
    c.cut.add(target)
    try {
      await leader.transferLeadership(target)
      assert.unreachable()
    } catch (err) {
      assert.is((err as Error).name, 'LeadershipTransferError')
    }
    assert.is(leader.role, 'leader')
    await leader.propose('accepted again')
  } finally {
    await c.stop()
  }
})

class FailingStorage extends MemoryRaftStorage {
  fail = false
  override async save (...args: Parameters<MemoryRaftStorage['save']>): Promise<void> {
    if (this.fail) throw new Error('Disk full')
    await super.save(...args)
  }
}

RaftNodeSuite('a storage failure stops the node, emits error and rejects waiting proposals', async () => {
  const storage = new FailingStorage()
  const node = new RaftNode({ storage, transport: { send: () => {} } }, { id: 'solo', tickMs: TICK_MS })
  const errors: Error[] = []
  node.addEventListener('error', e => { errors.push(e.detail) })
  try {
    await node.start()
    await node.bootstrap({ voters: ['solo'], learners: [] })
    await waitFor('leadership', () => node.role === 'leader')
    storage.fail = true
    try {
      await node.propose('lost')
      assert.unreachable()
    } catch (err) {
      assert.is((err as Error).name, 'RaftNodeStoppedError')
      assert.is(((err as Error).cause as Error).message, 'Disk full')
    }
    assert.is(errors[0]?.message, 'Disk full')
    assert.not.ok(node.isStarted)
  } finally {
    await node.stop()
  }
})

RaftNodeSuite('a tick that comes later than stallMs after it was due counts as a stall of its own loop', async () => {
  // a hand-moved clock: every tick looks on time (even on a busy machine) until the clock jumps
  let t = 0
  const node = new RaftNode({ storage: new MemoryRaftStorage(), transport: { send: () => {} } }, { id: 'solo', tickMs: TICK_MS, now: () => t })
  try {
    await node.start()
    await node.bootstrap({ voters: ['solo'], learners: [] })
    await waitFor('leadership', () => node.role === 'leader')
    assert.is(node.stalls, 0)
    t += 5_000
    await waitFor('the late tick', () => node.stalls > 0)
    await node.propose('after the stall')
    assert.is(node.stalls, 1, 'the ticks after it are on time again')
    assert.is(node.role, 'leader')
  } finally {
    await node.stop()
  }
})

RaftNodeSuite.run()
