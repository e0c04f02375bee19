/**
 * The multiplexed data protocol (`/meshflow/data/2`): all data channels from the producer
 * subtasks on one peer to the consumer subtasks on another share one stream, as Flink's
 * TaskManagers share one TCP connection and Arroyo's network manager names the operator
 * and subtask in a frame header. The producer's peer opens the stream; the consumer's peer
 * answers on it.
 *
 * The stream is a sequence of length-prefixed frames (`framing.ts`). Every frame payload
 * starts with a kind byte; all but `credit` follow it with the varint channel number the
 * producer assigned in `open`:
 *
 * | kind | direction | after the channel number |
 * |---|---|---|
 * | 1 open | producer → consumer | the channel's key: a CBOR `open-channel` message (`data.ts`) |
 * | 2 element | producer → consumer | one element's bytes (`element-codec.ts`), opaque here |
 * | 3 abort | producer → consumer | why the producer failed, UTF-8 |
 * | 5 refuse | consumer → producer | why the channel was refused or dropped, UTF-8 |
 * | 4 credit | consumer → producer | (no channel) varint count, then count pairs of varint channel, varint credits |
 *
 * Credits of all channels that the consumer gathered in one turn travel in one frame.
 */
import { lengthPrefixBytes, writeVarint } from './framing.ts'
import { MAX_CHANNEL, MAX_CREDITS, MAX_MESSAGE_LENGTH } from './constants.ts'
import { decodeDataMessage, encodeDataMessage } from './data-codec.ts'
import type { OpenChannel } from './data.ts'
import { fail } from './validation.ts'

const P = 'data'

/** The kind byte of each mux frame. */
export const MUX_FRAME = Object.freeze({ open: 1, element: 2, abort: 3, credit: 4, refuse: 5 } as const)

/** Names the subtasks a channel joins (an `open-channel` message without type and number). */
export type MuxChannelKey = Omit<OpenChannel, 'type' | 'channel'>

/** A decoded mux frame; `element` frames keep their payload as bytes. */
export type MuxFrame =
  | { readonly kind: 'open', readonly channel: number, readonly key: MuxChannelKey }
  | { readonly kind: 'element', readonly channel: number, readonly bytes: Uint8Array }
  | { readonly kind: 'abort', readonly channel: number, readonly reason: string }
  | { readonly kind: 'refuse', readonly channel: number, readonly reason: string }
  | { readonly kind: 'credit', readonly grants: readonly (readonly [channel: number, credits: number])[] }

const utf8 = new TextEncoder()
const strictUtf8 = new TextDecoder('utf-8', { fatal: true })

/**
 * The header of an element frame: kind and channel. The element's bytes follow it in the
 * same frame, so a sender can write header and element without joining them.
 */
export function encodeElementHeader (channel: number): Uint8Array {
  const out = new Uint8Array(1 + lengthPrefixBytes(channel))
  out[0] = MUX_FRAME.element
  writeVarint(channel, out, 1)
  return out
}

function withChannel (kind: number, channel: number, rest: Uint8Array): Uint8Array {
  const out = new Uint8Array(1 + lengthPrefixBytes(channel) + rest.byteLength)
  out[0] = kind
  out.set(rest, writeVarint(channel, out, 1))
  return out
}

/** An `open` frame payload: channel `channel` of this stream stands for `key`. */
export function encodeOpenFrame (channel: number, key: MuxChannelKey): Uint8Array {
  return withChannel(MUX_FRAME.open, channel, encodeDataMessage({
    type: 'open-channel',
    channel,
    jobId: key.jobId,
    attempt: key.attempt,
    producerVertex: key.producerVertex,
    producerSubtask: key.producerSubtask,
    consumerVertex: key.consumerVertex,
    consumerSubtask: key.consumerSubtask
  }))
}

/** An `abort` (producer) or `refuse` (consumer) frame payload; `reason` is cut to `MAX_MESSAGE_LENGTH`. */
export function encodeReasonFrame (kind: 'abort' | 'refuse', channel: number, reason: string): Uint8Array {
  return withChannel(MUX_FRAME[kind], channel, utf8.encode(reason.slice(0, MAX_MESSAGE_LENGTH)))
}

