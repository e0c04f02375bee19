/**
 * The merging side of a grouped (or whole-set) reduction: receives the `[rawKey, acc]`
 * partials of the combiners (shuffled by key, or all in one subtask for a whole-set
 * reduction), merges them per key and emits one result per key at the end of input.
 */
import type { GroupKey } from '../../../api/data-set-keys.ts'
import { groupKey } from '../../../api/data-set-keys.ts'
import { BatchOperator } from './batch-operator.ts'
import type { Combiner, Partial } from './combiner.ts'

export interface FinalAggregateInit {
  /** False: a whole-set reduction (one result, or `combiner.empty()` without input). */
  readonly grouped: boolean
  readonly combiner: Combiner<any, any, any>
}

export class FinalAggregateOperator extends BatchOperator {
  readonly #grouped: boolean
  readonly #combiner: Combiner<any, any, any>
  readonly #groups = new Map<GroupKey, Partial>()

  constructor (init: FinalAggregateInit) {
    super()
    this.#grouped = init.grouped
    this.#combiner = init.combiner
  }

  processElement (value: unknown, _timestamp: number): void {
    this.processBatch([value], [], 1)
  }

  override processBatch (values: readonly unknown[], _timestamps: readonly number[], n: number): void {
    const c = this.#combiner
    const groups = this.#groups
    const grouped = this.#grouped
    try {
      for (let i = 0; i < n; i++) {
        const partial = values[i] as Partial
        const k = grouped ? groupKey(partial[0]) : 0
        const p = groups.get(k)
        if (p === undefined) groups.set(k, partial)
        else p[1] = c.merge(p[1], partial[1])
      }
    } catch (err) {
      throw this.fail(err)
    }
  }

  protected override produce (): void {
    const c = this.#combiner
    if (!this.#grouped && this.#groups.size === 0) {
      if (c.empty !== undefined) this.emit(c.empty())
      return
    }
    for (const [raw, acc] of this.#groups.values()) this.emit(c.result(raw, acc))
    this.#groups.clear()
  }
}
