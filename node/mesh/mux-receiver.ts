/**
 * The consumer side of a peer pair's data stream (`/meshflow/data/2`): the stream another
 * peer opened for all its channels to subtasks on this peer. Element frames go to their
 * channel by number; credits the channels grant in one event-loop turn go back in one
 * frame. Reading never waits for a channel (each holds at most its credit), so a slow
 * consumer on one channel does not hold up the others on the same stream.
 *
 * A malformed frame, or a producer that breaks the protocol (an element beyond its credit,
 * on a channel it never opened), fails this stream and every channel on it, with an error
 * naming the peer; the rest of the peer is untouched.
 */
import type { Stream } from '@libp2p/interface'
import { logger } from '@libp2p/logger'
import { DATA_CODEC } from '../../protocol/codec.ts'
import { decodeMuxFrame, encodeCreditFrame, encodeReasonFrame, type MuxChannelKey } from '../../protocol/data-mux.ts'
import { errorMessage } from '../../protocol/error-message.ts'
import { decodeFrames, encodeFrame } from '../../protocol/framing.ts'
import { asError } from './as-error.ts'
import { DataStreamError, ProducerFailedError } from './errors.ts'
import type { CreditSink, RemoteInputChannel } from './remote-input-channel.ts'

const log = logger('meshflow:mesh:data')

/** What the receiver asks of the data service when channels open and go. */
export interface MuxReceiverHooks {
  /** A channel opened: attach a reader now (`receiver.attach`), later, or refuse it. */
  open(receiver: MuxReceiver, id: number, key: MuxChannelKey): void
  /** The producer aborted a channel that was still waiting for its reader. */
  abortWaiting(receiver: MuxReceiver, id: number, reason: string): void
  /** The stream is gone: forget channels of it that still wait. */
  closed(receiver: MuxReceiver): void
}

export interface MuxReceiverInit {
  readonly stream: Stream
  /** The producer's peer (noise authenticated the connection). */
  readonly peer: string
  readonly hooks: MuxReceiverHooks
}

/** One inbound data stream from one peer. */
export class MuxReceiver implements CreditSink {
  readonly peer: string
  readonly #stream: Stream
  readonly #hooks: MuxReceiverHooks
  readonly #channels = new Map<number, RemoteInputChannel>()
  /** Opened channels waiting for their reader (no credit yet). */
  readonly #waiting = new Set<number>()
  #opened = -1
  #credits = new Map<number, number>()
  #flushScheduled = false
  #closed = false

  constructor (init: MuxReceiverInit) {
    this.#stream = init.stream
    this.peer = init.peer
    this.#hooks = init.hooks
  }

  /** Reads the stream until it ends or fails. */
  async run (): Promise<void> {
    try {
      for await (const payload of decodeFrames(this.#stream, { maxBytes: DATA_CODEC.maxFrameBytes })) {
        this.#onFrame(payload)
      }
      this.#close(this.#channels.size > 0 ? new DataStreamError('The data stream closed before its channels\' end of input') : undefined)
    } catch (err) {
      this.#close(err)
    }
  }

  #onFrame (payload: Uint8Array): void {
    const frame = decodeMuxFrame(payload)
    switch (frame.kind) {
      case 'element': {
        const reader = this.#channels.get(frame.channel)
        if (reader === undefined) {
          if (this.#waiting.has(frame.channel)) throw new DataStreamError(`Channel ${frame.channel} sent an element before it had credit`)
          if (frame.channel > this.#opened) throw new DataStreamError(`Channel ${frame.channel} sent an element before it was opened`)
          return // a channel that was refused or dropped: what was in flight is discarded
        }
        reader.deliver(frame.bytes)
        if (reader.ended) this.#channels.delete(frame.channel)
        return
      }
      case 'open':
        // numbers only grow, so a closed channel's number is never taken again
        if (frame.channel <= this.#opened) throw new DataStreamError(`Channel ${frame.channel} opened twice or out of order`)
        this.#opened = frame.channel
        this.#waiting.add(frame.channel)
        this.#hooks.open(this, frame.channel, frame.key)
        return
      case 'abort': {
        const reader = this.#channels.get(frame.channel)
        this.#channels.delete(frame.channel)
        // the producer's subtasks failed: fail with their reason, not with a broken stream
        if (reader !== undefined) reader.fail(new ProducerFailedError(frame.reason))
        else if (this.#waiting.delete(frame.channel)) this.#hooks.abortWaiting(this, frame.channel, frame.reason)
        return
      }
      default:
        throw new DataStreamError(`Unexpected '${frame.kind}' frame from a producer`)
    }
  }

  /** Gives channel `id`, which was waiting, its reader; the reader grants the first credit. */
  attach (id: number, reader: RemoteInputChannel): void {
    if (this.#closed || !this.#waiting.delete(id)) {
      reader.fail(new DataStreamError(`The data stream from peer ${this.peer} closed before the channel was read`))
      return
    }
    this.#channels.set(id, reader)
    reader.attach(this, id)
  }

  /** Refuses channel `id` (waiting or attached): the producer's channel fails with `reason`. */
  refuse (id: number, reason: string): void {
    this.#waiting.delete(id)
    this.#channels.delete(id)
    this.#credits.delete(id)
    if (this.#closed) return
    try {
      this.#stream.send(encodeFrame(encodeReasonFrame('refuse', id, reason), DATA_CODEC.maxFrameBytes))
    } catch (err) {
      this.#close(err)
    }
  }

  /**
   * Forgets the channels `matches` picks (of a job that ended here): what still arrives for
   * them is discarded. The producers are not told: their job is ending too, and a refusal
   * racing the consumer's own failure report would hide its cause.
   */
  drop (matches: (reader: RemoteInputChannel) => boolean): void {
    for (const [id, reader] of this.#channels) {
      if (!matches(reader)) continue
      this.#channels.delete(id)
      this.#credits.delete(id)
    }
  }

  grant (id: number, credits: number): void {
    if (this.#closed) return
    this.#credits.set(id, (this.#credits.get(id) ?? 0) + credits)
    if (this.#flushScheduled) return
    this.#flushScheduled = true
    // grants of one turn (any number of channels) travel in one frame
    queueMicrotask(() => { this.#flushCredits() })
  }

  #flushCredits (): void {
    this.#flushScheduled = false
    if (this.#closed || this.#credits.size === 0) return
    const grants = [...this.#credits]
    this.#credits = new Map()
    try {
      this.#stream.send(encodeFrame(encodeCreditFrame(grants), DATA_CODEC.maxFrameBytes))
    } catch (err) {
      this.#close(err)
    }
  }

  #close (err: unknown): void {
    if (this.#closed) return
    this.#closed = true
    const readers = [...this.#channels.values()]
    this.#channels.clear()
    this.#waiting.clear()
    this.#hooks.closed(this)
    if (err === undefined) {
      void this.#stream.close().catch(() => {})
      return
    }
    log.error('data stream from %s failed (%d channels): %s', this.peer, readers.length, errorMessage(err))
    this.#stream.abort(asError(err))
    const failure = new DataStreamError(`The data stream from peer ${this.peer} failed: ${errorMessage(err)}`, { cause: err })
    for (const r of readers) r.fail(failure)
  }

  /** Closes the stream; channels still open on it fail. */
  stop (): void {
    this.#close(this.#channels.size > 0 ? new DataStreamError('The data service stopped') : undefined)
  }
}
