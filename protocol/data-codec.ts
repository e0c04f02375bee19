/**
 * The CBOR codec of data messages: DataMessage <-> bytes. `/meshflow/data/2` uses it for
 * the key of a channel in its `open` frame (`data-mux.ts`); record batches there travel in
 * the leaner element format of `element-codec.ts` (timestamps as raw doubles, no field names).
 */
import { MAX_CHANNEL, MAX_CREDITS, MAX_ID_LENGTH, MAX_RECORDS_PER_BATCH, MAX_SUBTASK } from './constants.ts'
import { decodeCbor, encodeCbor } from './cbor.ts'
import { ERROR_RULE } from './client-fields.ts'
import type { DataMessage, DataMessageType } from './data.ts'
import { array, at, bool, fail, field, object, oneOf, plainData, positiveInt, string, text, timestamp, uint } from './validation.ts'

const P = 'data'

/** The `type` of every data message. */
export const DATA_MESSAGE_TYPES: readonly DataMessageType[] = Object.freeze(['open-channel', 'records', 'watermark', 'status', 'end', 'barrier', 'abort', 'credit'])

const KEYS: Record<DataMessageType, ReadonlySet<string>> = {
  'open-channel': new Set(['type', 'channel', 'jobId', 'attempt', 'producerVertex', 'producerSubtask', 'consumerVertex', 'consumerSubtask']),
  records: new Set(['type', 'channel', 'values', 'timestamps']),
  watermark: new Set(['type', 'channel', 'timestamp']),
  status: new Set(['type', 'channel', 'idle']),
  end: new Set(['type', 'channel']),
  barrier: new Set(['type', 'channel', 'checkpointId']),
  abort: new Set(['type', 'channel', 'reason']),
  credit: new Set(['type', 'channel', 'credits'])
}
const ANY_KEYS = new Set(Object.values(KEYS).flatMap(s => [...s]))
const ID_RULE = text(MAX_ID_LENGTH, 1)

/**
 * Encodes a data message (declared fields only). Record values are written as they are:
 * objects of one shape share one cbor-x record definition per batch.
 *
 * @throws when a record value is not cbor-encodable (a function, a symbol)
 */
export function encodeDataMessage (m: DataMessage): Uint8Array {
  switch (m.type) {
    case 'open-channel':
      return encodeCbor({
        type: m.type,
        channel: m.channel,
        jobId: m.jobId,
        attempt: m.attempt,
        producerVertex: m.producerVertex,
        producerSubtask: m.producerSubtask,
        consumerVertex: m.consumerVertex,
        consumerSubtask: m.consumerSubtask
      })
    case 'records':
      return encodeCbor({ type: m.type, channel: m.channel, values: m.values, timestamps: m.timestamps })
    case 'watermark':
      return encodeCbor({ type: m.type, channel: m.channel, timestamp: m.timestamp })
    case 'status':
      return encodeCbor({ type: m.type, channel: m.channel, idle: m.idle })
    case 'end':
      return encodeCbor({ type: m.type, channel: m.channel })
    case 'barrier':
      return encodeCbor({ type: m.type, channel: m.channel, checkpointId: m.checkpointId })
    case 'abort':
      return encodeCbor({ type: m.type, channel: m.channel, reason: m.reason })
    case 'credit':
      return encodeCbor({ type: m.type, channel: m.channel, credits: m.credits })
  }
}

/**
 * Decodes and validates a data message. Record values must be plain data (see
 * `plainData` in validation.ts); timestamps are numbers other than NaN, one per value.
 *
 * @throws {MalformedMessageError} naming the field, for anything but a well-formed message
 * @example
 * ```ts
 * const bytes = encodeDataMessage({ type: 'records', channel: 0, values: [{ n: 1 }], timestamps: [1000] })
 * decodeDataMessage(bytes) // { type: 'records', channel: 0, values: [{ n: 1 }], timestamps: [1000] }
 * ```
 */
export function decodeDataMessage (bytes: Uint8Array): DataMessage {
  const loose = object(P, decodeCbor(P, bytes), '', ANY_KEYS)
  const type = oneOf(P, loose, 'type', '', DATA_MESSAGE_TYPES)
  const o = object(P, loose, '', KEYS[type])
  const channel = uint(P, o, 'channel', '', MAX_CHANNEL)
  switch (type) {
    case 'records': {
      const values = array(P, o, 'values', '', MAX_RECORDS_PER_BATCH)
      const timestamps = array(P, o, 'timestamps', '', MAX_RECORDS_PER_BATCH)
      if (timestamps.length !== values.length) fail(P, 'timestamps', `must have one timestamp per value (${values.length}), got ${timestamps.length}`)
      for (let i = 0; i < timestamps.length; i++) {
        const t = timestamps[i]
        if (typeof t !== 'number' || t !== t) timestamp(P, t, at('timestamps', i))
      }
      plainData(P, values, 'values', { left: bytes.byteLength })
      return { type, channel, values, timestamps: timestamps as readonly number[] }
    }
    case 'watermark':
      return { type, channel, timestamp: timestamp(P, field(o, 'timestamp'), 'timestamp') }
    case 'status':
      return { type, channel, idle: bool(P, o, 'idle', '') }
    case 'end':
      return { type, channel }
    case 'barrier':
      return { type, channel, checkpointId: uint(P, o, 'checkpointId', '') }
    case 'abort':
      return { type, channel, reason: string(P, o, 'reason', '', ERROR_RULE) }
    case 'credit':
      return { type, channel, credits: positiveInt(P, o, 'credits', '', MAX_CREDITS) }
    case 'open-channel':
      return {
        type,
        channel,
        jobId: string(P, o, 'jobId', '', ID_RULE),
        attempt: uint(P, o, 'attempt', ''),
        producerVertex: string(P, o, 'producerVertex', '', ID_RULE),
        producerSubtask: uint(P, o, 'producerSubtask', '', MAX_SUBTASK),
        consumerVertex: string(P, o, 'consumerVertex', '', ID_RULE),
        consumerSubtask: uint(P, o, 'consumerSubtask', '', MAX_SUBTASK)
      }
  }
}
