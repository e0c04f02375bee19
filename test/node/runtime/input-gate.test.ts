/**
 * InputGate: merges channels round-robin and can hold channels back (barrier alignment).
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { InputGate } from '../../../node/runtime/input-gate.ts'
import { LocalChannel } from '../../../node/runtime/local-channel.ts'
import type { StreamElement } from '../../../node/runtime/stream-element.ts'

const gate = suite('InputGate')
const wm = (t: number): StreamElement => ({ type: 'watermark', timestamp: t })

function drain (g: InputGate): [number, number][] {
  const out: [number, number][] = []
  for (let e = g.poll(); e !== undefined; e = g.poll()) out.push([g.lastChannel, (e as { timestamp: number }).timestamp])
  return out
}

gate('takes one element at a time from each channel in turn', () => {
  const a = new LocalChannel({ capacity: 8 })
  const b = new LocalChannel({ capacity: 8 })
  a.send(wm(1)); a.send(wm(2)); a.send(wm(3))
  b.send(wm(10)); b.send(wm(20))
  const g = new InputGate([{ reader: a, inputIndex: 0 }, { reader: b, inputIndex: 0 }])
  assert.equal(drain(g), [[0, 1], [1, 10], [0, 2], [1, 20], [0, 3]])
})

gate('a blocked channel is not polled until released, and loses nothing', () => {
  const a = new LocalChannel({ capacity: 8 })
  const b = new LocalChannel({ capacity: 8 })
  const g = new InputGate([{ reader: a, inputIndex: 0 }, { reader: b, inputIndex: 0 }])
  a.send(wm(1))
  b.send(wm(10))
  g.block(0)
  assert.ok(g.isBlocked(0))
  a.send(wm(2))
  b.send(wm(20))
  assert.equal(drain(g), [[1, 10], [1, 20]])
  a.send(wm(3))
  assert.is(g.poll(), undefined, 'still blocked')
  g.releaseAll()
  assert.not.ok(g.isBlocked(0))
  assert.equal(drain(g), [[0, 1], [0, 2], [0, 3]])
})

gate('data arriving on a channel after release wakes a waiting reader', async () => {
  const a = new LocalChannel({ capacity: 8 })
  const g = new InputGate([{ reader: a, inputIndex: 0 }])
  g.block(0)
  a.send(wm(5))
  assert.is(g.poll(), undefined)
  const controller = new AbortController()
  let woke = false
  const waiting = g.whenAvailable(controller.signal).then(() => { woke = true })
  await new Promise(resolve => setTimeout(resolve, 10))
  assert.not.ok(woke, 'a blocked channel does not wake the reader')
  g.releaseAll()
  await waiting
  assert.ok(woke)
  assert.equal(drain(g), [[0, 5]])
})

gate.run()
