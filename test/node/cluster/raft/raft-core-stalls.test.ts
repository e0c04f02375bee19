/**
 * RaftCore when this peer's own event loop stalls (`tick({ stalled: true })`): the timeout
 * that elapsed during the stall lets the messages queued behind it in first, and after a
 * stall the node waits longer, but never more than twice an election timeout. Driven by
 * hand on the simulated network (raft-cluster.ts): every election timeout is exactly
 * `electionTicks` with the default random source.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { Cluster } from '../raft-cluster.ts'

const Stalls = suite('RaftCore stalls')

const ABC = ['a', 'b', 'c']
const STALLED = { stalled: true } as const

Stalls('a follower whose timeout elapsed in its own stall does not campaign; the leader\'s queued heartbeat keeps it following', () => {
  for (const stalled of [false, true]) {
    const c = new Cluster({ voters: ABC })
    c.elect('a')
    const b = c.core('b')
    c.tick('a') // a heartbeat to b, queued: b's loop is stalled
    c.tick('b', b.electionTicks - 1)
    c.tick('b', 1, { stalled })
    if (!stalled) {
      assert.is(b.role, 'pre-candidate', 'the contrast: a tick on time campaigns at the timeout')
      continue
    }
    assert.is(b.role, 'follower', 'no campaign on the tick that ends the stall')
    assert.is(b.doubtTicks, b.electionTicks)
    assert.not.ok(c.sent.some(m => m.from === 'b' && m.message.type === 'request-vote'), 'not even a pre-vote')
    c.deliver()
    assert.is(b.leaderId, 'a')
    c.tickAll(3 * b.electionTicks)
    assert.is(c.core('a').role, 'leader')
    assert.equal(ABC.map(id => c.core(id).term), [2, 2, 2], 'no election at all')
    assert.is(b.doubtTicks, 0, 'the doubt ends an election timeout after the stall')
  }
})

Stalls('after a stall a follower waits out the doubt before it campaigns for a leader that is really gone', () => {
  const c = new Cluster({ voters: ABC })
  c.elect('a')
  c.isolate('a')
  const b = c.core('b')
  const e = b.electionTicks
  c.tick('b', 1, STALLED)
  c.tick('b', e - 1)
  assert.is(b.role, 'follower', 'the timeout elapsed while b still doubts its timers')
  c.tick('b', 1)
  assert.is(b.role, 'pre-candidate', 'the doubt is over: b campaigns')
})

Stalls('a follower that stalls again and again still campaigns after twice the election timeout', () => {
  const c = new Cluster({ voters: ABC })
  c.elect('a')
  c.isolate('a')
  const b = c.core('b')
  const e = b.electionTicks
  let ticks = 0
  while (b.role === 'follower' && ticks < 10 * e) {
    c.tick('b', 1, { stalled: ticks % 3 === 0 })
    ticks++
  }
  assert.is(b.role, 'pre-candidate')
  assert.ok(ticks >= 2 * e && ticks <= 2 * e + 2, `campaigned after ${ticks} ticks (election timeout ${e})`)
})

Stalls('a leader does not step down for check-quorum on its own stall: the answers queued behind it count', () => {
  for (const stalled of [false, true]) {
    const c = new Cluster({ voters: ABC })
    const a = c.elect('a')
    const e = a.electionTicks
    c.tick('a', e) // the first check-quorum period: the election's answers count
    assert.is(a.role, 'leader')
    // a whole period in which a hears nothing: the followers' answers wait behind its stall
    c.tick('a', e - 1)
    c.deliver(m => m.to !== 'a')
    c.tick('a', 1, { stalled })
    if (!stalled) {
      assert.is(a.role, 'follower', 'the contrast: a tick on time checks the quorum and steps down')
      continue
    }
    assert.is(a.role, 'leader', 'no step-down on the tick that ends the stall')
    c.deliver()
    c.tickAll(3 * e)
    assert.is(a.role, 'leader')
    assert.equal(ABC.map(id => c.core(id).term), [2, 2, 2])
  }
})

Stalls('an isolated leader that stalls again and again still steps down within twice the election timeout', () => {
  const c = new Cluster({ voters: ABC })
  const a = c.elect('a')
  const e = a.electionTicks
  c.tick('a', e) // the first period counts the election's answers
  c.isolate('a')
  let ticks = 0
  while (a.role === 'leader' && ticks < 10 * e) {
    c.tick('a', 1, { stalled: ticks % 3 === 0 })
    ticks++
  }
  assert.is(a.role, 'follower')
  assert.ok(ticks <= 2 * e + 2, `stepped down after ${ticks} ticks (election timeout ${e})`)
})

Stalls.run()
