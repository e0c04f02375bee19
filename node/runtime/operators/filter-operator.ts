import type { FilterFunction } from '../../api/functions.ts'
import { collectBatch, StreamOperator } from '../stream-operator.ts'

/** Keeps the records for which the predicate is true. */
export class FilterOperator extends StreamOperator {
  readonly #fn: FilterFunction<any>
  /** Timestamps of the records kept from the last batch (numbers: reused for every batch). */
  #timestamps: number[] = []
  constructor (fn: FilterFunction<any>) {
    super()
    this.#fn = fn
  }

  processElement (value: unknown, timestamp: number): void {
    let keep: boolean
    try {
      keep = this.#fn(value)
    } catch (err) {
      throw this.fail(err)
    }
    if (keep) this.output.collect(value, timestamp)
  }

  /** Passes the batch itself on when every record is kept, else the kept ones gathered in a new array. */
  override processBatch (values: readonly unknown[], timestamps: readonly number[], n: number): void {
    const fn = this.#fn
    // -1 while every record so far is kept; then how many are gathered in keptValues/keptTimestamps
    let kept = -1
    let keptValues: unknown[] = []
    let keptTimestamps = this.#timestamps
    try {
      for (let i = 0; i < n; i++) {
        const value = values[i]
        if (fn(value)) {
          if (kept >= 0) {
            keptValues[kept] = value
            keptTimestamps[kept++] = timestamps[i]!
          }
        } else if (kept < 0) {
          // a fresh array for the records: storing new objects into a long-lived array
          // costs a write barrier each and makes every minor GC scan it
          keptValues = new Array<unknown>(n)
          if (keptTimestamps.length < n) keptTimestamps = this.#timestamps = new Array<number>(n).fill(0)
          for (kept = 0; kept < i; kept++) {
            keptValues[kept] = values[kept]
            keptTimestamps[kept] = timestamps[kept]!
          }
        }
      }
    } catch (err) {
      throw this.fail(err)
    }
    // lent downstream and never kept there, so one timestamps array serves every batch
    if (kept < 0) collectBatch(this.output, values, timestamps, n)
    else if (kept > 0) collectBatch(this.output, keptValues, keptTimestamps, kept)
  }
}
