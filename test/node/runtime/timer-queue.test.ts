/**
 * TimerQueue: at most one timer per (time, key), popped in time order.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import fc from 'fast-check'
import { TimerQueue } from '../../../node/runtime/timer-queue.ts'

const TimerQueueSuite = suite('TimerQueue')

function drain (q: TimerQueue, limit: number): [number, unknown][] {
  const fired: [number, unknown][] = []
  q.popUntil(limit, (t, k) => { fired.push([t, k]) })
  return fired
}

TimerQueueSuite('pops timers with time <= limit, earliest first, and keeps the rest', () => {
  const q = new TimerQueue()
  q.add(30, 'a')
  q.add(10, 'b')
  q.add(20, 'c')
  q.add(40, 'a')
  assert.is(q.peek(), 10)
  assert.equal(drain(q, 30), [[10, 'b'], [20, 'c'], [30, 'a']])
  assert.is(q.peek(), 40)
  assert.equal(drain(q, 39), [])
  assert.equal(drain(q, Number.POSITIVE_INFINITY), [[40, 'a']])
  assert.is(q.peek(), undefined)
})

TimerQueueSuite('deduplicates a (time, key) pair; keys of one time fire in registration order', () => {
  const q = new TimerQueue()
  q.add(5, 'x')
  q.add(5, 'y')
  q.add(5, 'x')
  assert.ok(q.has(5, 'x'))
  assert.equal(drain(q, 5), [[5, 'x'], [5, 'y']])
  assert.not.ok(q.has(5, 'x'))
})

TimerQueueSuite('add reports whether the time became the earliest', () => {
  const q = new TimerQueue()
  assert.ok(q.add(50, 'a'))
  assert.not.ok(q.add(60, 'a'))
  assert.ok(q.add(40, 'b'))
  assert.ok(q.add(40, 'c'), 'equal to the earliest is still the earliest')
})

TimerQueueSuite('a deleted timer does not fire; deleting an unknown timer is a no-op', () => {
  const q = new TimerQueue()
  q.add(10, 'a')
  q.add(10, 'b')
  q.add(20, 'a')
  q.delete(10, 'a')
  q.delete(99, 'z')
  assert.not.ok(q.has(10, 'a'))
  assert.equal(drain(q, 100), [[10, 'b'], [20, 'a']])
})

TimerQueueSuite('a timer re-added after deletion fires once', () => {
  const q = new TimerQueue()
  q.add(10, 'a')
  q.delete(10, 'a')
  q.add(10, 'a')
  assert.equal(drain(q, 10), [[10, 'a']])
})

TimerQueueSuite('timers registered while firing, at or before the limit, fire in the same call', () => {
  const q = new TimerQueue()
  q.add(10, 'a')
  const fired: [number, unknown][] = []
  q.popUntil(20, (t, k) => {
    fired.push([t, k])
    if (t === 10) { q.add(15, 'b'); q.add(25, 'c') }
  })
  assert.equal(fired, [[10, 'a'], [15, 'b']])
  assert.is(q.peek(), 25)
})

TimerQueueSuite('pops any set of timers in (time) order, each (time, key) once (property)', () => {
  fc.assert(fc.property(
    fc.array(fc.record({ time: fc.integer({ min: -1000, max: 1000 }), key: fc.constantFrom('a', 'b', 'c', 1, 2), del: fc.boolean() }), { maxLength: 200 }),
    fc.integer({ min: -1000, max: 1000 }),
    (ops, limit) => {
      const q = new TimerQueue()
      const model = new Map<string, [number, string | number]>()
      for (const { time, key, del } of ops) {
        const id = `${time}|${String(key)}|${typeof key}`
        if (del) { q.delete(time, key); model.delete(id) } else { q.add(time, key); model.set(id, [time, key]) }
      }
      const fired = drain(q, limit)
      const times = fired.map(([t]) => t)
      assert.equal(times, [...times].sort((a, b) => a - b))
      const expected = [...model.values()].filter(([t]) => t <= limit)
      assert.is(fired.length, expected.length)
      assert.equal(new Set(fired.map(([t, k]) => `${t}|${String(k)}|${typeof k}`)), new Set(expected.map(([t, k]) => `${t}|${String(k)}|${typeof k}`)))
      const rest = drain(q, Number.POSITIVE_INFINITY)
      assert.is(rest.length, model.size - expected.length)
    }
  ), { numRuns: 200 })
})

TimerQueueSuite('with indexKeys, each key\'s times follow adds, deletes and pops, and changed keys are recorded', () => {
  const q = new TimerQueue({ indexKeys: true })
  const changes = new Set<unknown>()
  q.trackChanges(changes as Set<never>)
  q.add(10, 'a')
  q.add(20, 'a')
  q.add(10, 'b')
  q.add(10, 'b')
  assert.equal(q.timesOf('a'), [10, 20])
  assert.equal([...changes], ['a', 'b'])
  changes.clear()
  q.delete(20, 'a')
  q.delete(99, 'c')
  assert.equal(q.timesOf('a'), [10])
  assert.equal([...changes], ['a'])
  changes.clear()
  q.popUntil(10, (t, k) => { if (k === 'b') q.add(30, 'b') })
  assert.is(q.timesOf('a'), undefined)
  assert.equal(q.timesOf('b'), [30])
  assert.equal([...changes].sort(), ['a', 'b'])
  const all: [unknown, readonly number[]][] = []
  q.forEachKey((k, times) => { all.push([k, [...times]]) })
  assert.equal(all, [['b', [30]]])
})

TimerQueueSuite.run()
