/**
 * Serving and speaking a protocol over a libp2p 3 stream: stream → `decodeFrames` →
 * message decoder → handler, composed with it-pipe (DESIGN §2). A malformed or oversized
 * frame, or a handler that throws, aborts that one stream with the error and logs it; it
 * never throws out into libp2p, so one bad peer cannot take the node down.
 */
import { logger, type Logger } from '@libp2p/logger'
import { pipe } from 'it-pipe'
import type { Uint8ArrayList } from 'uint8arraylist'
import type { MessageCodec } from './codec.ts'
import { isWireFormatError } from './errors.ts'
import { decodeFrames, writeFrames, type ByteSource, type FrameSink } from './framing.ts'

/**
 * A libp2p 3 stream as the message helpers use it; libp2p's `Stream` has all of this.
 */
export interface MessageStreamLike extends FrameSink, AsyncIterable<Uint8Array | Uint8ArrayList> {
  close(options?: { signal?: AbortSignal }): Promise<void>
  abort(err: Error): void
  readonly id?: string
  readonly protocol?: string
}

/** What a handler gets with each message. */
export interface MessageContext<T, C = unknown> {
  /** The stream the message came on. */
  readonly stream: MessageStreamLike
  /** The libp2p connection, when the handler was registered with `createMessageHandler`. */
  readonly connection: C | undefined
  /** Aborted when the stream is done with (ended, failed or the caller's signal fired). */
  readonly signal: AbortSignal
  /** Sends messages back on the same stream (batched into one write, honouring 'drain'). */
  send(...messages: T[]): Promise<void>
}

/** Called once per decoded message, in order; the next message waits until it settles. */
export type OnMessage<T, C = unknown> = (message: T, context: MessageContext<T, C>) => void | Promise<void>

/** Options of `handleMessages`. */
export interface HandleMessagesOptions {
  /** Aborting it aborts the stream (e.g. when the peer stops). */
  readonly signal?: AbortSignal
  /** Defaults to `logger('meshflow:protocol')`. */
  readonly log?: Logger
  /** Close the writable side once the remote has ended its side (default true). */
  readonly closeOnEnd?: boolean
}

/** How serving a stream ended: cleanly, or with the error the stream was aborted with. */
export type HandleMessagesResult = { readonly ok: true } | { readonly ok: false, readonly error: Error }

const defaultLog = logger('meshflow:protocol')

/**
 * Decodes each frame payload with `codec`: an it-pipe stage after `decodeFrames`.
 *
 * @throws {MalformedMessageError} from the codec on the first malformed payload
 */
export async function * decodeMessages<T> (frames: AsyncIterable<Uint8Array>, codec: Pick<MessageCodec<T>, 'decode'>): AsyncGenerator<T, void, undefined> {
  for await (const payload of frames) yield codec.decode(payload)
}

/**
 * The messages of `codec`'s protocol arriving on `source` (a libp2p stream), for the side
 * that opened the stream and reads the answers.
 *
 * @throws {MalformedMessageError | FrameTooLargeError | TruncatedFrameError} on bad input
 * @example
 * ```ts
 * const stream = await node.dialProtocol(peer, CLIENT_PROTOCOL)
 * await sendMessages(stream, CLIENT_CODEC, [{ type: 'status-request', id: 1 }])
 * for await (const answer of readMessages(stream, CLIENT_CODEC)) { … }
 * ```
 */
export function readMessages<T> (source: ByteSource, codec: MessageCodec<T>, options: { readonly signal?: AbortSignal } = {}): AsyncGenerator<T, void, undefined> {
  const frames = decodeFrames(source, options.signal === undefined ? { maxBytes: codec.maxFrameBytes } : { maxBytes: codec.maxFrameBytes, signal: options.signal })
  return decodeMessages(frames, codec)
}

/**
 * Encodes and writes messages as frames in one batch, waiting for 'drain' when the stream
 * is full (see `writeFrames`).
 *
 * @throws {FrameTooLargeError} when a message encodes to more than the protocol's frame limit (nothing was sent)
 */
export async function sendMessages<T> (stream: FrameSink, codec: MessageCodec<T>, messages: Iterable<T>, options: { readonly signal?: AbortSignal } = {}): Promise<void> {
  const payloads: Uint8Array[] = []
  for (const m of messages) payloads.push(codec.encode(m))
  await writeFrames(stream, payloads, options.signal === undefined ? { maxBytes: codec.maxFrameBytes } : { maxBytes: codec.maxFrameBytes, signal: options.signal })
}

