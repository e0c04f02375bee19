import type { MapFunction } from '../../api/functions.ts'
import { collectBatch, StreamOperator } from '../stream-operator.ts'

/** Applies a function to each record. */
export class MapOperator extends StreamOperator {
  readonly #fn: MapFunction<any, any>
  constructor (fn: MapFunction<any, any>) {
    super()
    this.#fn = fn
  }

  processElement (value: unknown, timestamp: number): void {
    let result: unknown
    try {
      result = this.#fn(value)
    } catch (err) {
      throw this.fail(err)
    }
    this.output.collect(result, timestamp)
  }

  override processBatch (values: readonly unknown[], timestamps: readonly number[], n: number): void {
    const fn = this.#fn
    // a fresh array: storing new objects into a long-lived one costs a write barrier each
    // and makes every minor GC scan it
    const results = new Array<unknown>(n)
    try {
      for (let i = 0; i < n; i++) results[i] = fn(values[i])
    } catch (err) {
      throw this.fail(err)
    }
    collectBatch(this.output, results, timestamps, n)
  }
}
