/**
 * `orderBy(key, direction)`: a global sort in two steps. Every subtask of the `local` step
 * sorts what it received and emits it as `[key, subtask, seq, row]` (seq: its arrival
 * order there); the one subtask of the `merge` step receives these sorted runs, keeps them
 * apart by subtask and merges them (a k-way merge over a binary heap), emitting the rows
 * in order. Ties are broken by (subtask, seq): rows with equal keys keep the order in
 * which each upstream subtask produced them (so at parallelism 1 the input order: the sort
 * is stable), and runs of lower subtasks come first.
 *
 * Not Flink's range partitioning (sampling, then each subtask sorting one key range): the
 * merge runs in one subtask. Sorting itself is parallel; the merge is O(n log p).
 */
import { compareKeys } from '../../../api/data-set-keys.ts'
import { BatchOperator } from './batch-operator.ts'

export type SortDirection = 'asc' | 'desc'

type Tagged = [unknown, number, number, unknown]

export interface SortInit {
  readonly phase: 'local' | 'merge'
  readonly key: (value: any) => unknown
  readonly direction: SortDirection
}

function comparator (direction: SortDirection): (a: Tagged, b: Tagged) => number {
  const sign = direction === 'desc' ? -1 : 1
  return (a, b) => {
    const c = compareKeys(a[0], b[0])
    if (c !== 0) return sign * c
    return a[1] - b[1] || a[2] - b[2]
  }
}

export class SortOperator extends BatchOperator {
  readonly #init: SortInit
  readonly #compare: (a: Tagged, b: Tagged) => number
  /** local: the tagged rows; merge: one run per upstream subtask. */
  #rows: Tagged[] = []
  readonly #runs = new Map<number, Tagged[]>()
  #seq = 0

  constructor (init: SortInit) {
    super()
    this.#init = init
    this.#compare = comparator(init.direction)
  }

  processElement (value: unknown, _timestamp: number): void {
    this.processBatch([value], [], 1)
  }

  override processBatch (values: readonly unknown[], _timestamps: readonly number[], n: number): void {
    if (this.#init.phase === 'merge') {
      const runs = this.#runs
      for (let i = 0; i < n; i++) {
        const t = values[i] as Tagged
        let run = runs.get(t[1])
        if (run === undefined) {
          run = []
          runs.set(t[1], run)
        }
        run.push(t)
      }
      return
    }
    const select = this.#init.key
    const subtask = this.context.subtaskIndex
    const rows = this.#rows
    try {
      for (let i = 0; i < n; i++) {
        const v = values[i]
        rows.push([select(v), subtask, this.#seq++, v])
      }
    } catch (err) {
      throw this.fail(err)
    }
  }

  protected override produce (): void {
    if (this.#init.phase === 'local') {
      const rows = this.#rows
      this.#rows = []
      rows.sort(this.#compare)
      for (let i = 0; i < rows.length; i++) this.emit(rows[i])
      return
    }
    this.#merge([...this.#runs.values()])
    this.#runs.clear()
  }

  /** k-way merge of sorted runs: a binary heap of run indexes ordered by their head. */
  #merge (runs: Tagged[][]): void {
    const cmp = this.#compare
    const pos = new Array<number>(runs.length).fill(0)
    const heap: number[] = []
    const head = (r: number): Tagged => runs[r]![pos[r]!]!
    const less = (a: number, b: number): boolean => cmp(head(a), head(b)) < 0
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
    for (let r = 0; r < runs.length; r++) if (runs[r]!.length > 0) heap.push(r)
    for (let i = (heap.length >> 1) - 1; i >= 0; i--) down(i)
    while (heap.length > 0) {
      const r = heap[0]!
      this.emit(head(r)[3])
      pos[r] = pos[r]! + 1
      if (pos[r]! === runs[r]!.length) {
        heap[0] = heap[heap.length - 1]!
        heap.pop()
      }
      if (heap.length > 0) down(0)
    }
  }
}
