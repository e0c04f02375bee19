/**
 * An in-memory channel between two subtasks of one process: a FIFO with a fixed number
 * of credits. Taking an element returns its credit to the writer.
 *
 * @example
 * const ch = new LocalChannel({ capacity: 4 })
 * ch.send(batch); if (!ch.writable) await ch.whenWritable()
 */
import type { ChannelReader, ChannelWriter } from './channel.ts'
import type { StreamElement } from './stream-element.ts'
import { CreditWaiters } from './credit-waiters.ts'

export interface LocalChannelInit {
  /** Elements the receiver holds before the writer stops being writable (default 4). */
  capacity?: number
}

export const DEFAULT_CHANNEL_CAPACITY = 4

export class LocalChannel implements ChannelWriter, ChannelReader {
  readonly capacity: number
  #items: (StreamElement | undefined)[] = []
  #head = 0
  #listener: (() => void) | undefined
  readonly #waiters = new CreditWaiters()

  constructor (init: LocalChannelInit = {}) {
    this.capacity = init.capacity ?? DEFAULT_CHANNEL_CAPACITY
    if (!(this.capacity >= 1)) throw new RangeError('Channel capacity must be at least 1')
  }

  get queued (): number { return this.#items.length - this.#head }

  get writable (): boolean { return this.queued < this.capacity }

  send (element: StreamElement): void {
    const wasEmpty = this.queued === 0
    this.#items.push(element)
    if (wasEmpty && this.#listener !== undefined) this.#listener()
  }

  whenWritable (signal?: AbortSignal): Promise<void> {
    if (this.writable || signal?.aborted === true) return Promise.resolve()
    return this.#waiters.wait(signal)
  }

  poll (): StreamElement | undefined {
    if (this.#head >= this.#items.length) return undefined
    const element = this.#items[this.#head]
    this.#items[this.#head++] = undefined
    if (this.#head > 64 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head)
      this.#head = 0
    }
    if (this.#waiters.waiting && this.writable) this.#waiters.release()
    return element
  }

  onAvailable (listener: () => void): void {
    this.#listener = listener
  }

  /** Wakes every writer waiting for credit (used on cancel so no task hangs). */
  release (): void {
    this.#waiters.release()
  }
}
