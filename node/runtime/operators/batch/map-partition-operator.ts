/**
 * `mapPartition(fn)`: gathers every row of the subtask and calls `fn(rows)` once at the
 * end of input, emitting what it returns (also when the subtask received no rows).
 */
import { BatchOperator } from './batch-operator.ts'

export type MapPartitionFunction<T, R> = (values: T[]) => Iterable<R> | null | undefined | void

export class MapPartitionOperator extends BatchOperator {
  readonly #fn: MapPartitionFunction<any, any>
  #rows: unknown[] = []

  constructor (fn: MapPartitionFunction<any, any>) {
    super()
    this.#fn = fn
  }

  processElement (value: unknown, _timestamp: number): void {
    this.#rows.push(value)
  }

  override processBatch (values: readonly unknown[], _timestamps: readonly number[], n: number): void {
    const rows = this.#rows
    for (let i = 0; i < n; i++) rows.push(values[i])
  }

  protected override produce (): void {
    const rows = this.#rows
    this.#rows = []
    this.emitAll(this.#fn(rows) as Iterable<unknown> | undefined, 'mapPartition')
  }
}
