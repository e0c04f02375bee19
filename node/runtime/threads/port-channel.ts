/**
 * Channels between two threads of one process. Every channel between a pair of threads
 * travels over one MessagePort pair (`PortLink`), each message naming its channel; what
 * crosses is what the channel's codec makes of a value, its buffers transferred, not
 * copied: between two task workers a columnar batch (`THREAD_CODEC`, thread-batch-codec.ts),
 * between a worker and the main thread that relays it to another peer the element's wire
 * bytes (`WIRE_CODEC`, protocol/element-codec.ts), which the main thread moves as they are
 * (`BYTES_CODEC`). Flow control is the LocalChannel's: the writer starts with
 * `capacity` credits, spends one per element, and the reader returns credits as its task
 * takes elements — so a slow consumer on another thread backpressures its producer exactly
 * as one on the same thread does.
 *
 * @example
 * const link = new PortLink(port)
 * const out = link.writer('0:1:0', 4, THREAD_CODEC); out.send(batch)
 * const inp = otherLink.reader('0:1:0', 4, THREAD_CODEC); inp.onAvailable(() => inp.poll())
 */
import type { MessagePort } from 'node:worker_threads'
import { errorMessage } from '../../../protocol/error-message.ts'
import { decodeElement as decodeWire, encodeElement as encodeWire, ELEMENT_TAGS } from '../../../protocol/element-codec.ts'
import type { StreamElement } from '../stream-element.ts'
import { decodeElement, encodeElement, type EncodedElement } from './thread-batch-codec.ts'
import { CreditWaiters } from '../credit-waiters.ts'

/** How the values of a channel cross a port: what is posted, and which buffers move with it. */
export interface LinkCodec<T> {
  encode(value: T): { readonly payload: unknown, readonly transfer: ArrayBuffer[] }
  decode(payload: unknown): T
}

/** Between two task workers: columnar batches (thread-batch-codec.ts). */
export const THREAD_CODEC: LinkCodec<StreamElement> = {
  encode: element => { const { encoded, transfer } = encodeElement(element); return { payload: encoded, transfer } },
  decode: payload => decodeElement(payload as EncodedElement)
}

/** A record batch's bytes own their buffer (control elements may be shared constants: copied). */
function ownBuffer (bytes: Uint8Array): ArrayBuffer[] {
  return bytes[0] === ELEMENT_TAGS.records && bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? [bytes.buffer as ArrayBuffer] : []
}

/** Between a worker and the main thread: the element's network bytes, made and read by the worker. */
export const WIRE_CODEC: LinkCodec<StreamElement> = {
  encode: element => { const bytes = encodeWire(element); return { payload: bytes, transfer: ownBuffer(bytes) } },
  decode: payload => decodeWire(payload as Uint8Array) as StreamElement
}

/** The main thread's side of WIRE_CODEC: bytes in, bytes out, never decoded here. */
export const BYTES_CODEC: LinkCodec<Uint8Array> = {
  encode: bytes => {
    // a received element is a view into what the network layer may still hold (a Node
    // Buffer's slice() is a view too): transfer a copy that owns its memory
    const own = new Uint8Array(bytes.byteLength)
    own.set(bytes)
    return { payload: own, transfer: [own.buffer] }
  },
  decode: payload => payload as Uint8Array
}

/** A message on a link: a value for channel `c`, or credits for the writer of channel `c`. */
export type LinkMessage =
  | { readonly c: string, readonly e: unknown }
  | { readonly c: string, readonly credit: number }

/** The writing end of a channel to another thread. */
export class PortOutputChannel<T = StreamElement> {
  readonly #link: PortLink
  readonly #id: string
  readonly #codec: LinkCodec<T>
  #credits: number
  #queued = 0
  readonly #waiters = new CreditWaiters()
  readonly capacity: number

  constructor (link: PortLink, id: string, capacity: number, codec: LinkCodec<T>) {
    this.#link = link
    this.#id = id
    this.capacity = capacity
    this.#credits = capacity
    this.#codec = codec
  }

