import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { DEFAULT_RESTART_STRATEGY, describeRestartStrategy, effectiveRestartStrategy, restartDelay } from '../../../node/runtime/restart-strategy.ts'

const test = suite('restartDelay')

test('fixed delay allows `attempts` restarts, each after the same delay', () => {
  const s = { kind: 'fixed-delay', attempts: 2, delayMs: 150 } as const
  assert.equal([0, 1, 2, 3].map(n => restartDelay(s, n)), [150, 150, undefined, undefined])
})

test('exponential delay doubles up to the maximum, with or without a limit', () => {
  const s = { kind: 'exponential-delay', initialDelayMs: 100, maxDelayMs: 1_000 } as const
  assert.equal([0, 1, 2, 3, 4, 50].map(n => restartDelay(s, n)), [100, 200, 400, 800, 1_000, 1_000])
  assert.is(restartDelay({ ...s, attempts: 3 }, 3), undefined)
})

test('none never restarts; the default with checkpoints restarts without limit', () => {
  assert.is(restartDelay({ kind: 'none' }, 0), undefined)
  assert.equal(effectiveRestartStrategy(undefined, false), { kind: 'none' })
  assert.is(effectiveRestartStrategy(undefined, true), DEFAULT_RESTART_STRATEGY)
  assert.is(restartDelay(DEFAULT_RESTART_STRATEGY, 1_000_000), 200)
  assert.equal(effectiveRestartStrategy({ kind: 'none' }, true), { kind: 'none' })
})

test('describes strategies for error messages', () => {
  assert.is(describeRestartStrategy({ kind: 'fixed-delay', attempts: 3, delayMs: 10 }), 'fixed delay of 10 ms, at most 3 restarts')
  assert.is(describeRestartStrategy({ kind: 'exponential-delay', initialDelayMs: 1, maxDelayMs: 8, attempts: 2 }), 'exponential delay from 1 to 8 ms, at most 2 restarts')
})

test.run()
