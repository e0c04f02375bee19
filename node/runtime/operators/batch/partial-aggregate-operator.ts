/**
 * The combiner side of a grouped (or whole-set) reduction: folds the subtask's input into
 * one accumulator per key and emits `[rawKey, acc]` partials at the end of input — or
 * earlier, whenever it holds `maxKeys` keys (then it emits and forgets them, as Flink's
 * combiner does when its memory is full: the merge after the shuffle makes that correct,
 * and it bounds the memory a combiner holds).
 */
import type { GroupKey } from '../../../api/data-set-keys.ts'
import { groupKey } from '../../../api/data-set-keys.ts'
import { BatchOperator } from './batch-operator.ts'
import type { Combiner, Partial } from './combiner.ts'

/** Keys a combiner holds before it emits its partials (bounds its memory). */
export const DEFAULT_COMBINE_MAX_KEYS = 1 << 16

export interface PartialAggregateInit {
  /** The raw key of a record; undefined: the whole input is one group. */
  readonly key: ((value: any) => unknown) | undefined
  /** A faster Map key of a record (see ResolvedKey.group); default `groupKey(key(v))`. */
  readonly group?: ((value: any) => GroupKey) | undefined
  readonly combiner: Combiner<any, any, any>
  readonly maxKeys?: number
}

export class PartialAggregateOperator extends BatchOperator {
  readonly #key: ((value: any) => unknown) | undefined
  readonly #group: ((value: any) => GroupKey) | undefined
  readonly #combiner: Combiner<any, any, any>
  readonly #maxKeys: number
  /** Per key: `[rawKey, acc]`, the partial it will emit. */
  readonly #groups = new Map<GroupKey, Partial>()
  /** The whole-set accumulator (no key). */
  #acc: unknown
  #any = false

  constructor (init: PartialAggregateInit) {
    super()
    this.#key = init.key
    this.#group = init.group
    this.#combiner = init.combiner
    this.#maxKeys = init.maxKeys ?? DEFAULT_COMBINE_MAX_KEYS
  }

  processElement (value: unknown, _timestamp: number): void {
    this.processBatch([value], [], 1)
  }

  override processBatch (values: readonly unknown[], _timestamps: readonly number[], n: number): void {
    const c = this.#combiner
    const select = this.#key
    try {
      if (select === undefined) {
        let i = 0
        if (!this.#any && n > 0) {
          this.#acc = c.first(values[0])
          this.#any = true
          i = 1
        }
        let acc = this.#acc
        for (; i < n; i++) acc = c.add(acc, values[i])
        this.#acc = acc
        return
      }
      const groups = this.#groups
      const group = this.#group
      for (let i = 0; i < n; i++) {
        const value = values[i]
        const k = group === undefined ? groupKey(select(value)) : group(value)
        const p = groups.get(k)
        if (p === undefined) {
          groups.set(k, [select(value), c.first(value)])
          if (groups.size >= this.#maxKeys) {
            this.#emitPartials()
            this.flushEmitted()
          }
        } else {
          p[1] = c.add(p[1], value)
        }
      }
    } catch (err) {
      throw this.fail(err)
    }
  }

  #emitPartials (): void {
    for (const p of this.#groups.values()) this.emit(p)
    this.#groups.clear()
  }

  protected override produce (): void {
    if (this.#key === undefined) {
      if (this.#any) this.emit([undefined, this.#acc] satisfies Partial)
      return
    }
    this.#emitPartials()
  }
}
