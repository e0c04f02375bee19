/**
 * Length-prefixed framing: every frame is an unsigned varint (LEB128, as in multiformats
 * and it-length-prefixed) holding the payload's length, then the payload. Each protocol has
 * a maximum frame size; a receiver refuses a longer frame as soon as its length prefix says
 * so, before buffering any of it.
 *
 * The decoder is ours rather than it-length-prefixed's (same wire format): that one notices
 * an oversized frame only once the whole prefix has arrived, reports it and a truncated
 * stream without the sizes, yields Uint8ArrayLists rather than bytes, and takes no abort signal.
 */
import { Uint8ArrayList } from 'uint8arraylist'
import { MAX_DATA_FRAME_BYTES, MAX_LENGTH_PREFIX_BYTES, WRITE_BATCH_BYTES } from './constants.ts'
import { FrameTooLargeError, TruncatedFrameError } from './errors.ts'

/** What the frame decoder reads: a libp2p stream, or any async iterable of chunks. */
export type ByteSource = AsyncIterable<Uint8Array | Uint8ArrayList> | Iterable<Uint8Array | Uint8ArrayList>

/**
 * The writable side of a libp2p 3 stream as framing uses it. `send` queues the bytes and
 * returns false when the stream's buffer is full; the writer then waits for `onDrain`.
 */
export interface FrameSink {
  send(data: Uint8Array | Uint8ArrayList): boolean
  onDrain(options?: { signal?: AbortSignal }): Promise<void>
}

/** Options of the frame decoder. */
export interface DecodeFramesOptions {
  /** The largest payload accepted, in bytes. */
  readonly maxBytes: number
  readonly signal?: AbortSignal
}

/** Options of `writeFrames`. */
export interface WriteFramesOptions {
  /** The largest payload allowed (default `MAX_DATA_FRAME_BYTES`); checked before anything is sent. */
  readonly maxBytes?: number
  /** Frames are gathered into one `send()` up to about this many bytes (default 64 KiB). */
  readonly batchBytes?: number
  readonly signal?: AbortSignal
}

/** The number of bytes the varint of `n` takes. */
export function lengthPrefixBytes (n: number): number {
  let bytes = 1
  while (n >= 0x80) {
    n = Math.floor(n / 0x80)
    bytes++
  }
  return bytes
}

/** Writes the varint of `n` into `target` at `offset`; returns the offset after it. */
export function writeVarint (n: number, target: Uint8Array, offset: number): number {
  while (n >= 0x80) {
    target[offset++] = (n % 0x80) | 0x80
    n = Math.floor(n / 0x80)
  }
  target[offset++] = n
  return offset
}

/** The varint length prefix of a payload of `length` bytes. */
export function encodeLengthPrefix (length: number): Uint8Array {
  if (!Number.isSafeInteger(length) || length < 0) throw new RangeError(`Frame length must be a non-negative integer, got ${length}`)
  const out = new Uint8Array(lengthPrefixBytes(length))
  writeVarint(length, out, 0)
  return out
}

/**
 * Frames one payload: its varint length, then its bytes, in one new `Uint8Array`.
 *
 * @throws {FrameTooLargeError} when the payload is longer than `maxBytes`
 * @example
 * ```ts
 * encodeFrame(new Uint8Array([1, 2, 3])) // Uint8Array [3, 1, 2, 3]
 * ```
 */
export function encodeFrame (payload: Uint8Array, maxBytes = MAX_DATA_FRAME_BYTES): Uint8Array {
  if (payload.byteLength > maxBytes) throw new FrameTooLargeError(payload.byteLength, maxBytes)
  const out = new Uint8Array(lengthPrefixBytes(payload.byteLength) + payload.byteLength)
  out.set(payload, writeVarint(payload.byteLength, out, 0))
  return out
}

/**
 * Reads a varint length prefix at the start of `buffer`. Returns undefined while the
 * prefix is incomplete.
 */
function readLengthPrefix (buffer: Uint8ArrayList, maxBytes: number): { length: number, bytes: number } | undefined {
  let value = 0
  let scale = 1
  const available = Math.min(buffer.byteLength, MAX_LENGTH_PREFIX_BYTES)
  for (let i = 0; i < available; i++) {
    const byte = buffer.get(i)
    value += (byte & 0x7f) * scale
    // the value only grows with more bytes, so an oversized frame is refused at once
    if (value > maxBytes) throw new FrameTooLargeError(value, maxBytes)
    if ((byte & 0x80) === 0) return { length: value, bytes: i + 1 }
    scale *= 0x80
  }
  if (available === MAX_LENGTH_PREFIX_BYTES) {
    throw new FrameTooLargeError(value, maxBytes, `Frame length prefix is longer than ${MAX_LENGTH_PREFIX_BYTES} bytes`)
  }
  return undefined
}

