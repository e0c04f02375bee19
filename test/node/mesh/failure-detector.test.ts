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

fd.run()
