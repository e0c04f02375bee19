import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { Encoder, Tag } from 'cbor-x'
import { plainData } from '../../protocol/validation.ts'
import { decodeDataMessage, decodeClientMessage, decodeRaftEnvelope, encodeCbor } from '../../protocol/codec.ts'
import { MAX_VALUE_DEPTH } from '../../protocol/constants.ts'
import { rejects } from './arbitraries.ts'

const plain = suite('plainData')

plain('accepts the cbor data model: primitives, bytes, typed arrays, Dates, arrays, objects, Maps, Sets', () => {
  plainData('test', [null, undefined, true, 1.5, -0, 2n ** 70n, 'x', new Uint8Array(2), new Float32Array(1), new Date(0), [1, [2]], { a: { b: 1 } }, Object.create(null), new Map([[{ k: 1 }, [2]]]), new Set([1, 'a'])], '')
})

plain('refuses functions, symbols, class instances, Errors, RegExps and DataViews', () => {
  class Point { x = 1 }
  rejects(() => plainData('test', { f: () => 1 }, 'v'), 'MalformedMessageError', "Malformed test message: field 'v.f' must be plain data, got a function")
  rejects(() => plainData('test', [Symbol('s')], 'v'), 'MalformedMessageError', "Malformed test message: field 'v[0]' must be plain data, got a symbol")
  rejects(() => plainData('test', [new Point()], 'v'), 'MalformedMessageError', "Malformed test message: field 'v[0]' must be plain data, got a Point")
  rejects(() => plainData('test', new Error('x'), 'v'), 'MalformedMessageError', "Malformed test message: field 'v' must be plain data, got an Error")
  rejects(() => plainData('test', new DataView(new ArrayBuffer(1)), 'v'), 'MalformedMessageError', "Malformed test message: field 'v' must be plain data, got a DataView")
})

plain('names the path inside Maps and Sets', () => {
  rejects(() => plainData('test', new Map([['k', [/x/]]]), 'v'), 'MalformedMessageError', "Malformed test message: field 'v.<value 0>[0]' must be plain data, got a RegExp")
  rejects(() => plainData('test', new Set([1, /x/]), 'v'), 'MalformedMessageError', "Malformed test message: field 'v.<element 1>' must be plain data, got a RegExp")
})

plain(`refuses nesting deeper than ${MAX_VALUE_DEPTH} levels`, () => {
  let deep: unknown = 1
  for (let i = 0; i < MAX_VALUE_DEPTH; i++) deep = [deep]
  plainData('test', deep, 'v')
  rejects(() => plainData('test', [deep], 'v'), 'MalformedMessageError', new RegExp(`^Malformed test message: field 'v(\\[0\\]){${MAX_VALUE_DEPTH}}' nests deeper than ${MAX_VALUE_DEPTH} levels$`))
})

plain('bounds the containers it visits by the budget, so shared parts cannot expand', () => {
  const shared = { a: 1 }
  plainData('test', [shared, shared], 'v')
  rejects(() => plainData('test', [shared, shared], 'v', { left: 2 }), 'MalformedMessageError', "Malformed test message: field 'v[1]' holds more values than its encoding can (shared or cyclic references)")
  let dag: unknown = [1]
  for (let i = 0; i < 60; i++) dag = [dag, dag]
  // the work is counted, not timed: the walk stops at the first container past the budget
  // (2^60 paths would never end)
  const budget = { left: 10_000 }
  rejects(() => plainData('test', dag, 'v', budget), 'MalformedMessageError', /holds more values than its encoding can/)
  assert.is(budget.left, -1, 'visited 10,001 containers, one past the budget')
})

plain('stops at a cycle by depth', () => {
  const cyclic: Record<string, unknown> = {}
  cyclic.self = cyclic
  rejects(() => plainData('test', cyclic, 'v'), 'MalformedMessageError', /^Malformed test message: field 'v(\.self){64}' nests deeper than 64 levels$/)
})

const hostile = suite('decoders against cbor-x tricks')
const cloning = new Encoder({ structuredClone: true, useRecords: true })

hostile('value sharing (tags 28/29) is refused, cyclic or not', () => {
  const cyclic: Record<string, unknown> = { n: 1 }
  cyclic.self = cyclic
  const bytes = cloning.encode({ type: 'records', channel: 0, values: [cyclic], timestamps: [0] })
  rejects(() => decodeDataMessage(bytes), 'MalformedMessageError', /^Malformed data message: the payload is not valid CBOR \(Tag 28 \(shareable value\) is not allowed\)$/)
  const shared = { a: 1 }
  rejects(() => decodeDataMessage(cloning.encode({ type: 'records', channel: 0, values: [shared, shared], timestamps: [0, 0] })), 'MalformedMessageError', /Tag 28 \(shareable value\) is not allowed/)
})

