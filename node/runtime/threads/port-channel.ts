/**
 * Channels between two threads of one process. Every channel between a pair of threads
 * travels over one MessagePort pair (`PortLink`), each message naming its channel; an
 * element crosses as an encoded batch whose buffers are transferred, not copied
 * (`thread-batch-codec.ts`). Flow control is the LocalChannel's: the writer starts with
 * `capacity` credits, spends one per element, and the reader returns credits as its task
 * takes elements — so a slow consumer on another thread backpressures its producer exactly
 * as one on the same thread does.
 *
 * @example
 * const link = new PortLink(port)
 * const out = link.writer('0:1:0', 4); out.send(batch)
 * const inp = otherLink.reader('0:1:0', 4); inp.onAvailable(() => inp.poll())
 */
import type { MessagePort } from 'node:worker_threads'
import type { ChannelReader, ChannelWriter } from '../channel.ts'
import type { StreamElement } from '../stream-element.ts'
import { decodeElement, encodeElement, type EncodedElement } from './thread-batch-codec.ts'

/** A message on a link: an element for channel `c`, or credits for the writer of channel `c`. */
export type LinkMessage =
  | { readonly c: string, readonly e: EncodedElement }
  | { readonly c: string, readonly credit: number }

/** The writing end of a channel to another thread. */
export class PortOutputChannel implements ChannelWriter {
  readonly #link: PortLink
  readonly #id: string
  #credits: number
  #queued = 0
  #waiters: (() => void)[] = []
  readonly capacity: number

  constructor (link: PortLink, id: string, capacity: number) {
    this.#link = link
    this.#id = id
    this.capacity = capacity
    this.#credits = capacity
  }

  get queued (): number { return this.#queued }
  get writable (): boolean { return this.#credits > 0 }

  send (element: StreamElement): void {
    // send never refuses (channel.ts): credit may go negative by what one batch produces
    this.#credits--
    this.#queued++
    this.#link.post(this.#id, element)
  }

  whenWritable (signal?: AbortSignal): Promise<void> {
    if (this.writable || signal?.aborted === true) return Promise.resolve()
    return new Promise(resolve => {
      const done = (): void => {
        signal?.removeEventListener('abort', done)
        resolve()
      }
      this.#waiters.push(done)
      signal?.addEventListener('abort', done)
    })
  }

  /** @internal The reader took `n` elements. */
  credit (n: number): void {
    this.#credits += n
    this.#queued -= n
    if (this.writable && this.#waiters.length > 0) this.release()
  }

  /** Wakes every writer waiting for credit (the job ended). */
  release (): void {
    const waiters = this.#waiters
    this.#waiters = []
    for (const w of waiters) w()
  }
}

/** The reading end of a channel from another thread. */
export class PortInputChannel implements ChannelReader {
  readonly #link: PortLink
  readonly #id: string
  readonly capacity: number
  #queue: (StreamElement | undefined)[] = []
  #head = 0
  #taken = 0
  #listener: (() => void) | undefined

  constructor (link: PortLink, id: string, capacity: number) {
    this.#link = link
    this.#id = id
    this.capacity = capacity
  }

  poll (): StreamElement | undefined {
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

  /** @internal An element arrived. */
  deliver (element: StreamElement): void {
    const wasEmpty = this.#head >= this.#queue.length
    this.#queue.push(element)
    if (wasEmpty) this.#listener?.()
  }
}

/**
 * One end of a MessagePort between two threads, carrying any number of channels. Messages
 * for a channel whose end is not made yet wait for it (the other thread may start first).
 */
export class PortLink {
  readonly #port: MessagePort
  readonly #readers = new Map<string, PortInputChannel>()
  readonly #writers = new Map<string, PortOutputChannel>()
  readonly #early = new Map<string, LinkMessage[]>()
  readonly #fail: (err: unknown) => void
  #closed = false

  constructor (port: MessagePort, fail: (err: unknown) => void = () => {}) {
    this.#port = port
    this.#fail = fail
    port.on('message', (m: LinkMessage) => { this.#receive(m) })
  }

  writer (id: string, capacity: number): PortOutputChannel {
    const w = new PortOutputChannel(this, id, capacity)
    this.#writers.set(id, w)
    this.#drainEarly(id)
    return w
  }

  reader (id: string, capacity: number): PortInputChannel {
    const r = new PortInputChannel(this, id, capacity)
    this.#readers.set(id, r)
    this.#drainEarly(id)
    return r
  }

  /** @internal */
  post (id: string, element: StreamElement): void {
    if (this.#closed) return
    const { encoded, transfer } = encodeElement(element)
    this.#port.postMessage({ c: id, e: encoded } satisfies LinkMessage, transfer)
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
      else r.deliver(decodeElement(m.e))
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
