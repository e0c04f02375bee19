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
 *
 * Past its memory budget the local step is an external merge sort (sorted runs on disk,
 * merged at the end); the merge step appends each upstream subtask's rows — which arrive
 * sorted — to that subtask's file and merges the files at the end. (subtask, seq) makes
 * the order total, so both give exactly what the in-memory sort gives.
 */
import { compareKeys } from '../../../api/data-set-keys.ts'
import { BatchOperator } from './batch-operator.ts'
import { ExternalSorter } from '../../spill/external-sorter.ts'
import { mergeSorted } from '../../spill/merge-sorted.ts'
import { readRun, type RunFile, type RunWriter } from '../../spill/spill-files.ts'
import { SizeEstimate } from '../../spill/size-estimate.ts'

export type SortDirection = 'asc' | 'desc'

type Tagged = [unknown, number, number, unknown]

export interface SortInit {
  readonly phase: 'local' | 'merge'
  readonly key: (value: any) => unknown
  readonly direction: SortDirection
  /** Compares two keys (default `compareKeys`); SQL's ORDER BY passes its own (several keys, each with its direction and NULL placement). */
  readonly compare?: ((a: unknown, b: unknown) => number) | undefined
}

function comparator (direction: SortDirection, compare: (a: unknown, b: unknown) => number = compareKeys): (a: Tagged, b: Tagged) => number {
  const sign = direction === 'desc' ? -1 : 1
  return (a, b) => {
    const c = compare(a[0], b[0])
    if (c !== 0) return sign * c
    return a[1] - b[1] || a[2] - b[2]
  }
}

/** What a tagged row costs besides the row: the array of four and its key. */
const TAG_BYTES = 72

export class SortOperator extends BatchOperator {
  override readonly managedMemory = true
  readonly #init: SortInit
  readonly #compare: (a: Tagged, b: Tagged) => number
  /** local: the tagged rows, spilling past the budget. */
  #sorter: ExternalSorter<Tagged> | undefined
  /** merge: one run per upstream subtask; its older rows in a file once the budget was passed. */
  readonly #runs = new Map<number, Tagged[]>()
  readonly #files = new Map<number, RunWriter>()
  #held = 0
  readonly #size = new SizeEstimate()
  #seq = 0

  constructor (init: SortInit) {
    super()
    this.#init = init
    this.#compare = comparator(init.direction, init.compare)
  }

  processElement (value: unknown, _timestamp: number): void {
    this.processBatch([value], [], 1)
  }

  override processBatch (values: readonly unknown[], _timestamps: readonly number[], n: number): void {
    const size = this.#size
    if (this.#init.phase === 'merge') {
      const runs = this.#runs
      let held = this.#held
      for (let i = 0; i < n; i++) {
        const t = values[i] as Tagged
        let run = runs.get(t[1])
        if (run === undefined) {
          run = []
          runs.set(t[1], run)
        }
        run.push(t)
        held += size.of(t[3]) + TAG_BYTES
      }
      this.#held = held
      if (held > this.memoryBudget) this.#spillRuns()
      return
    }
    const select = this.#init.key
    const subtask = this.context.subtaskIndex
    const sorter = this.#sorter ??= new ExternalSorter({ compare: this.#compare, budget: this.memoryBudget, files: this.spillFiles() })
    try {
      for (let i = 0; i < n; i++) {
        const v = values[i]
        sorter.add([select(v), subtask, this.#seq++, v], size.of(v) + TAG_BYTES)
      }
    } catch (err) {
      throw this.fail(err)
    }
  }

  /** merge: appends every subtask's rows so far to its file (they arrive in order). */
  #spillRuns (): void {
    for (const [subtask, run] of this.#runs) {
      if (run.length === 0) continue
      let w = this.#files.get(subtask)
      if (w === undefined) {
        w = this.spillFiles().create()
        this.#files.set(subtask, w)
      }
      for (let i = 0; i < run.length; i++) w.add(run[i])
      run.length = 0
    }
    this.#held = 0
  }

  protected override produce (): void | Promise<void> {
    if (this.#init.phase === 'local') {
      const sorter = this.#sorter
      if (sorter === undefined) return
      this.#sorter = undefined
      if (sorter.spilled) return this.#drain(sorter.sorted(), false)
      for (const t of sorter.sorted()) this.emit(t)
      return
    }
    if (this.#files.size > 0) {
      const sources: Iterator<Tagged>[] = []
      for (const [subtask, run] of this.#runs) {
        const w = this.#files.get(subtask)
        sources.push(w === undefined ? run[Symbol.iterator]() : spilledThen(w.finish(), run))
      }
      this.#files.clear()
      this.#runs.clear()
      return this.#drain(mergeSorted(sources, this.#compare), true)
    }
    this.#merge([...this.#runs.values()])
    this.#runs.clear()
  }

  /** Emits what a merge of spilled runs yields, batch by batch (the rows, or the tagged rows). */
  async #drain (rows: Iterator<Tagged>, untag: boolean): Promise<void> {
    try {
      for (let r = rows.next(); r.done !== true; r = rows.next()) {
        this.emit(untag ? r.value[3] : r.value)
        if (this.shouldPace) await this.pace()
      }
    } finally {
      rows.return?.()
    }
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

/** The rows of a spilled file, then those still in memory (later arrivals). */
function * spilledThen (file: RunFile, rest: Tagged[]): Generator<Tagged, void, undefined> {
  yield * readRun(file) as Generator<Tagged, void, undefined>
  yield * rest
}
