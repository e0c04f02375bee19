import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import fc from 'fast-check'
import { encodeDataMessage, decodeDataMessage, encodeCbor, DATA_CODEC } from '../../protocol/codec.ts'
import type { DataMessage, WireRecordBatch } from '../../protocol/data.ts'
import { MAX_RECORDS_PER_BATCH } from '../../protocol/constants.ts'
import { dataMessageArb, rejects, sensorRecordArb } from './arbitraries.ts'

const roundTrip = suite('decodeDataMessage round trip')

roundTrip('decodes every message type as encoded', () => {
  const messages: DataMessage[] = [
    { type: 'open-channel', channel: 3, jobId: 'job-1', attempt: 0, producerVertex: 'source', producerSubtask: 1, consumerVertex: 'window', consumerSubtask: 0 },
    { type: 'records', channel: 3, values: [{ store: 's1', amount: 9.5 }, { store: 's2', amount: 1 }], timestamps: [1000, Number.NEGATIVE_INFINITY] },
    { type: 'records', channel: 0, values: [], timestamps: [] },
    { type: 'watermark', channel: 3, timestamp: 999 },
    { type: 'watermark', channel: 3, timestamp: Number.POSITIVE_INFINITY },
    { type: 'status', channel: 3, idle: true },
    { type: 'end', channel: 3 },
    { type: 'abort', channel: 3, reason: "Operator 'check' failed: record 5000 is poison\n\tat line 2" },
    { type: 'credit', channel: 3, credits: 4 }
  ]
  for (const m of messages) assert.equal(decodeDataMessage(encodeDataMessage(m)), m)
})

roundTrip('refuses an abort whose reason is not text, naming the field', () => {
  assert.throws(() => decodeDataMessage(encodeCbor({ type: 'abort', channel: 0, reason: 7 })), /reason/)
  assert.throws(() => decodeDataMessage(encodeCbor({ type: 'abort', channel: 0, reason: 'a\u0000b' })), /reason/)
  assert.throws(() => decodeDataMessage(encodeCbor({ type: 'abort', channel: 0, reason: 'x'.repeat(20_000) })), /reason/)
  assert.throws(() => decodeDataMessage(encodeCbor({ type: 'abort', channel: 0 })), /reason.*missing/)
})

roundTrip('decodes every generated message as encoded (property)', () => {
  fc.assert(fc.property(dataMessageArb, m => {
    assert.equal(decodeDataMessage(encodeDataMessage(m)), m)
  }), { numRuns: 500 })
})

roundTrip('keeps the values of a 1024-record batch of one shape, and writes its keys once', () => {
  fc.assert(fc.property(fc.array(sensorRecordArb, { minLength: 1024, maxLength: 1024 }), values => {
    const batch: WireRecordBatch = { type: 'records', channel: 1, values, timestamps: values.map(v => v.ts) }
    const bytes = encodeDataMessage(batch)
    assert.equal(decodeDataMessage(bytes), batch)
    const text = new TextDecoder('latin1').decode(bytes)
    assert.is(text.split('sensor').length - 1, 1 + values.filter(v => v.sensor.includes('sensor')).length)
  }), { numRuns: 10 })
})

roundTrip('keeps Dates, big bigints, Sets, Maps and typed arrays in records', () => {
  const values = [{ at: new Date(1_700_000_000_123), big: 2n ** 80n, tags: new Set(['a']), m: new Map([[1, 'x']]), f: new Float64Array([1.5, -2]) }]
  const m = decodeDataMessage(encodeDataMessage({ type: 'records', channel: 0, values, timestamps: [0] })) as WireRecordBatch
  assert.equal(m.values, values)
})

roundTrip('DATA_CODEC names the protocol and the data frame limit', () => {
  assert.is(DATA_CODEC.protocol, '/meshflow/data/2')
  assert.is(DATA_CODEC.maxFrameBytes, 16 * 1024 * 1024)
})

