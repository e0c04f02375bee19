/**
 * `distinct(key?)`: passes on the first row of every key it has not seen and drops the
 * others. It runs twice: before the shuffle (each subtask drops its own repeats, as a
 * combiner) and after it (the shuffle by key brings all rows of a key together). Rows are
 * passed on as they come; only the keys are held.
 */
import type { GroupKey } from '../../../api/data-set-keys.ts'
import { groupKey } from '../../../api/data-set-keys.ts'
import { BatchOperator } from './batch-operator.ts'

export class DistinctOperator extends BatchOperator {
  readonly #key: (value: any) => unknown
  readonly #seen = new Set<GroupKey>()

  constructor (key: (value: any) => unknown) {
    super()
    this.#key = key
  }

  processElement (value: unknown, _timestamp: number): void {
    this.processBatch([value], [], 1)
  }

  override processBatch (values: readonly unknown[], _timestamps: readonly number[], n: number): void {
    const select = this.#key
    const seen = this.#seen
    try {
      for (let i = 0; i < n; i++) {
        const value = values[i]
        const k = groupKey(select(value))
        if (seen.has(k)) continue
        seen.add(k)
        this.emit(value)
      }
    } catch (err) {
      throw this.fail(err)
    }
    this.flushEmitted()
  }
}
