/**
 * RaftCore: one behaviour at a time on a hand-driven network (see raft-simulator.ts).
 * With the default random source every election timeout is exactly `electionTicks`, and
 * only the nodes a test ticks ever time out.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { RaftCore } from '../../../../node/cluster/raft/raft-core.ts'
import { NotLeaderError } from '../../../../node/cluster/raft/errors.ts'
import type { LogEntry, NodeId, RaftConfiguration, RaftEnvelope } from '../../../../protocol/raft.ts'
import { Cluster } from '../raft-cluster.ts'

const RaftCoreSuite = suite('RaftCore')

const ABC = ['a', 'b', 'c']

function cmd (term: number, index: number, command: string): LogEntry {
  return { term, index, type: 'command', command }
}

function cfg (voters: readonly NodeId[], learners: readonly NodeId[] = []): LogEntry {
  return { term: 1, index: 1, type: 'config', config: { voters, learners } }
}

/** Entries `from..to` of `term`, commands named after index and term. */
function run (from: number, to: number, term: number): LogEntry[] {
  return Array.from({ length: to - from + 1 }, (_, i) => cmd(term, from + i, `${from + i}@${term}`))
}

/** The error's name, or undefined when the result is not an error. */
function errName (result: unknown): string | undefined {
  return result instanceof Error ? result.name : undefined
}

function isVote (m: RaftEnvelope): boolean {
  return m.message.type === 'request-vote' || m.message.type === 'request-vote-response'
}

function terms (c: Cluster, ids: readonly NodeId[]): number[] {
  return ids.map(id => c.core(id).term)
}

RaftCoreSuite('elects a leader whose no-op commits and reaches every follower', () => {
  const c = new Cluster({ voters: ABC })
  const a = c.elect('a')
  assert.is(a.role, 'leader')
  assert.is(a.term, 2) // bootstrap is term 1; the pre-vote did not bump it, the election did
  c.tick('a') // a heartbeat carries the commit index to a follower that acknowledged last
  c.deliver()
  assert.equal(a.fencingToken, { term: 2, leaderId: 'a' })
  for (const id of ['b', 'c']) {
    assert.is(c.core(id).role, 'follower')
    assert.is(c.core(id).leaderId, 'a')
  }
  for (const id of ABC) {
    assert.is(c.core(id).commitIndex, 2)
    assert.equal(c.applied(id).map(e => e.type), ['config', 'noop'])
  }
})

RaftCoreSuite('a single voter elects itself and commits only what it persisted', () => {
  const core = new RaftCore({ random: () => 0 }, { id: 'a' })
  core.bootstrap({ voters: ['a'], learners: [] })
  let r = core.ready()
  assert.equal(r.hardState, { term: 1, votedFor: undefined })
  assert.equal(r.committed.map(e => e.index), [1])
  core.advance(r)
  for (let i = 0; i < core.electionTicks; i++) core.tick()
  assert.is(core.role, 'leader')
  r = core.ready()
  assert.equal(r.entries.map(e => e.type), ['noop'])
  assert.equal(r.committed, [], 'the no-op is not committed before it is persisted')
  core.advance(r)
  const pos = core.propose('x')
  assert.not.instance(pos, Error)
  r = core.ready()
  assert.equal(r.committed.map(e => e.type), ['noop'])
  core.advance(r)
  r = core.ready()
  assert.equal(r.committed.map(e => e.type), ['command'])
})

RaftCoreSuite('pre-vote keeps an isolated node from bumping any term', () => {
  const c = new Cluster({ voters: ABC })
  c.elect('a')
  c.isolate('c')
  c.tick('c', 10 * c.core('c').electionTicks)
  assert.is(c.core('c').role, 'pre-candidate')
  assert.equal(terms(c, ABC), [2, 2, 2])
  const asked = c.sent.filter(m => m.from === 'c' && m.message.type === 'request-vote')
  assert.ok(asked.length > 0)
  assert.ok(asked.every(m => m.message.type === 'request-vote' && m.message.preVote))
})

