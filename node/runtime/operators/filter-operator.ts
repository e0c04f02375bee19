import type { FilterFunction } from '../../api/functions.ts'
import { collectBatch, StreamOperator } from '../stream-operator.ts'

/** Keeps the records for which the predicate is true. */
export class FilterOperator extends StreamOperator {
  readonly #fn: FilterFunction<any>
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

  /** Passes the batch itself on when every record is kept, else a copy of those kept. */
  override processBatch (values: readonly unknown[], timestamps: readonly number[], n: number): void {
    const fn = this.#fn
    let keptValues: unknown[] | undefined
    let keptTimestamps: number[] | undefined
    try {
      for (let i = 0; i < n; i++) {
        const value = values[i]
        if (fn(value)) {
          if (keptValues !== undefined) {
            keptValues.push(value)
            keptTimestamps!.push(timestamps[i]!)
          }
        } else if (keptValues === undefined) {
          keptValues = values.slice(0, i)
          keptTimestamps = timestamps.slice(0, i)
        }
      }
    } catch (err) {
      throw this.fail(err)
    }
    if (keptValues === undefined) collectBatch(this.output, values, timestamps, n)
    else if (keptValues.length > 0) collectBatch(this.output, keptValues, keptTimestamps!, keptValues.length)
  }
}
