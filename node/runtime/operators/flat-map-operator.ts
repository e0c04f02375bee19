import type { Collector, FlatMapFunction } from '../../api/functions.ts'
import { StreamOperator } from '../stream-operator.ts'

/** Emits zero or more records per input record. */
export class FlatMapOperator extends StreamOperator implements Collector<unknown> {
  readonly #fn: FlatMapFunction<any, any>
  #timestamp = 0
  constructor (fn: FlatMapFunction<any, any>) {
    super()
    this.#fn = fn
  }

  collect (value: unknown): void {
    this.output.collect(value, this.#timestamp)
  }

  processElement (value: unknown, timestamp: number): void {
    this.#timestamp = timestamp
    try {
      this.#fn(value, this)
    } catch (err) {
      throw this.fail(err)
    }
  }
}