RaftCoreSuite('a partitioned node that rejoins does not disrupt a stable leader', () => {
  const c = new Cluster({ voters: ABC })
  c.elect('a')
  c.isolate('c')
  for (let i = 0; i < 5; i++) c.core('a').propose(`while-away-${i}`)
  c.deliver()
  c.tick('c', 10 * c.core('c').electionTicks)
  c.heal()
  c.tickAll(3)
  assert.is(c.core('a').role, 'leader')
  assert.equal(terms(c, ABC), [2, 2, 2])
  assert.is(c.core('c').leaderId, 'a')
  assert.equal(c.core('c').entries(), c.core('a').entries(), 'the rejoined node caught up')
})

RaftCoreSuite('without pre-vote the rejoining node does bump terms and unseats the leader', () => {
  // the contrast that shows what pre-vote is for (thesis §9.6)
  const c = new Cluster({ voters: ABC, preVote: false })
  c.elect('a')
  c.isolate('c')
  c.tick('c', 5 * c.core('c').electionTicks)
  assert.ok(c.core('c').term > 2)
  c.heal()
  c.tickAll(1)
  assert.is.not(c.core('a').role, 'leader')
  assert.ok(c.core('a').term > 2)
})

RaftCoreSuite('a follower in a leader lease ignores vote requests unless they come from a transfer', () => {
  const c = new Cluster({ voters: ABC })
  c.elect('a')
  const request = (transfer: boolean): RaftEnvelope => ({
    from: 'c',
    to: 'b',
    message: { type: 'request-vote', term: 9, candidateId: 'c', lastLogIndex: 99, lastLogTerm: 9, preVote: false, transfer }
  })
  c.queue.push(request(false))
  c.deliver()
  assert.is(c.core('b').term, 2)
  assert.is(c.core('b').leaderId, 'a')
  assert.ok(!c.sent.some(m => m.from === 'b' && m.to === 'c'), 'no answer at all')
  c.queue.push(request(true))
  c.deliver(m => m.to === 'b')
  assert.is(c.core('b').term, 9)
  assert.is(c.core('b').votedFor, 'c')
})

RaftCoreSuite('check-quorum: a leader that hears from no majority for a whole election timeout steps down', () => {
  const c = new Cluster({ voters: ABC, random: id => () => id === 'c' ? 0.99 : 0 })
  const a = c.elect('a')
  c.isolate('a')
  c.tick('a', a.electionTicks)
  assert.is(a.role, 'leader', 'the peers were heard from during the first period')
  c.tick('a', a.electionTicks)
  assert.is(a.role, 'follower', 'none during the second')
  assert.is(a.term, 2, 'stepping down does not bump the term')
  assert.is(errName(a.propose('x')), 'NotLeaderError')
  // the majority elects a new leader meanwhile (once c is out of the old leader's lease;
  // its own timer is longer)
  c.tick('c', a.electionTicks)
  assert.is(c.core('c').role, 'follower')
  const b = c.elect('b')
  assert.is(b.role, 'leader')
  assert.is(b.term, 3)
})

RaftCoreSuite('without check-quorum an isolated leader keeps believing it leads', () => {
  const c = new Cluster({ voters: ABC, checkQuorum: false })
  const a = c.elect('a')
  c.isolate('a')
  c.tick('a', 5 * a.electionTicks)
  assert.is(a.role, 'leader')
})

RaftCoreSuite('log backtracking skips a whole conflicting term per round trip and repairs the follower', () => {
  const config = cfg(ABC)
  const c = new Cluster({
    voters: ABC,
    maxEntriesPerAppend: 4,
    disks: {
      a: { hardState: { term: 4, votedFor: 'a' }, entries: [config, ...run(2, 11, 2), ...run(12, 21, 4)] },
      b: { hardState: { term: 3, votedFor: 'b' }, entries: [config, ...run(2, 6, 2), ...run(7, 20, 3)] },
      c: { hardState: { term: 2, votedFor: 'a' }, entries: [config, ...run(2, 11, 2)] }
    }
  })
  const a = c.elect('a')
  assert.is(a.term, 5)
  c.tickAll(2)
  const expected = a.entries()
  assert.is(expected.length, 22)
  assert.equal(c.core('b').entries(), expected)
  assert.equal(c.core('c').entries(), expected)
  const rejections = c.sent.filter(m => m.from === 'b' && m.message.type === 'append-entries-response' && !m.message.success)
  // prev 22 is past b's end (-> 21), then b's term 3 starting at 7 is skipped in one go
  assert.equal(rejections.map(m => m.message.type === 'append-entries-response' ? m.message.conflictIndex : -1), [21, 7])
  for (const id of ABC) assert.is(c.core(id).commitIndex, 22)
})

