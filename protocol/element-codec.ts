/**
 * One stream element of a data channel as opaque bytes (`/meshflow/data/2`, see
 * `data-mux.ts`): what the mux frame header of a channel is followed by. Encoding and
 * decoding are separate from the frame so that a process can forward an element's bytes
 * (between a worker thread and the network) without decoding them.
 *
 * Layout: one tag byte, then
 * - records (0): varint count n, one timestamp-mode byte (0: every record has no event
 *   time, nothing follows; 1: n float64 little-endian timestamps), then the values as one
 *   CBOR array of n items (cbor-x records: one shape's keys written once per batch);
 * - watermark (1): float64 LE; status (2 idle, 3 active): nothing; end (4): nothing;
 *   barrier (5): float64 LE holding a non-negative integer.
 *
 * Timestamps travel as raw doubles rather than CBOR: a batch of records without event time
 * costs one byte for all of them, and with event time a copy instead of a CBOR walk.
 *
 * @example
 * ```ts
 * const bytes = encodeElement({ type: 'records', values: [1, 2], timestamps: [-Infinity, -Infinity] })
 * decodeElement(bytes) // { type: 'records', values: [1, 2], timestamps: [-Infinity, -Infinity] }
 * ```
 */
import { lengthPrefixBytes, writeVarint } from './framing.ts'
import { decodeCbor, encodeCbor } from './cbor.ts'
import { MAX_RECORDS_PER_BATCH } from './constants.ts'
import { WIRE_NO_TIMESTAMP } from './data.ts'
import { fail, plainData } from './validation.ts'

const P = 'data'

/** The tag byte of each kind of element. */
export const ELEMENT_TAGS = Object.freeze({ records: 0, watermark: 1, idle: 2, active: 3, end: 4, barrier: 5 } as const)

/** A stream element as the element codec sees it (the runtime's elements have this shape). */
export type ElementPayload =
  | { readonly type: 'records', readonly values: readonly unknown[], readonly timestamps: readonly number[] }
  | { readonly type: 'watermark', readonly timestamp: number }
  | { readonly type: 'status', readonly idle: boolean }
  | { readonly type: 'end' }
  | { readonly type: 'barrier', readonly checkpointId: number }

/** A decoded element: record arrays are fresh and owned by the caller. */
export type DecodedElement =
  | { readonly type: 'records', readonly values: unknown[], readonly timestamps: number[] }
  | Exclude<ElementPayload, { type: 'records' }>

function fixed (tag: number, value: number): Uint8Array {
  const out = new Uint8Array(9)
  out[0] = tag
  new DataView(out.buffer).setFloat64(1, value, true)
  return out
}

const END_BYTES = Uint8Array.of(ELEMENT_TAGS.end)
const IDLE_BYTES = Uint8Array.of(ELEMENT_TAGS.idle)
const ACTIVE_BYTES = Uint8Array.of(ELEMENT_TAGS.active)

/**
 * An element as bytes. The result of a control element may be a shared constant: do not
 * write into it.
 *
 * @throws when a record value is not cbor-encodable (a function, a symbol), or a batch has
 *   more than `MAX_RECORDS_PER_BATCH` records or not one timestamp per value
 */
export function encodeElement (element: ElementPayload): Uint8Array {
  switch (element.type) {
    case 'records': {
      const { values, timestamps } = element
      const n = values.length
      if (n > MAX_RECORDS_PER_BATCH) throw new RangeError(`A batch holds at most ${MAX_RECORDS_PER_BATCH} records, got ${n}`)
      if (timestamps.length !== n) throw new RangeError(`A batch needs one timestamp per value (${n}), got ${timestamps.length}`)
      let timed = false
      for (let i = 0; i < n; i++) {
        if (timestamps[i] !== WIRE_NO_TIMESTAMP) { timed = true; break }
      }
      const cbor = encodeCbor(values)
      const head = 1 + lengthPrefixBytes(n) + 1
      const out = new Uint8Array(head + (timed ? 8 * n : 0) + cbor.byteLength)
      out[0] = ELEMENT_TAGS.records
      let at = writeVarint(n, out, 1)
      out[at++] = timed ? 1 : 0
      if (timed) {
        const view = new DataView(out.buffer, out.byteOffset + at, 8 * n)
        for (let i = 0; i < n; i++) view.setFloat64(8 * i, timestamps[i]!, true)
        at += 8 * n
      }
      out.set(cbor, at)
      return out
    }
    case 'watermark': return fixed(ELEMENT_TAGS.watermark, element.timestamp)
    case 'status': return element.idle ? IDLE_BYTES : ACTIVE_BYTES
    case 'end': return END_BYTES
    case 'barrier': return fixed(ELEMENT_TAGS.barrier, element.checkpointId)
  }
}