hostile('a tiny frame that shares references 60 levels deep (2^60 paths) is refused at once', () => {
  let node: unknown = [1]
  for (let i = 0; i < 60; i++) node = [node, node]
  const bytes = cloning.encode({ type: 'propose-request', id: 1, command: node })
  assert.ok(bytes.length < 2000)
  // refused by the tag before anything is expanded (expanding 2^60 paths would never end)
  rejects(() => decodeClientMessage(bytes), 'MalformedMessageError', /^Malformed client message: the payload is not valid CBOR \(Tag 28 \(shareable value\) is not allowed\)$/)
})

hostile('a bare shared reference (tag 29) and a packed value table (tag 51) are refused', () => {
  rejects(() => decodeClientMessage(new Uint8Array([0xd8, 0x1d, 0x00])), 'MalformedMessageError', /Tag 29 \(shared reference\) is not allowed/)
  rejects(() => decodeClientMessage(new Uint8Array([0xd8, 0x33, 0x81, 0x61, 0x61])), 'MalformedMessageError', /Tag 51 \(packed value table\) is not allowed/)
})

hostile('a byte string whose length would overflow the native string scanner is refused, not looped on', () => {
  // found by the fuzz test: cbor-extract's uint32 position wraps on a 0x5a (4-byte length)
  // byte string of ~4 GiB and scans forever; the input must be long enough (> 140 bytes)
  // for cbor-x to call the native scanner
  const strings = Array.from({ length: 12 }, (_, i) => `field-number-${i}`)
  const ok = encodeCbor(Object.fromEntries(strings.map(k => [k, 'value'])))
  const bad = new Uint8Array([...ok.subarray(0, ok.length - 6), 0x5a, 0xff, 0xff, 0xff, 0xfb, 0x00])
  // a scan that looped would never return: that the decoder answers at all is the point
  rejects(() => decodeClientMessage(bad), 'MalformedMessageError', /^Malformed client message: the payload is not valid CBOR/)
})

hostile('an unknown tag decodes to a cbor-x Tag and is refused', () => {
  const bytes = new Encoder({ useRecords: true }).encode({ type: 'records', channel: 0, values: [new Tag('x', 40000)], timestamps: [0] })
  rejects(() => decodeDataMessage(bytes), 'MalformedMessageError', "Malformed data message: field 'values[0]' must be plain data, got a Tag")
})

hostile('tag 27 (generic object) can only name Error or RegExp, and both are refused', () => {
  // 0xd8 0x1b = tag 27, then ['Function', 'return 1']: cbor-x falls back to Error
  const bytes = new Uint8Array([0xd8, 0x1b, 0x82, 0x68, ...new TextEncoder().encode('Function'), 0x68, ...new TextEncoder().encode('return 1')])
  rejects(() => decodeRaftEnvelope(bytes), 'MalformedMessageError', 'Malformed raft message: the payload must be a map with string keys, got an Error')
})

hostile('an invalid RegExp in tag 27 is malformed CBOR, not a SyntaxError', () => {
  const bytes = new Uint8Array([0xd8, 0x1b, 0x83, 0x66, ...new TextEncoder().encode('RegExp'), 0x61, 0x28, 0x60])
  rejects(() => decodeRaftEnvelope(bytes), 'MalformedMessageError', /^Malformed raft message: the payload is not valid CBOR/)
})

hostile('nesting deep enough to exhaust the stack in cbor-x is malformed CBOR, not a RangeError', () => {
  const bytes = new Uint8Array(200_000).fill(0x81)
  rejects(() => decodeRaftEnvelope(bytes), 'MalformedMessageError', /^Malformed raft message: the payload is not valid CBOR/)
})

hostile("a '__proto__' key in a record neither pollutes prototypes nor survives as a key", () => {
  const bytes = encodeCbor({ type: 'records', channel: 0, values: [JSON.parse('{"__proto__": {"polluted": true}}')], timestamps: [0] })
  const m = decodeDataMessage(bytes)
  assert.is(({} as Record<string, unknown>).polluted, undefined)
  assert.ok(m.type === 'records')
  const v = (m as { values: readonly Record<string, unknown>[] }).values[0]!
  assert.is(Object.getPrototypeOf(v), Object.prototype)
  assert.is(v.polluted, undefined)
})

hostile('accepts a message written as a plain CBOR map by another encoder', () => {
  const bytes = new Encoder({ useRecords: false }).encode({ type: 'status-request', id: 5 })
  assert.equal(decodeClientMessage(bytes), { type: 'status-request', id: 5 })
  const nonString = new Encoder({ useRecords: false, mapsAsObjects: false }).encode(new Map<unknown, unknown>([['type', 'status-request'], [1, 5]]))
  rejects(() => decodeClientMessage(nonString), 'MalformedMessageError', 'Malformed client message: the payload must be a map with string keys, got a Map')
})

hostile('refuses input that is not a Uint8Array', () => {
  rejects(() => decodeRaftEnvelope('abc' as unknown as Uint8Array), 'MalformedMessageError', 'Malformed raft message: the payload must be a byte array')
})

plain.run()
hostile.run()