/**
 * Serves one stream: decodes every frame with `codec` and calls `onMessage` for each
 * message in order. Resolves when the stream ends or fails; never rejects. On a malformed
 * or oversized frame, a truncated stream, or a throwing handler, it logs the error and
 * aborts the stream with it (the remote sees a reset); other streams are untouched.
 *
 * @example
 * ```ts
 * node.handle(CLIENT_PROTOCOL, stream => handleMessages(stream, CLIENT_CODEC, async (m, ctx) => {
 *   if (m.type === 'status-request') await ctx.send({ type: 'status-response', id: m.id, leader: null, term: 0, peers: [] })
 * }))
 * ```
 */
export async function handleMessages<T, C = unknown> (stream: MessageStreamLike, codec: MessageCodec<T>, onMessage: OnMessage<T, C>, options: HandleMessagesOptions & { readonly connection?: C } = {}): Promise<HandleMessagesResult> {
  const log = options.log ?? defaultLog
  const done = new AbortController()
  const signal = options.signal === undefined ? done.signal : AbortSignal.any([done.signal, options.signal])
  const onAbort = (): void => { stream.abort(toError(options.signal?.reason)) }
  options.signal?.addEventListener('abort', onAbort, { once: true })
  const context: MessageContext<T, C> = {
    stream,
    connection: options.connection,
    signal,
    send: async (...messages) => { await sendMessages(stream, codec, messages, { signal }) }
  }
  try {
    options.signal?.throwIfAborted()
    await pipe(
      stream,
      (source: AsyncIterable<Uint8Array | Uint8ArrayList>) => decodeFrames(source, { maxBytes: codec.maxFrameBytes, signal }),
      (frames: AsyncIterable<Uint8Array>) => decodeMessages(frames, codec),
      async (messages: AsyncIterable<T>) => {
        for await (const message of messages) await onMessage(message, context)
      }
    )
    if (options.closeOnEnd !== false) {
      try {
        await stream.close()
      } catch (err) {
        log('%s stream %s: close failed - %e', codec.protocol, stream.id ?? '?', err)
      }
    }
    return { ok: true }
  } catch (err) {
    const error = toError(err)
    if (options.signal?.aborted === true || CLOSED_UNDER_US.has(error.name)) {
      // ours to end, or the other side went away (a peer stopping resets its streams): not an error
      log('%s stream %s: aborted - %e', codec.protocol, stream.id ?? '?', error)
    } else if (isWireFormatError(error)) {
      log.error('%s stream %s from %s: aborting on malformed input - %e', codec.protocol, stream.id ?? '?', remoteOf(options.connection), error)
    } else {
      log.error('%s stream %s from %s: aborting - %e', codec.protocol, stream.id ?? '?', remoteOf(options.connection), error)
    }
    try {
      stream.abort(error)
    } catch (abortErr) {
      log.error('%s stream %s: abort failed - %e', codec.protocol, stream.id ?? '?', abortErr)
    }
    return { ok: false, error }
  } finally {
    options.signal?.removeEventListener('abort', onAbort)
    done.abort()
  }
}

/**
 * A libp2p stream handler (for `libp2p.handle(codec.protocol, …)`) that serves each
 * incoming stream with `handleMessages`; the handler's context carries the connection.
 */
export function createMessageHandler<T, C = unknown> (codec: MessageCodec<T>, onMessage: OnMessage<T, C>, options: HandleMessagesOptions = {}): (stream: MessageStreamLike, connection: C) => Promise<void> {
  return async (stream, connection) => {
    await handleMessages(stream, codec, onMessage, { ...options, connection })
  }
}

/** Errors of a stream or connection the other side (or the network) ended: nothing to log loudly. */
const CLOSED_UNDER_US: ReadonlySet<string> = new Set(['StreamResetError', 'StreamClosedError', 'ConnectionClosedError', 'StreamAbortedError'])

/** The remote peer of a libp2p connection, for logs naming who sent what; '?' when unknown. */
function remoteOf (connection: unknown): string {
  const remote = (connection as { remotePeer?: unknown } | undefined)?.remotePeer
  return remote === undefined ? '?' : String(remote)
}

function toError (err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err))
}