/** Whether the element in `bytes` is the channel's end of input (without decoding it). */
export function isEndElement (bytes: Uint8Array): boolean {
  return bytes.byteLength === 1 && bytes[0] === ELEMENT_TAGS.end
}

function float (bytes: Uint8Array, path: string): number {
  if (bytes.byteLength !== 9) fail(P, path, `must be 8 bytes, got ${bytes.byteLength - 1}`)
  const v = new DataView(bytes.buffer, bytes.byteOffset + 1, 8).getFloat64(0, true)
  if (v !== v) fail(P, path, 'must be a number, got NaN')
  return v
}

/**
 * Decodes and validates an element. Record values must be plain data (see `plainData` in
 * validation.ts); timestamps are numbers other than NaN, one per value.
 *
 * @throws {MalformedMessageError} naming what was wrong, for anything but a well-formed element
 */
export function decodeElement (bytes: Uint8Array): DecodedElement {
  if (bytes.byteLength === 0) fail(P, 'element', 'is empty')
  const tag = bytes[0]!
  switch (tag) {
    case ELEMENT_TAGS.records: return decodeRecords(bytes)
    case ELEMENT_TAGS.watermark: return { type: 'watermark', timestamp: float(bytes, 'watermark.timestamp') }
    case ELEMENT_TAGS.barrier: {
      const id = float(bytes, 'barrier.checkpointId')
      if (!Number.isSafeInteger(id) || id < 0) fail(P, 'barrier.checkpointId', `must be a non-negative integer, got ${id}`)
      return { type: 'barrier', checkpointId: id }
    }
    case ELEMENT_TAGS.idle: case ELEMENT_TAGS.active: case ELEMENT_TAGS.end:
      if (bytes.byteLength !== 1) fail(P, 'element', `has ${bytes.byteLength - 1} bytes after tag ${tag}, expected none`)
      return tag === ELEMENT_TAGS.end ? { type: 'end' } : { type: 'status', idle: tag === ELEMENT_TAGS.idle }
    default:
      return fail(P, 'element', `has unknown tag ${tag}`)
  }
}

function decodeRecords (bytes: Uint8Array): DecodedElement {
  let at = 1
  let n = 0
  let scale = 1
  for (;;) {
    if (at >= bytes.byteLength || at > 4) fail(P, 'records.count', 'is truncated or too long')
    const b = bytes[at++]!
    n += (b & 0x7f) * scale
    if ((b & 0x80) === 0) break
    scale *= 0x80
  }
  if (n > MAX_RECORDS_PER_BATCH) fail(P, 'records.count', `must be at most ${MAX_RECORDS_PER_BATCH}, got ${n}`)
  if (at >= bytes.byteLength) fail(P, 'records.timestamps', 'is missing')
  const mode = bytes[at++]!
  const timestamps = new Array<number>(n)
  if (mode === 0) {
    timestamps.fill(WIRE_NO_TIMESTAMP)
  } else if (mode === 1) {
    if (bytes.byteLength - at < 8 * n) fail(P, 'records.timestamps', `needs ${8 * n} bytes, got ${bytes.byteLength - at}`)
    const view = new DataView(bytes.buffer, bytes.byteOffset + at, 8 * n)
    for (let i = 0; i < n; i++) {
      const t = view.getFloat64(8 * i, true)
      if (t !== t) fail(P, `records.timestamps[${i}]`, 'must be a number, got NaN')
      timestamps[i] = t
    }
    at += 8 * n
  } else {
    fail(P, 'records.timestamps', `has unknown mode ${mode}`)
  }
  const rest = bytes.subarray(at)
  const values = decodeCbor(P, rest)
  if (!Array.isArray(values)) fail(P, 'records.values', 'must be an array')
  if (values.length !== n) fail(P, 'records.values', `must hold ${n} values, got ${values.length}`)
  plainData(P, values, 'records.values', { left: rest.byteLength })
  return { type: 'records', values: values as unknown[], timestamps }
}