RaftCoreSuite('a delayed, shorter AppendEntries does not truncate what a later one appended', () => {
  const core = new RaftCore({}, { id: 'b', restore: { hardState: { term: 2, votedFor: undefined }, entries: [cfg(ABC)] } })
  const append = (entries: LogEntry[]): RaftEnvelope => ({
    from: 'a', to: 'b', message: { type: 'append-entries', term: 2, leaderId: 'a', prevLogIndex: 1, prevLogTerm: 1, entries, leaderCommit: 0 }
  })
  core.step(append(run(2, 4, 2)))
  core.step(append(run(2, 2, 2)))
  assert.is(core.lastIndex, 4)
  const responses = core.ready().messages.map(m => m.message)
  assert.equal(responses.map(m => m.type === 'append-entries-response' && m.matchIndex), [4, 2])
})

RaftCoreSuite('a vote goes out in the same Ready as the persisted vote, and survives a restart', () => {
  const b = new RaftCore({}, { id: 'b' })
  b.bootstrap({ voters: ABC, learners: [] })
  b.advance(b.ready())
  const vote = (from: NodeId): RaftEnvelope => ({
    from, to: 'b', message: { type: 'request-vote', term: 2, candidateId: from, lastLogIndex: 1, lastLogTerm: 1, preVote: false, transfer: false }
  })
  b.step(vote('a'))
  const r = b.ready()
  assert.equal(r.hardState, { term: 2, votedFor: 'a' })
  assert.equal(r.messages.map(m => m.message), [{ type: 'request-vote-response', term: 2, voteGranted: true, preVote: false }])
  b.advance(r)
  const restarted = new RaftCore({}, { id: 'b', restore: { hardState: r.hardState, entries: b.entries() } })
  restarted.step(vote('c'))
  assert.equal(restarted.ready().messages.map(m => m.message), [{ type: 'request-vote-response', term: 2, voteGranted: false, preVote: false }])
})

RaftCoreSuite('a follower answers a proposal with the leader it knows', () => {
  const c = new Cluster({ voters: ABC })
  c.elect('a')
  const err = c.core('b').propose('x')
  assert.instance(err, NotLeaderError)
  assert.is(errName(err), 'NotLeaderError')
  assert.is(err instanceof NotLeaderError ? err.leaderId : undefined, 'a')
})

// -- Figure 8 of the Raft paper (§5.4.2) --
// s1 led term 2 and wrote X = (2, term 2); s5 led term 3 and wrote Y = (2, term 3), then
// crashed. s1 is elected in term 4 and copies X onto s2 and s3, a majority, before its no-op
// Z = (3, term 4) reaches anyone.

