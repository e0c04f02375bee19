/**
 * `first(n)`: passes on the first `n` rows it receives and drops the rest. It runs in every
 * subtask (each keeps at most n) and once more in a single subtask, which keeps n in all.
 */
import { collectBatch } from '../../stream-operator.ts'
import { BatchOperator } from './batch-operator.ts'

export class FirstNOperator extends BatchOperator {
  readonly #n: number
  #seen = 0

  constructor (n: number) {
    super()
    this.#n = n
  }

  processElement (value: unknown, _timestamp: number): void {
    if (this.#seen < this.#n) {
      this.#seen++
      this.emit(value)
      this.flushEmitted()
    }
  }

  override processBatch (values: readonly unknown[], timestamps: readonly number[], n: number): void {
    const take = Math.min(n, this.#n - this.#seen)
    if (take <= 0) return
    this.#seen += take
    // the records pass on as they are: the batch is lent on, unchanged
    collectBatch(this.output, values, timestamps, take)
  }
}
