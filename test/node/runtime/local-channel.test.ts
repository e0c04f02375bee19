/**
 * LocalChannel: an in-memory FIFO between two subtasks with a fixed number of credits.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { LocalChannel } from '../../../node/runtime/local-channel.ts'
import type { StreamElement } from '../../../node/runtime/stream-element.ts'

const LocalChannelSuite = suite('LocalChannel')

const batch = (...values: number[]): StreamElement => ({ type: 'records', values, timestamps: values.map(() => 0) })

LocalChannelSuite('delivers elements in order, then undefined when empty', () => {
  const ch = new LocalChannel({ capacity: 10 })
  ch.send(batch(1))
  ch.send({ type: 'watermark', timestamp: 5 })
  ch.send(batch(2, 3))
  assert.equal(ch.poll(), batch(1))
  assert.equal(ch.poll(), { type: 'watermark', timestamp: 5 })
  assert.equal(ch.poll(), batch(2, 3))
  assert.is(ch.poll(), undefined)
})

LocalChannelSuite('is writable while fewer than capacity elements are queued', () => {
  const ch = new LocalChannel({ capacity: 2 })
  assert.ok(ch.writable)
  ch.send(batch(1))
  assert.ok(ch.writable)
  ch.send(batch(2))
  assert.not.ok(ch.writable)
  assert.is(ch.queued, 2)
  ch.send(batch(3)) // send never refuses: the writer checks writable after its batch
  assert.is(ch.queued, 3)
  ch.poll()
  ch.poll()
  assert.ok(ch.writable)
})

LocalChannelSuite('whenWritable resolves once the reader took an element, not before', async () => {
  const ch = new LocalChannel({ capacity: 1 })
  ch.send(batch(1))
  let resolved = false
  const p = ch.whenWritable().then(() => { resolved = true })
  await Promise.resolve()
  await Promise.resolve()
  assert.not.ok(resolved)
  ch.poll()
  await p
  assert.ok(resolved)
  await ch.whenWritable() // writable now: resolves at once
})

LocalChannelSuite('whenWritable resolves when the signal aborts', async () => {
  const ch = new LocalChannel({ capacity: 1 })
  ch.send(batch(1))
  const ac = new AbortController()
  const p = ch.whenWritable(ac.signal)
  ac.abort()
  await p
  assert.not.ok(ch.writable)
})

LocalChannelSuite('release wakes every waiting writer', async () => {
  const ch = new LocalChannel({ capacity: 1 })
  ch.send(batch(1))
  const waits = [ch.whenWritable(), ch.whenWritable()]
  ch.release()
  await Promise.all(waits)
})

LocalChannelSuite('calls the listener when an element arrives on an empty channel only', () => {
  const ch = new LocalChannel({ capacity: 4 })
  let calls = 0
  ch.onAvailable(() => { calls++ })
  ch.send(batch(1))
  ch.send(batch(2))
  assert.is(calls, 1)
  ch.poll()
  ch.poll()
  ch.send(batch(3))
  assert.is(calls, 2)
})

LocalChannelSuite('keeps order across many elements (internal compaction)', () => {
  const ch = new LocalChannel({ capacity: 1_000 })
  const seen: number[] = []
  for (let i = 0; i < 500; i++) {
    ch.send(batch(i))
    if (i % 3 === 0) seen.push(...(ch.poll() as { values: number[] }).values)
  }
  for (let el = ch.poll(); el !== undefined; el = ch.poll()) seen.push(...(el as { values: number[] }).values)
  assert.equal(seen, Array.from({ length: 500 }, (_, i) => i))
})

LocalChannelSuite('rejects a capacity below 1', () => {
  assert.throws(() => new LocalChannel({ capacity: 0 }), /capacity must be at least 1/)
})

LocalChannelSuite.run()
