/**
 * Timers of one time domain for a keyed operator: at most one timer per (time, key),
 * popped in time order. A binary min-heap holds the distinct times; each time maps to
 * the set of keys that registered it.
 */
import type { Key } from '../api/functions.ts'

export class TimerQueue {
  readonly #heap: number[] = []
  readonly #byTime = new Map<number, Set<Key>>()

  get size (): number { return this.#byTime.size }

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
    keys.add(key)
    return this.#heap[0] === time
  }

  delete (time: number, key: Key): void {
    const keys = this.#byTime.get(time)
    if (keys === undefined) return
    keys.delete(key)
    // the heap entry stays; an empty set is skipped when popped
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
      for (const key of keys) fire(time, key)
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
