/**
 * The producer's end of a network data channel (`/meshflow/data/2`, see data-service.ts):
 * encodes elements and hands them to the peer's mux stream while it holds the receiver's
 * credit.
 */
import { errorMessage } from '../../protocol/error-message.ts'
import { errorText } from '../../protocol/client-fields.ts'
import type { ChannelWriter } from '../runtime/channel.ts'
import type { StreamElement } from '../runtime/stream-element.ts'
import { channelError, type ChannelKey } from './channel-key.ts'
import { encodeElement, isEndElement } from './wire-elements.ts'
import { CreditWaiters } from '../runtime/credit-waiters.ts'

/** What a channel needs of the mux stream it shares (see MuxSender). */
export interface ChannelSink {
  /** Queues one element frame of channel `id`; returns the bytes it adds to the stream. */
  element(id: number, bytes: Uint8Array): number
  /** Queues an abort frame of channel `id` and forgets the channel. */
  abort(id: number, reason: string): void
  /** Forgets channel `id` (its end of input was queued). */
  done(id: number): void
}

/** The producer's end: encodes elements and sends them while it holds credit. */
export class RemoteOutputChannel implements ChannelWriter {
  readonly #pending: Uint8Array[] = []
  #head = 0
  #sink: ChannelSink | undefined
  #id = -1
  #credits = 0
  #closed = false
  readonly #waiters = new CreditWaiters()
  readonly #fail: (err: unknown) => void
  readonly #key: ChannelKey
  readonly peer: string
  /** Bytes written to the network (frames and their headers, for metrics and tests). */
  bytesOut = 0

  constructor (peer: string, key: ChannelKey, fail: (err: unknown) => void) {
    this.peer = peer
    this.#key = key
    this.#fail = err => { fail(channelError('to', peer, key, err)) }
  }

  /** The channel's key (job attempt, edge, subtasks). */
  get key (): ChannelKey { return this.#key }

  /** Fails the channel (and so its job) with an error naming the peer and the subtasks. */
  fail (err: unknown): void {
    if (this.#closed) return
    this.#closed = true
    this.#sink = undefined
    this.#fail(err)
    this.release()
  }

  get queued (): number { return this.#pending.length - this.#head }
  get writable (): boolean { return this.#credits > this.queued }

  send (element: StreamElement): void {
    this.sendEncoded(encodeElement(element))
  }

  /**
   * Sends an element that is bytes already (`encodeElement`, perhaps made on another
   * thread); the same credit rules apply.
   */
  sendEncoded (bytes: Uint8Array): void {
    if (this.#closed) return
    this.#pending.push(bytes)
    this.#pump()
  }

  whenWritable (signal?: AbortSignal): Promise<void> {
    if (this.writable || this.#closed || signal?.aborted === true) return Promise.resolve()
    return this.#waiters.wait(signal)
  }

  /** @internal The mux stream took the channel as number `id`. */
  attach (sink: ChannelSink, id: number): void {
    this.#sink = sink
    this.#id = id
  }

  /** @internal The receiver granted `credits` more elements. */
  grant (credits: number): void {
    this.#credits += credits
    this.#pump()
  }

  #pump (): void {
    const sink = this.#sink
    if (sink === undefined) return
    while (this.#credits > 0 && this.#head < this.#pending.length) {
      const bytes = this.#pending[this.#head++]!
      this.#credits--
      this.bytesOut += sink.element(this.#id, bytes)
      if (isEndElement(bytes)) {
        this.#closed = true
        this.#sink = undefined
        sink.done(this.#id)
        break
      }
    }
    if (this.#head > 64 || this.#head === this.#pending.length) {
      this.#pending.splice(0, this.#head)
      this.#head = 0
    }
    if ((this.writable || this.#closed) && this.#waiters.waiting) this.release()
  }

  /** Wakes writers waiting for credit (the job ended). */
  release (): void {
    this.#waiters.release()
  }

  /**
   * Ends the channel early. The consumer is told why in an `abort` frame: the failure of the
   * producer's subtasks when given, else `err`, so its own failure names the cause.
   */
  abort (err: Error, failure?: unknown): void {
    const sink = this.#sink
    const open = !this.#closed
    this.#closed = true
    this.#sink = undefined
    this.#pending.length = 0
    this.#head = 0
    if (sink !== undefined && open) sink.abort(this.#id, errorText(errorMessage(failure ?? err)))
    this.release()
  }
}