function figure8 (): Cluster {
  const ids = ['s1', 's2', 's3', 's4', 's5']
  const config = cfg(ids)
  const c = new Cluster({
    voters: ids,
    maxEntriesPerAppend: 1,
    random: id => () => id === 's1' || id === 's5' ? 0 : 0.99,
    disks: {
      s1: { hardState: { term: 3, votedFor: undefined }, entries: [config, cmd(2, 2, 'X')] },
      s2: { hardState: { term: 3, votedFor: undefined }, entries: [config] },
      s3: { hardState: { term: 3, votedFor: undefined }, entries: [config] },
      s4: { hardState: { term: 3, votedFor: undefined }, entries: [config] },
      s5: { hardState: { term: 4, votedFor: undefined }, entries: [config, cmd(3, 2, 'Y')] }
    }
  })
  c.crash('s5')
  const s1 = c.core('s1')
  c.tick('s1', s1.electionTicks)
  c.deliver(isVote)
  assert.is(s1.role, 'leader')
  assert.is(s1.term, 4)
  // the first probes carry Z after X; s2 and s3 lack X and refuse, s4 never hears
  c.drop(m => m.to === 's4')
  c.deliver(m => m.message.type === 'append-entries')
  c.deliver(m => m.message.type === 'append-entries-response')
  // the retries carry X alone
  c.deliver(m => m.message.type === 'append-entries')
  c.deliver(m => m.message.type === 'append-entries-response')
  for (const id of ['s1', 's2', 's3']) assert.is(c.core(id).entry(2)?.term, 2)
  assert.is(c.core('s2').lastIndex, 2)
  return c
}

RaftCoreSuite('Figure 8: an entry of an older term on a majority is not committed by counting replicas', () => {
  const c = figure8()
  assert.is(c.core('s1').progress('s2')?.match, 2)
  assert.is(c.core('s1').commitIndex, 0)
  // (d): s1 crashes; s5 (last term 3) wins with s2, s3, s4 and overwrites X — legal, X never committed
  c.crash('s1')
  c.queue = []
  c.restart('s5')
  c.tickAll(c.core('s5').electionTicks + 1)
  assert.is(c.core('s5').role, 'leader')
  c.tickAll(2)
  for (const id of ['s2', 's3', 's4', 's5']) {
    assert.equal(c.core(id).entry(2), cmd(3, 2, 'Y'))
    assert.ok(!c.applied(id).some(e => e.type === 'command' && e.command === 'X'))
  }
})

RaftCoreSuite('Figure 8: once an entry of its own term is on a majority, the older entry commits with it and survives', () => {
  const c = figure8()
  c.deliver() // Z reaches s2 and s3
  const s1 = c.core('s1')
  assert.is(s1.commitIndex, 3)
  assert.ok(c.applied('s1').some(e => e.type === 'command' && e.command === 'X'))
  // (e): s1 crashes; s5 cannot win any more (s2 and s3 have a newer last term)
  c.crash('s1')
  c.queue = []
  c.restart('s5')
  c.tickAll(4 * s1.electionTicks)
  const leader = c.leaders()[0]
  assert.ok(leader !== undefined && (leader.id === 's2' || leader.id === 's3'), `leader ${String(leader?.id)}`)
  for (const id of ['s2', 's3', 's4', 's5']) {
    assert.equal(c.core(id).entry(2), cmd(2, 2, 'X'))
    assert.ok(c.applied(id).some(e => e.type === 'command' && e.command === 'X'))
  }
})

// -- learners --

RaftCoreSuite('learners receive the log but never campaign and are never asked for votes', () => {
  // the learner's timer fires first; distinct timeouts for the voters avoid split votes
  const timeouts: Record<string, number> = { l: 0, a: 0.2, b: 0.5, c: 0.8 }
  const c = new Cluster({ voters: ABC, learners: ['l'], random: id => () => timeouts[id] ?? 0 })
  c.tickAll(4 * c.core('a').electionTicks)
  const leader = c.leaders()[0]
  assert.ok(leader !== undefined && ABC.includes(leader.id))
  assert.is(c.core('l').role, 'follower')
  assert.ok(!c.sent.some(m => m.message.type === 'request-vote' && (m.from === 'l' || m.to === 'l')))
  assert.equal(c.core('l').entries(), leader.entries())
  assert.equal(c.applied('l').map(e => e.type), c.applied(leader.id).map(e => e.type))
})

