/**
 * `groupBy(k).reduceGroup(fn)`: gathers the rows of each key (after the shuffle by key)
 * and calls `fn(key, rows)` once per group at the end of input, emitting what it returns.
 * A null key is one group (`key` is then null).
 */
import type { GroupKey } from '../../../api/data-set-keys.ts'
import { groupKey, NULL_KEY } from '../../../api/data-set-keys.ts'
import { BatchOperator } from './batch-operator.ts'

/** The function of reduceGroup: the group's key and its rows, what to emit. */
export type GroupReduceFunction<T, R> = (key: any, values: T[]) => Iterable<R> | null | undefined | void

interface Group { readonly raw: unknown, readonly rows: unknown[] }

export class GroupReduceOperator extends BatchOperator {
  readonly #key: (value: any) => unknown
  readonly #fn: GroupReduceFunction<any, any>
  readonly #groups = new Map<GroupKey, Group>()

  constructor (key: (value: any) => unknown, fn: GroupReduceFunction<any, any>) {
    super()
    this.#key = key
    this.#fn = fn
  }

  processElement (value: unknown, _timestamp: number): void {
    this.processBatch([value], [], 1)
  }

  override processBatch (values: readonly unknown[], _timestamps: readonly number[], n: number): void {
    const select = this.#key
    const groups = this.#groups
    try {
      for (let i = 0; i < n; i++) {
        const value = values[i]
        const raw = select(value)
        const k = groupKey(raw)
        const g = groups.get(k)
        if (g === undefined) groups.set(k, { raw: k === NULL_KEY ? null : raw, rows: [value] })
        else g.rows.push(value)
      }
    } catch (err) {
      throw this.fail(err)
    }
  }

  protected override produce (): void {
    const fn = this.#fn
    for (const g of this.#groups.values()) this.emitAll(fn(g.raw, g.rows) as Iterable<unknown> | undefined, 'reduceGroup')
    this.#groups.clear()
  }
}
