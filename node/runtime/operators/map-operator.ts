import type { MapFunction } from '../../api/functions.ts'
import { StreamOperator } from '../stream-operator.ts'

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
}
