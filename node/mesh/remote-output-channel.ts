/**
 * The producer's end of a network data channel (`/meshflow/data/1`, see data-service.ts):
 * sends the channel's elements as frames while it holds the receiver's credit.
 */
import type { Stream } from '@libp2p/interface'
import { logger } from '@libp2p/logger'
import { errorMessage } from '../../protocol/error-message.ts'
import { DATA_CODEC } from '../../protocol/codec.ts'
import { decodeFrames, encodeFrame } from '../../protocol/framing.ts'
import { errorText } from '../../protocol/client-fields.ts'
import type { ChannelWriter } from '../runtime/channel.ts'
import type { StreamElement } from '../runtime/stream-element.ts'
import { channelError, type ChannelKey } from './channel-key.ts'
import { toWire } from './wire-elements.ts'

const log = logger('meshflow:mesh:data')

/** The producer's end: encodes elements and sends them while it holds credit. */
export class RemoteOutputChannel implements ChannelWriter {
  readonly #pending: StreamElement[] = []
  #stream: Stream | undefined
  #credits = 0
  #closed = false
  #waiters: (() => void)[] = []
  readonly #fail: (err: unknown) => void
  readonly #peer: string
  readonly #key: ChannelKey
  /** Bytes written to the network (for metrics and tests). */
  bytesOut = 0

  constructor (peer: string, key: ChannelKey, fail: (err: unknown) => void) {
    this.#peer = peer
    this.#key = key
    this.#fail = err => { fail(channelError('to', peer, key, err)) }
  }

  /** Fails the channel (and so its job) with an error naming the peer and the subtasks. */
  fail (err: unknown): void {
    this.#fail(err)
  }

  get queued (): number { return this.#pending.length }
  get writable (): boolean { return this.#credits > this.#pending.length }

  send (element: StreamElement): void {
    this.#pending.push(element)
    this.#pump()
  }

  whenWritable (signal?: AbortSignal): Promise<void> {
    if (this.writable || this.#closed || signal?.aborted === true) return Promise.resolve()
    return new Promise(resolve => {
      const done = (): void => {
        signal?.removeEventListener('abort', done)
        resolve()
      }
      this.#waiters.push(done)
      signal?.addEventListener('abort', done)
    })
  }

  /** @internal Called once the stream is open and the open-channel message is on its way. */
  attach (stream: Stream): void {
    this.#stream = stream
    void this.#readCredits(stream)
    this.#pump()
  }

  async #readCredits (stream: Stream): Promise<void> {
    try {
      for await (const payload of decodeFrames(stream, { maxBytes: DATA_CODEC.maxFrameBytes })) {
        const m = DATA_CODEC.decode(payload)
        if (m.type !== 'credit') throw new Error(`Unexpected '${m.type}' message from a channel's receiver`)
        this.#credits += m.credits
        this.#pump()
      }
    } catch (err) {
      if (!this.#closed) this.#fail(err)
    }
  }

  #pump (): void {
    const stream = this.#stream
    if (stream === undefined) return
    while (this.#credits > 0 && this.#pending.length > 0) {
      const element = this.#pending.shift()!
      this.#credits--
      const frame = encodeFrame(DATA_CODEC.encode(toWire(element)), DATA_CODEC.maxFrameBytes)
      this.bytesOut += frame.byteLength
      // credit bounds what is in flight, so the stream's own buffer stays bounded too
      try {
        stream.send(frame)
      } catch (err) {
        this.#closed = true
        throw channelError('to', this.#peer, this.#key, err)
      }
      if (element.type === 'end') {
        this.#closed = true
        void stream.close().catch(err => { log('closing a data stream: %s', errorMessage(err)) })
      }
    }
    if (this.writable && this.#waiters.length > 0) this.release()
  }

  /** Wakes writers waiting for credit (the job ended). */
  release (): void {
    const waiters = this.#waiters
    this.#waiters = []
    for (const w of waiters) w()
  }

  /**
   * Ends the channel early. With `failure` (the producer's subtasks failed) the consumer is
   * told why in an `abort` message first, so its own failure names the cause.
   */
  abort (err: Error, failure?: unknown): void {
    const stream = this.#stream
    const open = !this.#closed
    this.#closed = true
    if (stream !== undefined && open && failure !== undefined) {
      try {
        stream.send(encodeFrame(DATA_CODEC.encode({ type: 'abort', channel: 0, reason: errorText(errorMessage(failure)) }), DATA_CODEC.maxFrameBytes))
        void stream.close().catch(() => { stream.abort(err) })
        this.release()
        return
      } catch {
        // the stream broke already: abort it
      }
    }
    stream?.abort(err)
    this.release()
  }
}
