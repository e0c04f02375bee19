/**
 * `coGroup(other).where(k).equalTo(k).with(fn)`: gathers the rows of both inputs by key
 * (after both were shuffled by key) and calls `fn(key, lefts, rights)` once per key seen
 * on either side at the end of input; one of the arrays may be empty. A null key is one
 * group, as in groupBy (`key` is then null).
 */
import type { GroupKey } from '../../../api/data-set-keys.ts'
import { groupKey, NULL_KEY } from '../../../api/data-set-keys.ts'
import { BatchOperator } from './batch-operator.ts'

export type CoGroupFunction<A, B, R> = (key: any, left: A[], right: B[]) => Iterable<R> | null | undefined | void

interface CoGroup { readonly raw: unknown, readonly left: unknown[], readonly right: unknown[] }

export class CoGroupOperator extends BatchOperator {
  readonly #leftKey: (value: any) => unknown
  readonly #rightKey: (value: any) => unknown
  readonly #fn: CoGroupFunction<any, any, any>
  readonly #groups = new Map<GroupKey, CoGroup>()

  constructor (leftKey: (value: any) => unknown, rightKey: (value: any) => unknown, fn: CoGroupFunction<any, any, any>) {
    super()
    this.#leftKey = leftKey
    this.#rightKey = rightKey
    this.#fn = fn
  }

  #add (value: unknown, right: boolean): void {
    let raw: unknown
    try {
      raw = right ? this.#rightKey(value) : this.#leftKey(value)
    } catch (err) {
      throw this.fail(err)
    }
    const k = groupKey(raw)
    let g = this.#groups.get(k)
    if (g === undefined) {
      g = { raw: k === NULL_KEY ? null : raw, left: [], right: [] }
      this.#groups.set(k, g)
    }
    if (right) g.right.push(value)
    else g.left.push(value)
  }

  processElement (value: unknown, _timestamp: number): void {
    this.#add(value, false)
  }

  override processElement2 (value: unknown, _timestamp: number): void {
    this.#add(value, true)
  }

  override processBatch (values: readonly unknown[], _timestamps: readonly number[], n: number): void {
    for (let i = 0; i < n; i++) this.#add(values[i], false)
  }

  protected override produce (): void {
    const fn = this.#fn
    for (const g of this.#groups.values()) this.emitAll(fn(g.raw, g.left, g.right) as Iterable<unknown> | undefined, 'coGroup')
    this.#groups.clear()
  }
}