RaftCoreSuite('learners do not count for the commit quorum nor for check-quorum', () => {
  const c = new Cluster({ voters: ABC, learners: ['l'] })
  const a = c.elect('a')
  c.crash('b')
  c.crash('c')
  const pos = a.propose('x')
  assert.not.instance(pos, Error)
  c.deliver()
  assert.is(c.core('l').lastIndex, a.lastIndex, 'the learner has the entry')
  assert.is(a.progress('l')?.match, a.lastIndex)
  assert.ok(a.commitIndex < a.lastIndex, 'but it does not make a majority')
  for (let i = 0; i < 2 * a.electionTicks; i++) {
    c.tick('a')
    c.tick('l')
    c.deliver()
  }
  assert.is(a.role, 'follower', 'a leader heard only by a learner steps down')
})

// -- membership changes --

RaftCoreSuite('configuration changes: one at a time, effective when appended, validated', () => {
  const c = new Cluster({ voters: ABC, others: ['d'] })
  const a = c.elect('a')
  const add = a.changeConfiguration({ type: 'add-learner', id: 'd' })
  assert.not.instance(add, Error)
  assert.equal(a.configuration, { voters: ABC, learners: ['d'] }, 'in effect as soon as appended')
  assert.is(errName(a.changeConfiguration({ type: 'promote', id: 'd' })), 'ConfigChangeInProgressError')
  c.deliver()
  assert.equal(c.core('d').entries(), a.entries(), 'the new learner got the whole log')
  assert.equal(c.core('d').configuration, a.configuration)
  assert.is(errName(a.changeConfiguration({ type: 'promote', id: 'a' })), 'InvalidConfigChangeError')
  assert.is(errName(a.changeConfiguration({ type: 'add-learner', id: 'b' })), 'InvalidConfigChangeError')
  assert.is(errName(a.changeConfiguration({ type: 'remove', id: 'zz' })), 'InvalidConfigChangeError')
  assert.not.instance(a.changeConfiguration({ type: 'promote', id: 'd' }), Error)
  c.deliver()
  assert.equal(c.core('d').configuration, { voters: ['a', 'b', 'c', 'd'], learners: [] })
  // with four voters, three make a quorum: a and d alone cannot commit
  c.crash('b')
  c.crash('c')
  a.propose('needs three')
  c.deliver()
  assert.ok(a.commitIndex < a.lastIndex)
})

RaftCoreSuite('a configuration entry replaced by a different one at the same index takes effect', () => {
  const config = (term: number, voters: NodeId[], learners: NodeId[] = []): LogEntry => ({ term, index: 2, type: 'config', config: { voters, learners } })
  // f was removed by an uncommitted change of term 2; the leader of term 3 overwrites it
  const f = new RaftCore({ random: () => 0 }, {
    id: 'f',
    restore: { hardState: { term: 2, votedFor: undefined }, entries: [cfg(['a', 'b', 'f']), config(2, ['a', 'b'])] }
  })
  f.step({
    from: 'a',
    to: 'f',
    message: { type: 'append-entries', term: 3, leaderId: 'a', prevLogIndex: 1, prevLogTerm: 1, entries: [config(3, ['a', 'b', 'f'], ['x'])], leaderCommit: 0 }
  })
  assert.equal(f.configuration, { voters: ['a', 'b', 'f'], learners: ['x'] })
  for (let i = 0; i < f.electionTicks; i++) f.tick()
  assert.is(f.role, 'pre-candidate', 'f votes again, so it campaigns when the leader goes quiet')
})

RaftCoreSuite('a new leader accepts no configuration change before its no-op commits', () => {
  const c = new Cluster({ voters: ABC, others: ['d'] })
  const a = c.core('a')
  c.tick('a', a.electionTicks)
  c.deliver(isVote)
  assert.is(a.role, 'leader')
  assert.is(errName(a.changeConfiguration({ type: 'add-learner', id: 'd' })), 'ConfigChangeInProgressError')
  c.deliver()
  assert.not.instance(a.changeConfiguration({ type: 'add-learner', id: 'd' }), Error)
})