const reject = suite('decodeDataMessage rejects')

reject('a batch whose timestamps do not match its values', () => {
  rejects(() => decodeDataMessage(encodeCbor({ type: 'records', channel: 0, values: [1, 2], timestamps: [1] })), 'MalformedMessageError', "Malformed data message: field 'timestamps' must have one timestamp per value (2), got 1")
})

reject('a NaN or non-number timestamp', () => {
  rejects(() => decodeDataMessage(encodeCbor({ type: 'records', channel: 0, values: [1, 2], timestamps: [1, Number.NaN] })), 'MalformedMessageError', "Malformed data message: field 'timestamps[1]' must be a number other than NaN, got the number NaN")
  rejects(() => decodeDataMessage(encodeCbor({ type: 'records', channel: 0, values: [1], timestamps: ['1'] })), 'MalformedMessageError', "Malformed data message: field 'timestamps[0]' must be a number other than NaN, got the string \"1\"")
  rejects(() => decodeDataMessage(encodeCbor({ type: 'watermark', channel: 0, timestamp: Number.NaN })), 'MalformedMessageError', "Malformed data message: field 'timestamp' must be a number other than NaN, got the number NaN")
})

reject('more records than MAX_RECORDS_PER_BATCH', () => {
  const n = MAX_RECORDS_PER_BATCH + 1
  rejects(() => decodeDataMessage(encodeCbor({ type: 'records', channel: 0, values: new Array(n).fill(0), timestamps: new Array(n).fill(0) })), 'MalformedMessageError', `Malformed data message: field 'values' must have at most ${MAX_RECORDS_PER_BATCH} elements, got ${n}`)
})

reject('a record that is not plain data, naming the record and field', () => {
  rejects(() => decodeDataMessage(encodeCbor({ type: 'records', channel: 0, values: [{ a: 1 }, { a: /re/ }], timestamps: [0, 0] })), 'MalformedMessageError', "Malformed data message: field 'values[1].a' must be plain data, got a RegExp")
})

reject('a channel out of the u32 range', () => {
  rejects(() => decodeDataMessage(encodeCbor({ type: 'end', channel: 2 ** 32 })), 'MalformedMessageError', "Malformed data message: field 'channel' must be at most 4294967295, got 4294967296")
})

reject('a credit grant of zero or of too many credits', () => {
  rejects(() => decodeDataMessage(encodeCbor({ type: 'credit', channel: 0, credits: 0 })), 'MalformedMessageError', "Malformed data message: field 'credits' must be at least 1, got 0")
  rejects(() => decodeDataMessage(encodeCbor({ type: 'credit', channel: 0, credits: 2_000_000 })), 'MalformedMessageError', "Malformed data message: field 'credits' must be at most 1000000, got 2000000")
})

reject('an idle flag that is not a boolean', () => {
  rejects(() => decodeDataMessage(encodeCbor({ type: 'status', channel: 0, idle: 'yes' })), 'MalformedMessageError', "Malformed data message: field 'idle' must be a boolean, got the string \"yes\"")
})

reject('an open-channel with an empty job id or a huge subtask', () => {
  const open = { type: 'open-channel', channel: 1, jobId: 'j', attempt: 0, producerVertex: 'a', producerSubtask: 0, consumerVertex: 'b', consumerSubtask: 0 }
  rejects(() => decodeDataMessage(encodeCbor({ ...open, jobId: '' })), 'MalformedMessageError', "Malformed data message: field 'jobId' must not be empty")
  rejects(() => decodeDataMessage(encodeCbor({ ...open, consumerSubtask: 40_000 })), 'MalformedMessageError', "Malformed data message: field 'consumerSubtask' must be at most 32767, got 40000")
})

reject('the in-memory element without a channel', () => {
  rejects(() => decodeDataMessage(encodeCbor({ type: 'end' })), 'MalformedMessageError', "Malformed data message: field 'channel' is missing")
})

roundTrip.run()
reject.run()