/**
 * Splits a byte stream into frame payloads: an it-pipe stage between a libp2p stream (or
 * any async iterable of chunks) and a message decoder. A payload that lies within one
 * incoming chunk is yielded without copying.
 *
 * @throws {FrameTooLargeError} when a length prefix announces more than `maxBytes`
 * @throws {TruncatedFrameError} when the source ends inside a frame
 * @throws `signal.reason` when the signal aborts
 * @example
 * ```ts
 * for await (const payload of decodeFrames(stream, { maxBytes: MAX_CONTROL_FRAME_BYTES })) {
 *   const message = decodeClientMessage(payload)
 * }
 * ```
 */
export async function * decodeFrames (source: ByteSource, options: DecodeFramesOptions): AsyncGenerator<Uint8Array, void, undefined> {
  const { maxBytes, signal } = options
  const buffer = new Uint8ArrayList()
  let length = -1
  let prefixBytes = 0
  signal?.throwIfAborted()
  for await (const chunk of signal === undefined ? source : untilAborted(source, signal)) {
    signal?.throwIfAborted()
    buffer.append(chunk)
    while (true) {
      if (length < 0) {
        const prefix = readLengthPrefix(buffer, maxBytes)
        if (prefix === undefined) break
        buffer.consume(prefix.bytes)
        length = prefix.length
        prefixBytes = prefix.bytes
      }
      if (buffer.byteLength < length) break
      const payload = length === 0 ? new Uint8Array(0) : buffer.subarray(0, length)
      buffer.consume(length)
      length = -1
      yield payload
      signal?.throwIfAborted()
    }
  }
  if (length >= 0) throw new TruncatedFrameError(prefixBytes + length, prefixBytes + buffer.byteLength)
  if (buffer.byteLength > 0) {
    throw new TruncatedFrameError(buffer.byteLength + 1, buffer.byteLength, `Stream ended inside a frame's length prefix after ${buffer.byteLength} bytes`)
  }
}

/**
 * The chunks of `source` until `signal` aborts, then rejects with its reason at once, also
 * while waiting for a chunk that never comes (a silent peer); ends `source` either way.
 */
async function * untilAborted (source: ByteSource, signal: AbortSignal): AsyncGenerator<Uint8Array | Uint8ArrayList, void, undefined> {
  const iterator: AsyncIterator<Uint8Array | Uint8ArrayList> | Iterator<Uint8Array | Uint8ArrayList> = Symbol.asyncIterator in source
    ? source[Symbol.asyncIterator]()
    : source[Symbol.iterator]()
  try {
    for (;;) {
      signal.throwIfAborted()
      // a fresh abort promise per chunk, its listener removed after: racing one long-lived
      // promise would keep a reaction per chunk alive for the stream's whole life
      let onAbort: (() => void) | undefined
      const aborted = new Promise<never>((_resolve, reject) => {
        onAbort = () => { reject(signal.reason) }
        signal.addEventListener('abort', onAbort, { once: true })
      })
      let next: IteratorResult<Uint8Array | Uint8ArrayList>
      try {
        next = await Promise.race([iterator.next(), aborted])
      } finally {
        signal.removeEventListener('abort', onAbort!)
      }
      if (next.done === true) return
      yield next.value
    }
  } finally {
    // a pending next() of a stream is settled by the stream's own abort
    void Promise.resolve(iterator.return?.()).catch(() => {})
  }
}

/**
 * Writes payloads as frames, gathering them into as few `send()` calls as possible (one
 * per `batchBytes`), and waits for the stream's 'drain' whenever `send()` reports a full
 * buffer, so a slow receiver slows the writer instead of growing its buffer. Every payload
 * is checked against `maxBytes` before anything is sent. Resolves once the stream can take
 * more.
 *
 * @throws {FrameTooLargeError} when a payload is longer than `maxBytes` (nothing was sent)
 * @throws `signal.reason` when the signal aborts, or the stream's error when it closes while waiting
 * @example
 * ```ts
 * await writeFrames(stream, [encodeDataMessage(batch), encodeDataMessage(watermark)])
 * ```
 */
export async function writeFrames (stream: FrameSink, payloads: Iterable<Uint8Array>, options: WriteFramesOptions = {}): Promise<void> {
  const maxBytes = options.maxBytes ?? MAX_DATA_FRAME_BYTES
  const batchBytes = options.batchBytes ?? WRITE_BATCH_BYTES
  const signal = options.signal
  const list = Array.isArray(payloads) ? payloads as readonly Uint8Array[] : [...payloads]
  for (const p of list) if (p.byteLength > maxBytes) throw new FrameTooLargeError(p.byteLength, maxBytes)
  signal?.throwIfAborted()
  let batch = new Uint8ArrayList()
  for (const p of list) {
    batch.append(encodeLengthPrefix(p.byteLength))
    if (p.byteLength > 0) batch.append(p)
    if (batch.byteLength >= batchBytes) {
      const full = !stream.send(batch)
      batch = new Uint8ArrayList()
      if (full) await stream.onDrain(signal === undefined ? {} : { signal })
      signal?.throwIfAborted()
    }
  }
  if (batch.byteLength > 0 && !stream.send(batch)) await stream.onDrain(signal === undefined ? {} : { signal })
}
