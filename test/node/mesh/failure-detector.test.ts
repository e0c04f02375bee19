import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { FailureDetector } from '../../../node/mesh/failure-detector.ts'

const fd = suite('FailureDetector')

fd('reports a peer as joined once and lost after the timeout of silence', () => {
  const d = new FailureDetector({ timeoutMs: 3000 })
  assert.is(d.heard('a', 0), true)
  assert.is(d.heard('a', 1000), false)
  assert.equal(d.expire(4000), [])
  assert.equal(d.expire(4001), ['a'])
  assert.is(d.isAlive('a'), false)
  assert.is(d.heard('a', 5000), true, 'a peer heard again after it was lost joins again')
})

fd('keeps a peer alive while heartbeats arrive within the timeout', () => {
  const d = new FailureDetector({ timeoutMs: 3000 })
  for (let t = 0; t <= 60_000; t += 1000) {
    d.heard('a', t)
    assert.equal(d.expire(t + 2999), [])
  }
})

fd('forgets a peer that left gracefully', () => {
  const d = new FailureDetector({ timeoutMs: 10 })
  d.heard('a', 0)
  d.heard('b', 0)
  assert.is(d.remove('a'), true)
  assert.equal(d.expire(100), ['b'])
})

fd('rejects a non-positive timeout', () => {
  assert.throws(() => new FailureDetector({ timeoutMs: 0 }), /positive/)
})

fd('forgives the silence of a stall of its own loop, but not the time that passed on time', () => {
  const d = new FailureDetector({ timeoutMs: 3000 })
  d.heard('a', 0)
  d.forgive(10_000) // our loop stood still from 0 to 10,000: a may have spoken meanwhile
  assert.equal(d.expire(10_000), [])
  assert.equal(d.expire(13_000), [], 'a full timeout after the stall')
  assert.equal(d.expire(13_001), ['a'], 'silent on time for longer than the timeout: lost')
  d.heard('b', 0)
  d.forgive(0)
  d.forgive(-5)
  assert.equal(d.expire(3001), ['b'], 'nothing to forgive')
})

fd.run()
