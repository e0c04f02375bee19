import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { FencingGuard } from '../../../node/cluster/fencing.ts'
import type { FencingToken } from '../../../node/cluster/raft/types.ts'

const fencing = suite('FencingGuard')

/** A guard whose peer's Raft view is `view.current`, changed by the test. */
function guardWith (initial: FencingToken | undefined): { guard: FencingGuard, view: { current: FencingToken | undefined } } {
  const view = { current: initial }
  return { guard: new FencingGuard({ current: () => view.current }), view }
}

const throwsNamed = (fn: () => void, name: string, pattern?: RegExp): void => {
  assert.throws(fn, (err: Error) => err.name === name && (pattern === undefined || pattern.test(err.message)))
}

fencing('accepts a command of the leader this peer knows for its current term, from that leader', () => {
  const { guard, view } = guardWith({ term: 1, leaderId: 'a' })
  guard.check({ term: 1, leaderId: 'a' }, 'a')
  guard.check({ term: 1, leaderId: 'a' }, undefined)
  view.current = { term: 3, leaderId: 'b' }
  guard.check({ term: 3, leaderId: 'b' }, 'b')
  assert.equal(guard.highest, { term: 3, leaderId: 'b' })
})

fencing('rejects a command of an older term than this peer\'s, naming both leaders and terms', () => {
  const { guard } = guardWith({ term: 5, leaderId: 'new' })
  throwsNamed(() => { guard.check({ term: 4, leaderId: 'old' }, 'old') }, 'StaleLeaderError', /old.*term 4.*term 5.*new/)
  assert.is(guard.highest, undefined)
})

fencing('rejects a second leader claiming the current term', () => {
  const { guard } = guardWith({ term: 2, leaderId: 'a' })
  throwsNamed(() => { guard.check({ term: 2, leaderId: 'b' }, 'b') }, 'StaleLeaderError', /b in term 2: a leads that term/)
})

fencing('rejects a command that names a leader but came from another peer', () => {
  const { guard } = guardWith({ term: 2, leaderId: 'a' })
  throwsNamed(() => { guard.check({ term: 2, leaderId: 'a' }, 'mallory') }, 'ForgedCommandError', /leader a \(term 2\) that peer mallory sent/)
})

fencing('rejects a term this peer has not reached, so a made-up term cannot fence out the real leader', () => {
  const { guard, view } = guardWith({ term: 2, leaderId: 'a' })
  throwsNamed(() => { guard.check({ term: 99, leaderId: 'mallory' }, 'mallory') }, 'UnknownTermError', /term 99: this peer is in term 2/)
  guard.check({ term: 2, leaderId: 'a' }, 'a')
  view.current = undefined
  throwsNamed(() => { guard.check({ term: 2, leaderId: 'a' }, 'a') }, 'UnknownTermError', /knows no leader now/)
})

fencing('once a newer term was accepted, an older one stays refused even if this peer\'s view lags', () => {
  const { guard, view } = guardWith({ term: 3, leaderId: 'b' })
  guard.check({ term: 3, leaderId: 'b' }, 'b')
  view.current = { term: 2, leaderId: 'a' }
  throwsNamed(() => { guard.check({ term: 2, leaderId: 'a' }, 'a') }, 'StaleLeaderError')
})

fencing.run()
