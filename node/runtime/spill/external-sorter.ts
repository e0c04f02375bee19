/**
 * An external merge sort: entries are held in memory until their estimated size passes the
 * budget, then sorted and written as a run; `sorted()` merges the runs and what is still in
 * memory. Ties keep the order of arrival (runs are merged oldest first and Array.sort is
 * stable), so a sort by (key, seq) gives exactly what sorting everything in memory gives.
 *
 * @example
 * const sorter = new ExternalSorter({ compare: (a, b) => a[0] - b[0], budget: 1 << 20, files })
 * for (const e of entries) sorter.add(e, 64)
 * for (const e of sorter.sorted()) emit(e)
 */
import type { SpillFiles, RunFile } from './spill-files.ts'
import { readRun } from './spill-files.ts'
import { mergeSorted } from './merge-sorted.ts'

/** Runs merged at once; more are first merged into fewer, larger runs (each reader holds a block). */
export const MAX_FAN_IN = 64

export interface ExternalSorterInit<T> {
  readonly compare: (a: T, b: T) => number
  /** Estimated bytes held before a run is written. */
  readonly budget: number
  readonly files: SpillFiles
}

export class ExternalSorter<T> {
  readonly #init: ExternalSorterInit<T>
  #buffer: T[] = []
  #held = 0
  readonly #runs: RunFile[] = []

  constructor (init: ExternalSorterInit<T>) {
    this.#init = init
  }

  /** True once a run was written. */
  get spilled (): boolean { return this.#runs.length > 0 }

  /** Entries held in memory. */
  get buffered (): number { return this.#buffer.length }

  /** Adds an entry of (estimated) `bytes`; writes a run when the budget is passed. */
  add (entry: T, bytes: number): void {
    this.#buffer.push(entry)
    this.#held += bytes
    if (this.#held > this.#init.budget) this.spill()
  }

  /** Sorts what is held and writes it as a run. */
  spill (): void {
    const buffer = this.#buffer
    if (buffer.length === 0) return
    this.#buffer = []
    this.#held = 0
    buffer.sort(this.#init.compare)
    const w = this.#init.files.create()
    for (let i = 0; i < buffer.length; i++) w.add(buffer[i])
    this.#runs.push(w.finish())
    if (this.#runs.length >= 2 * MAX_FAN_IN) this.#compact()
  }

  /** Merges the oldest MAX_FAN_IN runs into one (kept first: ties still go oldest first). */
  #compact (): void {
    const oldest = this.#runs.splice(0, MAX_FAN_IN)
    const w = this.#init.files.create()
    for (const e of mergeSorted(oldest.map(r => readRun(r) as Iterator<T>), this.#init.compare)) w.add(e)
    this.#runs.unshift(w.finish())
  }

  /** Every entry added, in order; the sorter is empty afterwards. */
  sorted (): Generator<T, void, undefined> {
    const buffer = this.#buffer
    this.#buffer = []
    this.#held = 0
    buffer.sort(this.#init.compare)
    while (this.#runs.length > MAX_FAN_IN) this.#compact()
    const runs = this.#runs.splice(0)
    if (runs.length === 0) return inMemory(buffer)
    return mergeSorted([...runs.map(r => readRun(r) as Iterator<T>), buffer[Symbol.iterator]()], this.#init.compare)
  }
}

function * inMemory<T> (buffer: T[]): Generator<T, void, undefined> {
  yield * buffer
}
