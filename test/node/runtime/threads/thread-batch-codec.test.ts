import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { MessageChannel, receiveMessageOnPort } from 'node:worker_threads'
import { decodeElement, encodeElement } from '../../../../node/runtime/threads/thread-batch-codec.ts'
import type { RecordBatch, StreamElement } from '../../../../node/runtime/stream-element.ts'

const codec = suite('thread-batch-codec')

/** An element through a real port (the structured clone, buffers transferred) and back. */
function cross (element: StreamElement): StreamElement {
  const { port1, port2 } = new MessageChannel()
  try {
    const { encoded, transfer } = encodeElement(element)
    port1.postMessage(encoded, transfer)
    return decodeElement(receiveMessageOnPort(port2)!.message)
  } finally {
    port1.close()
    port2.close()
  }
}

function batch (values: unknown[]): RecordBatch {
  return { type: 'records', values, timestamps: values.map((_, i) => i * 10) }
}

codec('plain records of one shape come back equal, keys in their order', () => {
  const values = Array.from({ length: 100 }, (_, i) => ({ z: i, a: `s${i % 3}`, m: i % 2 === 0, n: null, u: undefined, neg: -0, nan: NaN, inf: -Infinity }))
  const back = cross(batch(values)) as RecordBatch
  assert.is(back.values.length, 100)
  for (let i = 0; i < 100; i++) {
    const got = back.values[i] as Record<string, unknown>
    assert.equal(Object.keys(got), ['z', 'a', 'm', 'n', 'u', 'neg', 'nan', 'inf'])
    assert.ok(Object.is(got.neg, -0) && Number.isNaN(got.nan) && got.inf === -Infinity && 'u' in got)
    assert.equal(got, values[i])
  }
  assert.equal(back.timestamps, values.map((_, i) => i * 10))
})

codec('a column that stops being numeric, mixed shapes, key orders and nesting all come back exactly', () => {
  const cases: unknown[][] = [
    Array.from({ length: 20 }, (_, i) => ({ k: i === 13 ? 'thirteen' : i, v: i })),
    Array.from({ length: 20 }, (_, i) => i % 2 === 0 ? { a: i, b: i } : { b: i, a: i }),
    Array.from({ length: 20 }, (_, i) => i === 7 ? { a: i, b: i, c: i } : { a: i, b: i }),
    Array.from({ length: 20 }, (_, i) => ({ nested: { x: i, list: [i, `${i}`] }, when: new Date(i), big: BigInt(i) })),
    Array.from({ length: 20 }, (_, i) => [i, i + 1]),
    Array.from({ length: 20 }, (_, i) => i === 3 ? 'three' : i),
    Array.from({ length: 20 }, (_, i) => `distinct-${i}`),
    Array.from({ length: 3 }, (_, i) => ({ small: i }))
  ]
  for (const values of cases) {
    const back = cross(batch(values)) as RecordBatch
    assert.equal(back.values, values)
    for (let i = 0; i < values.length; i++) {
      const want = values[i]
      if (typeof want === 'object' && want !== null && !Array.isArray(want)) assert.equal(Object.keys(back.values[i] as object), Object.keys(want))
    }
  }
})

codec('numbers cross as numbers; a "__proto__" key stays a key', () => {
  const numbers = Array.from({ length: 50 }, (_, i) => i / 3)
  assert.equal((cross(batch(numbers)) as RecordBatch).values, numbers)
  const tricky = Array.from({ length: 10 }, (_, i) => JSON.parse(`{"__proto__": ${i}, "x": ${i}}`) as Record<string, unknown>)
  const back = (cross(batch(tricky)) as RecordBatch).values as Record<string, unknown>[]
  for (let i = 0; i < 10; i++) {
    assert.is(Object.getPrototypeOf(back[i]), Object.prototype)
    assert.equal(Object.keys(back[i]!), Object.keys(tricky[i]!))
  }
})

codec('shapes whose keys would join to the same text stay apart', () => {
  const joined = Array.from({ length: 10 }, (_, i) => ({ ['a\u0000b']: i }))
  const split = Array.from({ length: 10 }, (_, i) => ({ a: i, b: -i }))
  assert.equal((cross(batch(joined)) as RecordBatch).values, joined)
  assert.equal((cross(batch(split)) as RecordBatch).values, split)
})

codec('control elements cross unchanged', () => {
  for (const e of [{ type: 'watermark', timestamp: 5 }, { type: 'barrier', checkpointId: 3 }, { type: 'end' }, { type: 'status', idle: true }] as StreamElement[]) {
    assert.equal(cross(e), e)
  }
})

codec.run()
