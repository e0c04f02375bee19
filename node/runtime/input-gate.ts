/**
 * Merges a task's input channels into one sequence, taking one element at a time from
 * the channels that have data in round-robin order so that no input starves another.
 */
import type { ChannelReader } from './channel.ts'
import type { StreamElement } from './stream-element.ts'

export interface GateInput {
  readonly reader: ChannelReader
  /** 0 for the first (or only) logical input of the operator, 1 for the second. */
  readonly inputIndex: number
}

export class InputGate {
  readonly inputs: readonly GateInput[]
  readonly #ready: number[] = []
  readonly #isReady: boolean[]
  /** Channels held back (checkpoint barrier alignment): not polled until released. */
  readonly #blocked: boolean[]
  #parked: number[] = []
  #readyHead = 0
  #wake: (() => void) | undefined
  /** Channel of the element most recently returned by `poll`. */
  lastChannel = -1

  constructor (inputs: readonly GateInput[]) {
    this.inputs = inputs
    this.#isReady = new Array<boolean>(inputs.length).fill(false)
    this.#blocked = new Array<boolean>(inputs.length).fill(false)
    inputs.forEach((input, channel) => {
      input.reader.onAvailable(() => { this.#markReady(channel) })
    })
    // Elements may have arrived before the listeners were attached.
    for (let c = 0; c < inputs.length; c++) this.#markReady(c)
  }

  #markReady (channel: number): void {
    if (this.#isReady[channel]!) return
    this.#isReady[channel] = true
    if (this.#blocked[channel]!) {
      this.#parked.push(channel)
      return
    }
    this.#ready.push(channel)
    const wake = this.#wake
    if (wake !== undefined) {
      this.#wake = undefined
      wake()
    }
  }

  /** The next element from any channel, or `undefined` when none is waiting. */
  poll (): StreamElement | undefined {
    while (this.#readyHead < this.#ready.length) {
      const channel = this.#ready[this.#readyHead++]!
      if (this.#readyHead > 256) {
        this.#ready.splice(0, this.#readyHead)
        this.#readyHead = 0
      }
      if (this.#blocked[channel]!) {
        // blocked after it was queued: park it, still marked ready, until released
        this.#parked.push(channel)
        continue
      }
      this.#isReady[channel] = false
      const element = this.inputs[channel]!.reader.poll()
      if (element === undefined) continue
      // More may be waiting on this channel: queue it behind the others.
      this.#markReady(channel)
      this.lastChannel = channel
      return element
    }
    return undefined
  }

  /**
   * Holds `channel` back: `poll` takes nothing more from it until `releaseAll`. Used to
   * align checkpoint barriers: a channel that delivered the barrier waits for the others.
   */
  block (channel: number): void {
    this.#blocked[channel] = true
  }

  isBlocked (channel: number): boolean {
    return this.#blocked[channel]!
  }

  /** Releases every blocked channel; those with elements waiting are polled again. */
  releaseAll (): void {
    this.#blocked.fill(false)
    const parked = this.#parked
    this.#parked = []
    for (const channel of parked) {
      this.#isReady[channel] = false
      this.#markReady(channel)
    }
  }

  /** Resolves when an element may be available; also resolves when `signal` aborts. */
  whenAvailable (signal: AbortSignal): Promise<void> {
    if (this.#readyHead < this.#ready.length || signal.aborted) return Promise.resolve()
    return new Promise(resolve => {
      const done = (): void => {
        signal.removeEventListener('abort', done)
        this.#wake = undefined
        resolve()
      }
      this.#wake = done
      signal.addEventListener('abort', done)
    })
  }
}
