import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { nextConfigChange, type VoterPolicyInput } from '../../../node/cluster/voter-policy.ts'

const policy = suite('nextConfigChange')

const input = (over: Partial<VoterPolicyInput>): VoterPolicyInput => ({
  config: { voters: ['a'], learners: [] },
  leaderId: 'a',
  live: new Set(['a']),
  lostForMs: new Map(),
  caughtUp: () => true,
  maxVoters: 5,
  ...over
})

policy('adds a live newcomer as a learner first, smallest id first', () => {
  assert.equal(nextConfigChange(input({ live: new Set(['a', 'c', 'b']) })), { type: 'add-learner', id: 'b' })
})

policy('promotes a caught-up live learner while there are fewer voters than the maximum', () => {
  assert.equal(nextConfigChange(input({ config: { voters: ['a'], learners: ['c', 'b'] }, live: new Set(['a', 'b', 'c']) })), { type: 'promote', id: 'b' })
})

policy('does not promote a learner that is behind or not live', () => {
  assert.is(nextConfigChange(input({ config: { voters: ['a'], learners: ['b'] }, live: new Set(['a', 'b']), caughtUp: () => false })), undefined)
  assert.is(nextConfigChange(input({ config: { voters: ['a'], learners: ['b'] }, live: new Set(['a']) })), undefined)
})

policy('takes a repairing voter out of the voters, then re-adds it as a learner and promotes it only once it stops repairing', () => {
  const three = { voters: ['a', 'b', 'c'], learners: [] }
  const live = new Set(['a', 'b', 'c'])
  const repairing = new Set(['b'])
  assert.equal(nextConfigChange(input({ config: three, live, repairing })), { type: 'remove', id: 'b' })
  assert.equal(nextConfigChange(input({ config: { voters: ['a', 'c'], learners: [] }, live, repairing })), { type: 'add-learner', id: 'b' })
  assert.is(nextConfigChange(input({ config: { voters: ['a', 'c'], learners: ['b'] }, live, repairing })), undefined)
  assert.equal(nextConfigChange(input({ config: { voters: ['a', 'c'], learners: ['b'] }, live })), { type: 'promote', id: 'b' })
  // never the leader, and not a repairing voter that is not live (it says nothing now)
  assert.is(nextConfigChange(input({ config: three, live, repairing: new Set(['a']) })), undefined)
  assert.is(nextConfigChange(input({ config: three, live: new Set(['a', 'c']), repairing })), undefined)
})

policy('keeps later peers as learners once the voters are full', () => {
  const config = { voters: ['a', 'b', 'c'], learners: ['d'] }
  assert.is(nextConfigChange(input({ config, live: new Set(['a', 'b', 'c', 'd']), maxVoters: 3 })), undefined)
})

policy('removes a voter lost for long enough, never the leader, only when asked to', () => {
  const config = { voters: ['a', 'b', 'c'], learners: ['d'] }
  const live = new Set(['a', 'c', 'd'])
  const lostForMs = new Map([['b', 60_000]])
  assert.is(nextConfigChange(input({ config, live, lostForMs, maxVoters: 3 })), undefined)
  assert.equal(nextConfigChange(input({ config, live, lostForMs, maxVoters: 3, removeLostAfterMs: 30_000 })), { type: 'remove', id: 'b' })
  assert.is(nextConfigChange(input({ config, live, lostForMs, maxVoters: 3, removeLostAfterMs: 90_000 })), undefined)
})

policy.run()