/** A `credit` frame payload granting `credits` more elements on each channel. */
export function encodeCreditFrame (grants: readonly (readonly [channel: number, credits: number])[]): Uint8Array {
  let size = 1 + lengthPrefixBytes(grants.length)
  for (const [c, n] of grants) size += lengthPrefixBytes(c) + lengthPrefixBytes(n)
  const out = new Uint8Array(size)
  out[0] = MUX_FRAME.credit
  let at = writeVarint(grants.length, out, 1)
  for (const [c, n] of grants) at = writeVarint(n, out, writeVarint(c, out, at))
  return out
}

/** Reads varints off one frame payload, refusing truncated and oversized ones. */
class Reader {
  at = 1
  readonly #bytes: Uint8Array
  constructor (bytes: Uint8Array) { this.#bytes = bytes }

  varint (path: string, max: number): number {
    let value = 0
    let scale = 1
    for (let i = 0; ; i++) {
      if (this.at >= this.#bytes.byteLength) fail(P, path, 'is truncated')
      const b = this.#bytes[this.at++]!
      value += (b & 0x7f) * scale
      if (value > max) fail(P, path, `must be at most ${max}`)
      if ((b & 0x80) === 0) return value
      scale *= 0x80
      if (i >= 7) fail(P, path, 'is too long')
    }
  }

  rest (): Uint8Array { return this.#bytes.subarray(this.at) }
  get done (): boolean { return this.at === this.#bytes.byteLength }
}

function reason (bytes: Uint8Array, path: string): string {
  if (bytes.byteLength > 4 * MAX_MESSAGE_LENGTH) fail(P, path, `must be at most ${MAX_MESSAGE_LENGTH} characters`)
  try {
    return strictUtf8.decode(bytes)
  } catch (err) {
    return fail(P, path, 'must be UTF-8 text', { cause: err })
  }
}

/**
 * Decodes a mux frame payload. An element's bytes are returned as they are (a view into
 * `bytes`, decoded later with `decodeElement`); everything else is validated here.
 *
 * @throws {MalformedMessageError} naming what was wrong, for anything but a well-formed frame
 */
export function decodeMuxFrame (bytes: Uint8Array): MuxFrame {
  if (bytes.byteLength === 0) fail(P, 'frame', 'is empty')
  const r = new Reader(bytes)
  switch (bytes[0]) {
    case MUX_FRAME.element: {
      const channel = r.varint('channel', MAX_CHANNEL)
      return { kind: 'element', channel, bytes: r.rest() }
    }
    case MUX_FRAME.credit: {
      const count = r.varint('credit.count', 1 << 20)
      const grants: [number, number][] = []
      for (let i = 0; i < count; i++) {
        const channel = r.varint(`credit[${i}].channel`, MAX_CHANNEL)
        const credits = r.varint(`credit[${i}].credits`, MAX_CREDITS)
        if (credits === 0) fail(P, `credit[${i}].credits`, 'must be positive')
        grants.push([channel, credits])
      }
      if (!r.done) fail(P, 'credit', 'has bytes after its grants')
      return { kind: 'credit', grants }
    }
    case MUX_FRAME.open: {
      const channel = r.varint('channel', MAX_CHANNEL)
      const m = decodeDataMessage(r.rest())
      if (m.type !== 'open-channel') fail(P, 'open', `must carry an open-channel message, not '${m.type}'`)
      if (m.channel !== channel) fail(P, 'open.channel', `must be the frame's channel ${channel}, got ${m.channel}`)
      const { type: _type, channel: _channel, ...key } = m
      return { kind: 'open', channel, key }
    }
    case MUX_FRAME.abort: case MUX_FRAME.refuse: {
      const kind = bytes[0] === MUX_FRAME.abort ? 'abort' : 'refuse'
      const channel = r.varint('channel', MAX_CHANNEL)
      return { kind, channel, reason: reason(r.rest(), `${kind}.reason`) }
    }
    default:
      return fail(P, 'frame', `has unknown kind ${bytes[0]}`)
  }
}
