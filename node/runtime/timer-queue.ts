/**
 * Timers of one time domain for a keyed operator: at most one timer per (time, key),
 * popped in time order. A binary min-heap holds the distinct times; each time maps to
 * the set of keys that registered it.
 *
 * Timers are keyed state (checkpointed per key group): with `indexKeys` the queue also
 * keeps each key's times, so a snapshot can read the timers of one key
 * ({@link TimerQueue.timesOf}), and it records the keys whose timers changed in the set
 * given to {@link TimerQueue.trackChanges}.
 */
import type { Key } from '../api/functions.ts'

export interface TimerQueueInit {
  /** Keep the times of each key (for snapshots). */
  readonly indexKeys?: boolean
}

export class TimerQueue {
  readonly #heap: number[] = []
  readonly #byTime = new Map<number, Set<Key>>()
  readonly #byKey: Map<Key, number[]> | undefined
  #changes: Set<Key> | undefined

  constructor (init: TimerQueueInit = {}) {
    this.#byKey = init.indexKeys === true ? new Map() : undefined
  }

  /** Number of distinct times registered (each with at least one key, or emptied by deletes). */
  get size (): number { return this.#byTime.size }

  /** Records, from now on, the keys whose timers are added, deleted or fired in `changes`. */
  trackChanges (changes: Set<Key> | undefined): void {
    this.#changes = changes
  }

  /** The times registered for `key` (needs `indexKeys`), or undefined when it has none. */
  timesOf (key: Key): readonly number[] | undefined {
    return this.#byKey?.get(key)
  }

  /** Calls `visit` with every key that has timers and their times (needs `indexKeys`). */
  forEachKey (visit: (key: Key, times: readonly number[]) => void): void {
    if (this.#byKey === undefined) throw new TypeError('The timer queue does not index its keys')
    for (const [key, times] of this.#byKey) visit(key, times)
  }

  #indexAdd (time: number, key: Key): void {
    this.#changes?.add(key)
    const index = this.#byKey
    if (index === undefined) return
    const times = index.get(key)
    if (times === undefined) index.set(key, [time])
    else times.push(time)
  }

  #indexDelete (time: number, key: Key): void {
    this.#changes?.add(key)
    const index = this.#byKey
    if (index === undefined) return
    const times = index.get(key)
    if (times === undefined) return
    const i = times.indexOf(time)
    if (i < 0) return
    if (times.length === 1) index.delete(key)
    else times.splice(i, 1)
  }

  /** Earliest registered time, or `undefined`. */
  peek (): number | undefined { return this.#heap[0] }

  /** Returns true when `time` became the new earliest time. */
  add (time: number, key: Key): boolean {
    let keys = this.#byTime.get(time)
    if (keys === undefined) {
      keys = new Set()
      this.#byTime.set(time, keys)
      this.#push(time)
    }
    if (!keys.has(key)) {
      keys.add(key)
      this.#indexAdd(time, key)
    }
    return this.#heap[0] === time
  }

  delete (time: number, key: Key): void {
    const keys = this.#byTime.get(time)
    if (keys === undefined) return
    // the heap entry stays; an empty set is skipped when popped
    if (keys.delete(key)) this.#indexDelete(time, key)
  }

  has (time: number, key: Key): boolean {
    return this.#byTime.get(time)?.has(key) ?? false
  }

  /**
   * Calls `fire(time, key)` for every timer with `time <= limit`, earliest first. Timers
   * registered by `fire` for times `<= limit` fire in the same call.
   */
  popUntil (limit: number, fire: (time: number, key: Key) => void): void {
    while (this.#heap.length > 0 && this.#heap[0]! <= limit) {
      const time = this.#pop()
      const keys = this.#byTime.get(time)
      this.#byTime.delete(time)
      if (keys === undefined) continue
      for (const key of keys) {
        this.#indexDelete(time, key)
        fire(time, key)
      }
    }
  }

  #push (time: number): void {
    const h = this.#heap
    let i = h.length
    h.push(time)
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (h[parent]! <= time) break
      h[i] = h[parent]!
      i = parent
    }
    h[i] = time
  }

  #pop (): number {
    const h = this.#heap
    const top = h[0]!
    const last = h.pop()!
    if (h.length > 0) {
      let i = 0
      const n = h.length
      for (;;) {
        const l = 2 * i + 1
        if (l >= n) break
        const r = l + 1
        const c = r < n && h[r]! < h[l]! ? r : l
        if (h[c]! >= last) break
        h[i] = h[c]!
        i = c
      }
      h[i] = last
    }
    return top
  }
}