  get queued (): number { return this.#queued }
  get writable (): boolean { return this.#credits > 0 }

  send (value: T): void {
    // send never refuses (channel.ts): credit may go negative by what one batch produces
    this.#credits--
    this.#queued++
    const { payload, transfer } = this.#codec.encode(value)
    this.#link.post(this.#id, payload, transfer)
  }

  whenWritable (signal?: AbortSignal): Promise<void> {
    if (this.writable || signal?.aborted === true) return Promise.resolve()
    return this.#waiters.wait(signal)
  }

  /** @internal The reader took `n` elements. */
  credit (n: number): void {
    this.#credits += n
    this.#queued -= n
    if (this.writable && this.#waiters.waiting) this.release()
  }

  /** Wakes every writer waiting for credit (the job ended). */
  release (): void {
    this.#waiters.release()
  }
}

/** The reading end of a channel from another thread. */
export class PortInputChannel<T = StreamElement> {
  readonly #link: PortLink
  readonly #id: string
  readonly #codec: LinkCodec<T>
  readonly capacity: number
  #queue: (T | undefined)[] = []
  #head = 0
  #taken = 0
  #listener: (() => void) | undefined

  constructor (link: PortLink, id: string, capacity: number, codec: LinkCodec<T>) {
    this.#link = link
    this.#id = id
    this.capacity = capacity
    this.#codec = codec
  }

  poll (): T | undefined {
    if (this.#head >= this.#queue.length) return undefined
    const element = this.#queue[this.#head]
    this.#queue[this.#head++] = undefined
    if (this.#head > 64 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head)
      this.#head = 0
    }
    // credits go back in halves of the capacity: one message per few batches, not per batch
    if (++this.#taken >= Math.max(1, this.capacity >> 1)) {
      this.#link.credit(this.#id, this.#taken)
      this.#taken = 0
    }
    return element
  }

  onAvailable (listener: () => void): void {
    this.#listener = listener
  }

  /** @internal A value arrived. */
  deliver (payload: unknown): void {
    const wasEmpty = this.#head >= this.#queue.length
    this.#queue.push(this.#codec.decode(payload))
    if (wasEmpty) this.#listener?.()
  }
}

/**
 * One end of a MessagePort between two threads, carrying any number of channels. Messages
 * for a channel whose end is not made yet wait for it (the other thread may start first).
 */
export class PortLink {
  readonly #port: MessagePort
  readonly #readers = new Map<string, PortInputChannel<any>>()
  readonly #writers = new Map<string, PortOutputChannel<any>>()
  readonly #early = new Map<string, LinkMessage[]>()
  readonly #fail: (err: unknown) => void
  #closed = false

  constructor (port: MessagePort, fail: (err: unknown) => void = () => {}) {
    this.#port = port
    this.#fail = fail
    port.on('message', (m: LinkMessage) => { this.#receive(m) })
    // a message that cannot be read would be a lost element or credit: the channels fail
    port.on('messageerror', err => { this.#fail(new Error(`A message between task threads could not be read: ${err.message}`, { cause: err })) })
  }

  writer<T> (id: string, capacity: number, codec: LinkCodec<T>): PortOutputChannel<T> {
    const w = new PortOutputChannel(this, id, capacity, codec)
    this.#writers.set(id, w)
    this.#drainEarly(id)
    return w
  }

  reader<T> (id: string, capacity: number, codec: LinkCodec<T>): PortInputChannel<T> {
    const r = new PortInputChannel(this, id, capacity, codec)
    this.#readers.set(id, r)
    this.#drainEarly(id)
    return r
  }

  /** @internal */
  post (id: string, payload: unknown, transfer: ArrayBuffer[]): void {
    if (this.#closed) return
    try {
      this.#port.postMessage({ c: id, e: payload } satisfies LinkMessage, transfer)
    } catch (err) {
      throw new Error(`A record could not be sent to another task thread: ${errorMessage(err)} (records that cross threads or peers must be plain data: no functions, symbols or class instances)`, { cause: err })
    }
  }

  /** @internal */
  credit (id: string, n: number): void {
    if (this.#closed) return
    this.#port.postMessage({ c: id, credit: n } satisfies LinkMessage)
  }

  #drainEarly (id: string): void {
    const early = this.#early.get(id)
    if (early === undefined) return
    this.#early.delete(id)
    for (const m of early) this.#receive(m)
  }

  #receive (m: LinkMessage): void {
    try {
      if ('credit' in m) {
        const w = this.#writers.get(m.c)
        if (w === undefined) this.#hold(m)
        else w.credit(m.credit)
        return
      }
      const r = this.#readers.get(m.c)
      if (r === undefined) this.#hold(m)
      else r.deliver(m.e)
    } catch (err) {
      this.#fail(err)
    }
  }

  #hold (m: LinkMessage): void {
    const list = this.#early.get(m.c)
    if (list === undefined) this.#early.set(m.c, [m])
    else list.push(m)
  }

  /** Wakes every writer waiting for credit. */
  release (): void {
    for (const w of this.#writers.values()) w.release()
  }

  /** Stops sending and receiving; the port is closed. */
  close (): void {
    if (this.#closed) return
    this.#closed = true
    this.release()
    this.#port.close()
  }
}
