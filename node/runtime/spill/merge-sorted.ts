/**
 * The k-way merge of sorted sources over a binary heap of source indexes ordered by their
 * heads; of equal heads the lower source index comes first, so a merge of runs written in
 * arrival order is stable.
 *
 * @example
 * [...mergeSorted([[1, 3][Symbol.iterator](), [2][Symbol.iterator]()], (a, b) => a - b)] // [1, 2, 3]
 */

/** Yields the entries of every source in `compare` order; closes every source at the end or on `return()`. */
export function * mergeSorted<T> (sources: readonly Iterator<T>[], compare: (a: T, b: T) => number): Generator<T, void, undefined> {
  const heads: T[] = new Array<T>(sources.length)
  const heap: number[] = []
  const less = (a: number, b: number): boolean => {
    const c = compare(heads[a]!, heads[b]!)
    return c < 0 || (c === 0 && a < b)
  }
  const down = (i: number): void => {
    for (;;) {
      const l = 2 * i + 1
      if (l >= heap.length) return
      const r = l + 1
      const m = r < heap.length && less(heap[r]!, heap[l]!) ? r : l
      if (!less(heap[m]!, heap[i]!)) return
      const t = heap[i]!; heap[i] = heap[m]!; heap[m] = t
      i = m
    }
  }
  try {
    for (let s = 0; s < sources.length; s++) {
      const first = sources[s]!.next()
      if (first.done !== true) {
        heads[s] = first.value
        heap.push(s)
      }
    }
    for (let i = (heap.length >> 1) - 1; i >= 0; i--) down(i)
    while (heap.length > 0) {
      const s = heap[0]!
      yield heads[s]!
      const next = sources[s]!.next()
      if (next.done === true) {
        heap[0] = heap[heap.length - 1]!
        heap.pop()
      } else {
        heads[s] = next.value
      }
      if (heap.length > 0) down(0)
    }
  } finally {
    for (const s of sources) s.return?.()
  }
}