RaftCoreSuite('a leader that removes itself leads until the change commits, then hands over', () => {
  const c = new Cluster({ voters: ABC })
  const a = c.elect('a')
  const pos = a.changeConfiguration({ type: 'remove', id: 'a' })
  assert.not.instance(pos, Error)
  assert.is(a.role, 'leader')
  c.deliver()
  assert.is(a.role, 'follower')
  const leader = c.leaders()[0]
  assert.ok(leader !== undefined && (leader.id === 'b' || leader.id === 'c'))
  assert.equal(leader.configuration, { voters: ['b', 'c'], learners: [] })
  const before = c.sent.length
  c.tick('a', 10 * a.electionTicks)
  assert.ok(!c.sent.slice(before).some(m => m.from === 'a'), 'the removed node does not campaign')
})

// -- leadership transfer --

RaftCoreSuite('leadership transfer to an up-to-date voter: TimeoutNow, proposals refused meanwhile', () => {
  const c = new Cluster({ voters: ABC })
  const a = c.elect('a')
  assert.is(a.transferLeadership('b'), 'b')
  assert.is(errName(a.propose('x')), 'LeadershipTransferInProgressError')
  c.deliver()
  const b = c.core('b')
  assert.is(b.role, 'leader', 'the voters skip the lease for a transfer election')
  assert.is(b.term, 3)
  assert.is(a.role, 'follower')
  assert.is(a.leaderId, 'b')
})

RaftCoreSuite('leadership transfer to a lagging voter catches it up first, and is abandoned after an election timeout', () => {
  const c = new Cluster({ voters: ABC })
  const a = c.elect('a')
  c.isolate('c')
  for (let i = 0; i < 3; i++) a.propose(`x${i}`)
  c.deliver()
  assert.is(a.transferLeadership('c'), 'c')
  c.tick('a', a.electionTicks - 1)
  assert.is(a.transferee, 'c')
  c.tick('a')
  assert.is(a.transferee, undefined, 'abandoned')
  assert.not.instance(a.propose('after'), Error)
  c.heal()
  c.tick('c', a.electionTicks - 1) // out of the lease before the transfer's vote arrives
  assert.is(a.transferLeadership('c'), 'c')
  c.deliver()
  c.tick('a')
  c.deliver()
  assert.is(c.core('c').role, 'leader')
  assert.ok(c.core('c').entries().some(e => e.type === 'command' && e.command === 'after'))
})

RaftCoreSuite('transferLeadership without a target picks the most up-to-date voter; invalid targets are errors', () => {
  const c = new Cluster({ voters: ABC, learners: ['l'] })
  const a = c.elect('a')
  c.isolate('c')
  a.propose('x')
  c.deliver()
  assert.is(errName(a.transferLeadership('l')), 'LeadershipTransferError')
  assert.is(a.transferLeadership('a'), 'a')
  assert.is(a.transferLeadership(), 'b')
  assert.is(errName(c.core('b').transferLeadership('a')), 'NotLeaderError')
})

// -- Ready contract --

RaftCoreSuite('ready() needs advance() in between, and reports a truncated suffix to storage', () => {
  const core = new RaftCore({}, { id: 'b', restore: { hardState: { term: 3, votedFor: undefined }, entries: [cfg(ABC), ...run(2, 4, 2)] } })
  core.step({
    from: 'a',
    to: 'b',
    message: { type: 'append-entries', term: 3, leaderId: 'a', prevLogIndex: 2, prevLogTerm: 2, entries: run(3, 3, 3), leaderCommit: 0 }
  })
  const r = core.ready()
  assert.not.ok(core.hasReady())
  assert.throws(() => core.ready(), /advance/)
  assert.is(r.truncateFrom, 3)
  assert.equal(r.entries, run(3, 3, 3))
  assert.equal(r.softState, { role: 'follower', leaderId: 'a', term: 3 })
  core.advance(r)
  assert.equal(core.entries(), [cfg(ABC), ...run(2, 2, 2), ...run(3, 3, 3)])
})

RaftCoreSuite('bootstrap refuses a node that already has a log', () => {
  const core = new RaftCore({}, { id: 'a', restore: { hardState: undefined, entries: [cfg(ABC)] } })
  assert.throws(() => { core.bootstrap({ voters: ['a'], learners: [] } satisfies RaftConfiguration) }, (e: Error) => e.name === 'BootstrapError')
})

RaftCoreSuite.run()
