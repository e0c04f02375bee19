/**
 * RaftGroup: founding with and without --bootstrap-expect, --force-new-mesh, and the
 * warnings of a status, driven step by step (a real RaftNode on MemoryRaftStorage whose
 * messages go nowhere, a membership view the test writes, an injected clock). Then two
 * in-process meshes founded apart and connected: every peer reports the other group.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { RaftNode } from '../../../node/cluster/raft/raft-node.ts'
import { MemoryRaftStorage } from '../../../node/cluster/raft/raft-storage.ts'
import { RaftGroup, type GroupConflict } from '../../../node/cluster/raft-group.ts'
import type { Peer } from '../../../node/cluster/peer.ts'
import type { MemberInfo } from '../../../node/mesh/membership-service.ts'
import type { LogEntry } from '../../../protocol/raft.ts'
import { startPeers, waitFor } from './fixtures/peers.ts'

const DELAY = 1000

/** A membership view the test writes: peers by id, each alive unless `lost` is set. */
class View {
  readonly #members = new Map<string, MemberInfo>()
  set (id: string, over: Partial<MemberInfo> = {}): void {
    this.#members.set(id, {
      id, addrs: [], labels: {}, slots: 2, freeSlots: 2, version: '0.1.0', startedAt: 0, role: 'learner',
      term: undefined, leaderId: undefined, group: undefined, founding: undefined, state: 'alive', lostAt: undefined, ...over
    })
  }

  get members (): readonly MemberInfo[] { return [...this.#members.values()] }
  get alive (): string[] { return this.members.filter(m => m.state === 'alive').map(m => m.id) }
  member (id: string): MemberInfo | undefined { return this.#members.get(id) }
}

interface Harness {
  readonly raft: RaftNode
  readonly view: View
  readonly group: RaftGroup
  readonly meta: Map<string, Uint8Array>
  clock: number
}

/** A started RaftNode `id` (no ticks during a test) with `entries` and `term` already stored. */
async function harness (id: string, options: { expect?: number, entries?: LogEntry[], term?: number, groupId?: string } = {}): Promise<Harness> {
  const storage = new MemoryRaftStorage()
  await storage.save({ term: options.term ?? 0, votedFor: undefined }, options.entries ?? [], undefined)
  const raft = new RaftNode({ storage, transport: { send: () => {} } }, { id, tickMs: 3_600_000 })
  await raft.start()
  const meta = new Map<string, Uint8Array>()
  if (options.groupId !== undefined) meta.set('raft-group', new TextEncoder().encode(options.groupId))
  const view = new View()
  const h: Harness = {
    raft,
    view,
    meta,
    clock: 0,
    group: undefined as unknown as RaftGroup
  }
  const group = new RaftGroup({
    selfId: id,
    raft,
    membership: view,
    store: { getMeta: async key => meta.get(key), putMeta: async (key, value) => { meta.set(key, value) } },
    changed: () => {}
  }, { bootstrapExpect: options.expect, bootstrapDelayMs: DELAY, joinOnly: false, startedAt: 0, dataDir: '/data/' + id, now: () => h.clock })
  await group.load()
  Object.assign(h, { group })
  return h
}

const config = (voters: string[]): LogEntry => ({ term: 1, index: 1, type: 'config', config: { voters, learners: [] } })

const unit = suite('RaftGroup')

unit('with bootstrapExpect 3, two fresh peers found nothing; with a third the smallest names a group of all three and bootstraps once a majority holds it', async () => {
  const h = await harness('a', { expect: 3 })
  try {
    h.clock = 10 * DELAY
    h.view.set('b')
    await h.group.review()
    assert.equal(h.group.announced, { group: undefined, founding: undefined })
    assert.equal(h.group.warnings().map(w => w.message), ['no Raft group yet: 2 of 3 peers expected by --bootstrap-expect have met'])
    h.view.set('c')
    await h.group.review()
    const { group, founding } = h.group.announced
    assert.match(group ?? '', /^a@\d+$/)
    assert.equal(founding, ['a', 'b', 'c'])
    assert.is(h.raft.lastIndex, 0, 'the founder waits until another voter holds the group')
    h.view.set('b', { group, founding })
    await h.group.review()
    assert.is(h.raft.lastIndex, 1)
    assert.equal(h.raft.configuration, { voters: ['a', 'b', 'c'], learners: [] })
    assert.is(h.group.id, group)
    assert.equal(new TextDecoder().decode(h.meta.get('raft-group')), group)
  } finally {
    await h.raft.stop()
  }
})

unit('a fresh peer named in a founding bootstraps with exactly its voters, even after it voted in a later term, and relays it', async () => {
  const h = await harness('b', { expect: 3, term: 2 })
  try {
    h.view.set('a', { group: 'a@5', founding: ['a', 'b', 'c'], term: 2, leaderId: 'a' })
    await h.group.review()
    assert.equal(h.raft.configuration, { voters: ['a', 'b', 'c'], learners: [] })
    assert.is(h.raft.term, 2)
    assert.is(h.group.id, 'a@5')
    assert.equal(h.group.announced, { group: 'a@5', founding: ['a', 'b', 'c'] })
    // once every voter announces the group, the founding is no longer relayed
    h.view.set('c', { group: 'a@5' })
    await h.group.review()
    assert.equal(h.group.announced, { group: 'a@5', founding: undefined })
  } finally {
    await h.raft.stop()
  }
})

unit('a founding with another number of voters than bootstrapExpect is refused', async () => {
  const h = await harness('b', { expect: 3 })
  try {
    h.view.set('a', { group: 'a@5', founding: ['a', 'b'] })
    await h.group.review()
    assert.is(h.raft.lastIndex, 0)
    assert.is(h.group.id, undefined)
  } finally {
    await h.raft.stop()
  }
})

unit('a fresh peer that meets a member of an existing group does not found one, with or without bootstrapExpect', async () => {
  for (const expect of [undefined, 2]) {
    const h = await harness('a', expect === undefined ? {} : { expect })
    try {
      h.clock = 10 * DELAY
      h.view.set('b', { group: 'b@1', term: 3, leaderId: 'b' })
      h.view.set('c')
      await h.group.review()
      assert.is(h.raft.lastIndex, 0, `expect ${expect}`)
      assert.equal(h.group.announced, { group: undefined, founding: undefined })
    } finally {
      await h.raft.stop()
    }
  }
})

unit('without bootstrapExpect the smallest fresh peer founds a one-voter group after the delay', async () => {
  const h = await harness('a')
  try {
    h.view.set('b')
    h.clock = DELAY - 1
    await h.group.review()
    assert.is(h.raft.lastIndex, 0, 'before the delay')
    h.clock = DELAY
    await h.group.review()
    assert.equal(h.raft.configuration, { voters: ['a'], learners: [] })
    assert.match(h.group.id ?? '', /^a@1000$/)
  } finally {
    await h.raft.stop()
  }
})

unit('warns of no quorum naming the lost voters while no leader is known', async () => {
  const h = await harness('a', { entries: [config(['a', 'b', 'c'])], term: 4, groupId: 'a@1' })
  try {
    h.view.set('b', { state: 'lost', group: 'a@1' })
    const [w] = h.group.warnings()
    assert.is(w?.code, 'no-quorum')
    assert.equal(w?.peers, ['b', 'c'])
    assert.match(w?.message ?? '', /^no quorum: 2 of 3 voters lost \(b, c\); /)
    h.view.set('b', { group: 'a@1' })
    assert.equal(h.group.warnings(), [], 'two of three voters reachable: a quorum')
    // a leader heard from once and gone since does not hide the loss
    h.raft.receive({ from: 'b', to: 'a', message: { type: 'append-entries', term: 4, leaderId: 'b', prevLogIndex: 1, prevLogTerm: 1, entries: [], leaderCommit: 1 } })
    assert.is(h.raft.leaderId, 'b')
    h.view.set('b', { state: 'lost', group: 'a@1' })
    assert.equal(h.group.warnings().map(w => w.peers), [['b', 'c']])
  } finally {
    await h.raft.stop()
  }
})

unit('a member of another group is a conflict: reported once per peer and group, warned in status, never accepted', async () => {
  const h = await harness('a', { entries: [config(['a'])], term: 2, groupId: 'a@1' })
  try {
    const seen: GroupConflict[] = []
    h.group.on('conflict', c => { seen.push(c) })
    h.view.set('x', { group: 'x@2', term: 5, leaderId: 'x' })
    h.view.set('y')
    await h.group.review()
    await h.group.review()
    assert.is(seen.length, 1)
    assert.equal(seen[0]!.peers, ['x'])
    assert.match(seen[0]!.message, /^split mesh: x belongs to Raft group x@2 \(leader x\), this peer a to group a@1/)
    const [w] = h.group.warnings()
    assert.equal({ code: w?.code, group: w?.group, peers: w?.peers }, { code: 'other-group', group: 'x@2', peers: ['x'] })
    assert.not.ok(h.group.accepts('x'))
    assert.ok(h.group.accepts('y'))
    h.view.set('z', { group: 'x@2' })
    await h.group.review()
    assert.equal(seen.map(c => c.peers), [['x'], ['x', 'z']])
  } finally {
    await h.raft.stop()
  }
})

unit('forceNew makes this peer the only voter of a newly named group, committing its log; refused on an empty log', async () => {
  const h = await harness('b', {
    entries: [config(['a', 'b', 'c']), { term: 2, index: 2, type: 'noop' }, { term: 2, index: 3, type: 'command', command: { x: 1 } }],
    term: 3,
    groupId: 'a@1'
  })
  const committed: number[] = []
  h.raft.addEventListener('committed', e => { committed.push(e.detail.index) })
  try {
    h.clock = 99
    await h.group.forceNew()
    assert.equal(h.raft.configuration, { voters: ['b'], learners: [] })
    assert.is(h.group.id, 'b@99')
    assert.equal(committed, [1, 2, 3, 4])
    assert.ok(h.raft.term > 3)
  } finally {
    await h.raft.stop()
  }
  const empty = await harness('c')
  try {
    const err = await empty.group.forceNew().then(() => undefined, (e: unknown) => e as Error)
    assert.is(err?.name, 'ForceNewMeshError')
    assert.match(err?.message ?? '', /from \/data\/c: it holds no Raft log/)
  } finally {
    await empty.raft.stop()
  }
})

unit.run()

const split = suite('Peer (split meshes)')
let root = ''
split.before.each(() => { root = mkdtempSync(join(tmpdir(), 'meshflow-split-')) })
split.after.each(() => { rmSync(root, { recursive: true, force: true }) })

split('two meshes founded apart, then connected: every peer reports the other group in its log and status, and no leader takes in the other group', async () => {
  const one = await startPeers(join(root, 'one'), 2)
  const two = await startPeers(join(root, 'two'), 2)
  const all = [...one, ...two]
  try {
    const led = (peers: Peer[]): boolean => peers.some(p => p.isLeader) && peers.every(p => p.role === 'leader' || p.role === 'follower')
    // a follower learns its group's name from its leader at its next membership review
    await waitFor('both meshes to lead, every peer knowing its group', () => led(one) && led(two) && all.every(p => p.status().group !== undefined))
    const groups = all.map(p => p.status().group)
    assert.ok(groups[0] !== undefined && groups[0] === groups[1] && groups[2] !== undefined && groups[2] === groups[3] && groups[0] !== groups[2], groups.join(' '))
    const conflicts = new Map<string, GroupConflict[]>()
    for (const p of all) p.on('group-conflict', c => { conflicts.set(p.id, [...conflicts.get(p.id) ?? [], c]) })

    await two[0]!.host.dial(one[0]!.host.getMultiaddrs()[0]!)
    const otherOf = (p: Peer): Peer[] => one.includes(p) ? two : one
    await waitFor('every peer to report both peers of the other group', () => all.every(p => {
      const other = otherOf(p).map(o => o.id).sort()
      const reported = (conflicts.get(p.id) ?? []).flatMap(c => c.peers)
      return other.every(id => reported.includes(id))
    }), 20_000)
    for (const p of all) {
      const other = otherOf(p)
      const w = p.status().warnings?.find(x => x.code === 'other-group')
      assert.ok(w !== undefined, `${p.id} warns`)
      assert.is(w.group, other[0]!.status().group)
      assert.equal([...w.peers].sort(), other.map(o => o.id).sort())
      assert.match(w.message, `to group ${p.status().group}`)
      const voters = new Set(p.status().voters)
      for (const o of other) assert.not.ok(voters.has(o.id), `${o.id} is not a voter of ${p.id}'s group`)
    }
  } finally {
    for (const p of all) await p.stop()
  }
})

split.run()
