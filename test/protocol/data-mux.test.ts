import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import fc from 'fast-check'
import { decodeElement, encodeElement, isEndElement, type ElementPayload } from '../../protocol/element-codec.ts'
import { decodeMuxFrame, encodeCreditFrame, encodeElementHeader, encodeOpenFrame, encodeReasonFrame } from '../../protocol/data-mux.ts'
import { MAX_RECORDS_PER_BATCH } from '../../protocol/constants.ts'
import { sensorRecordArb } from './arbitraries.ts'

const elements = suite('decodeElement')

elements('decodes every kind of element as encoded', () => {
  const all: ElementPayload[] = [
    { type: 'records', values: [{ store: 's1', amount: 9.5 }, { store: 's2', amount: 1 }], timestamps: [1000, Number.NEGATIVE_INFINITY] },
    { type: 'records', values: [1, 'two', null], timestamps: [Number.NEGATIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.NEGATIVE_INFINITY] },
    { type: 'records', values: [], timestamps: [] },
    { type: 'watermark', timestamp: 999 },
    { type: 'watermark', timestamp: Number.POSITIVE_INFINITY },
    { type: 'status', idle: true },
    { type: 'status', idle: false },
    { type: 'end' },
    { type: 'barrier', checkpointId: 42 }
  ]
  for (const e of all) assert.equal(decodeElement(encodeElement(e)), e)
  assert.ok(isEndElement(encodeElement({ type: 'end' })))
  assert.not.ok(isEndElement(encodeElement({ type: 'status', idle: true })))
})

elements('round-trips record batches of any plain values and timestamps', () => {
  fc.assert(fc.property(fc.array(fc.tuple(sensorRecordArb, fc.oneof(fc.constant(Number.NEGATIVE_INFINITY), fc.integer({ min: 0, max: 2 ** 45 }))), { maxLength: 50 }), pairs => {
    const e: ElementPayload = { type: 'records', values: pairs.map(p => p[0]), timestamps: pairs.map(p => p[1]) }
    assert.equal(decodeElement(encodeElement(e)), e)
  }), { numRuns: 200 })
})

elements('a batch without event times spends one byte on all its timestamps', () => {
  const values = Array.from({ length: 1024 }, (_, i) => i)
  const none = encodeElement({ type: 'records', values, timestamps: values.map(() => Number.NEGATIVE_INFINITY) })
  const timed = encodeElement({ type: 'records', values, timestamps: values.map(i => i) })
  assert.is(timed.byteLength - none.byteLength, 8 * 1024)
})

elements('rejects malformed elements with an error naming what was wrong', () => {
  const bad: [Uint8Array, RegExp][] = [
    [new Uint8Array(0), /empty/],
    [Uint8Array.of(9), /unknown tag 9/],
    [Uint8Array.of(1, 0, 0), /watermark.timestamp/],
    [Uint8Array.of(4, 0), /after tag 4/],
    [(() => { const b = encodeElement({ type: 'watermark', timestamp: 1 }); new DataView(b.buffer).setFloat64(1, Number.NaN, true); return b })(), /NaN/],
    [(() => { const b = encodeElement({ type: 'barrier', checkpointId: 1 }); new DataView(b.buffer).setFloat64(1, -1, true); return b })(), /non-negative integer/],
    [Uint8Array.of(0, 2, 0, 0x81, 1), /must hold 2 values, got 1/],
    [Uint8Array.of(0, 1, 1, 0, 0), /timestamps/],
    [Uint8Array.of(0, 1, 7, 0x81, 1), /unknown mode 7/],
    [Uint8Array.of(0, 0x80, 0x80, 0x80, 0x80, 0x01), /records.count/],
    [Uint8Array.of(0, 0x81, 0x80, 0x08, 0), new RegExp(`at most ${MAX_RECORDS_PER_BATCH}`)],
    [Uint8Array.of(0, 1, 0, 0xff), /CBOR/]
  ]
  for (const [bytes, problem] of bad) {
    assert.throws(() => decodeElement(bytes), (err: Error) => err.name === 'MalformedMessageError' && problem.test(err.message), `${Array.from(bytes).join(',')} -> ${problem}`)
  }
})

const frames = suite('decodeMuxFrame')
const key = { jobId: 'job-1', attempt: 2, producerVertex: 'source#0', producerSubtask: 1, consumerVertex: 'window', consumerSubtask: 3 }

frames('decodes every kind of frame as encoded; an element stays bytes', () => {
  assert.equal(decodeMuxFrame(encodeOpenFrame(300, key)), { kind: 'open', channel: 300, key })
  assert.equal(decodeMuxFrame(encodeReasonFrame('abort', 5, 'Operator failed: ünïcode')), { kind: 'abort', channel: 5, reason: 'Operator failed: ünïcode' })
  assert.equal(decodeMuxFrame(encodeReasonFrame('refuse', 0, 'no')), { kind: 'refuse', channel: 0, reason: 'no' })
  assert.equal(decodeMuxFrame(encodeCreditFrame([[0, 8], [70000, 4]])), { kind: 'credit', grants: [[0, 8], [70000, 4]] })
  const element = encodeElement({ type: 'watermark', timestamp: 7 })
  const header = encodeElementHeader(129)
  const frame = new Uint8Array([...header, ...element])
  const decoded = decodeMuxFrame(frame)
  assert.is(decoded.kind, 'element')
  assert.equal(decoded.kind === 'element' ? [decoded.channel, Array.from(decoded.bytes)] : [], [129, Array.from(element)])
})

frames('rejects malformed frames with an error naming what was wrong', () => {
  const open = encodeOpenFrame(1, key)
  const otherChannel = encodeOpenFrame(2, key)
  otherChannel[1] = 1
  const bad: [Uint8Array, RegExp][] = [
    [new Uint8Array(0), /empty/],
    [Uint8Array.of(0xff, 0), /unknown kind 255/],
    [Uint8Array.of(2), /channel.*truncated/],
    [Uint8Array.of(2, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01), /channel/],
    [Uint8Array.of(4, 1, 0, 0), /credits.*positive/],
    [Uint8Array.of(4, 2, 0, 1), /credit\[1\].channel.*truncated/],
    [Uint8Array.of(4, 1, 0, 1, 9), /bytes after/],
    [open.subarray(0, open.length - 2), /CBOR/],
    [otherChannel, /open.channel/],
    [Uint8Array.of(3, 0, 0xc3, 0x28), /UTF-8/]
  ]
  for (const [bytes, problem] of bad) {
    assert.throws(() => decodeMuxFrame(bytes), (err: Error) => err.name === 'MalformedMessageError' && problem.test(err.message), `${Array.from(bytes.subarray(0, 8)).join(',')} -> ${problem}`)
  }
})

elements.run()
frames.run()
