import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { CreditWaiters } from '../../../node/runtime/credit-waiters.ts'

const waiters = suite('CreditWaiters')

waiters('wait resolves on release, or when its signal aborts, and then no longer waits', async () => {
  const w = new CreditWaiters()
  let released = false
  const first = w.wait().then(() => { released = true })
  assert.ok(w.waiting)
  await Promise.resolve()
  assert.not.ok(released, 'nothing released yet')
  w.release()
  await first
  assert.ok(released)
  assert.not.ok(w.waiting)
  const controller = new AbortController()
  const aborted = w.wait(controller.signal)
  controller.abort()
  await aborted
  w.release() // the aborted waiter's entry is harmless
  await w.wait(AbortSignal.abort()) // an aborted signal resolves at once
})

waiters.run()
