import type { FilterFunction } from '../../api/functions.ts'
import { StreamOperator } from '../stream-operator.ts'

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
}
