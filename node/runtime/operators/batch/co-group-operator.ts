/**
 * `coGroup(other).where(k).equalTo(k).with(fn)`: gathers the rows of both inputs by key
 * (after both were shuffled by key) and calls `fn(key, lefts, rights)` once per key seen
 * on either side at the end of input; one of the arrays may be empty. A null key is one
 * group, as in groupBy (`key` is then null).
 *
 * Past its memory budget the groups are sorted by key and spilled as a run; at the end the
 * runs are merged and each key's rows of either side put together in arrival order.
 */
import type { GroupKey } from '../../../api/data-set-keys.ts'
import { groupKey, NULL_KEY } from '../../../api/data-set-keys.ts'
import { BatchOperator } from './batch-operator.ts'
import { MAP_ENTRY_BYTES } from './final-aggregate-operator.ts'
import { KeyedRuns, type KeyedEntry, type StoredKey } from '../../spill/keyed-runs.ts'
import { SizeEstimate } from '../../spill/size-estimate.ts'

export type CoGroupFunction<A, B, R> = (key: any, left: A[], right: B[]) => Iterable<R> | null | undefined | void

interface CoGroup { readonly raw: unknown, readonly left: unknown[], readonly right: unknown[] }

const toEntry = (k: StoredKey, g: CoGroup): KeyedEntry => [k, g.raw, g.left, g.right]

export class CoGroupOperator extends BatchOperator {
  readonly #leftKey: (value: any) => unknown
  readonly #rightKey: (value: any) => unknown
  readonly #fn: CoGroupFunction<any, any, any>
  override readonly managedMemory = true
  readonly #groups = new Map<GroupKey, CoGroup>()
  readonly #size = new SizeEstimate()
  #held = 0
  #runs: KeyedRuns | undefined

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
      this.#held += MAP_ENTRY_BYTES + 96
    }
    if (right) g.right.push(value)
    else g.left.push(value)
    this.#held += this.#size.of(value) + 8
  }

  /** Spills the groups when they hold more than the budget (checked once per batch). */
  #check (): void {
    if (this.#held <= this.memoryBudget) return
    (this.#runs ??= new KeyedRuns(this.spillFiles())).spill(this.#groups, toEntry)
    this.#groups.clear()
    this.#held = 0
  }

  processElement (value: unknown, _timestamp: number): void {
    this.#add(value, false)
  }

  override processElement2 (value: unknown, _timestamp: number): void {
    this.#add(value, true)
    // the second input comes record by record: look at the budget every so often
    if ((++this.#second & 255) === 0) this.#check()
  }

  #second = 0

  override processBatch (values: readonly unknown[], _timestamps: readonly number[], n: number): void {
    for (let i = 0; i < n; i++) this.#add(values[i], false)
    this.#check()
  }

  protected override produce (): void | Promise<void> {
    const fn = this.#fn
    if (this.#runs !== undefined) return this.#produceSpilled(this.#runs)
    for (const g of this.#groups.values()) this.emitAll(fn(g.raw, g.left, g.right) as Iterable<unknown> | undefined, 'coGroup')
    this.#groups.clear()
  }

  /** The runs and the last groups merged: one call per key with each side's rows in arrival order. */
  async #produceSpilled (runs: KeyedRuns): Promise<void> {
    const fn = this.#fn
    this.#runs = undefined
    await this.emitMergedGroups(runs, this.#groups, toEntry, entries => {
      let left = entries[0]![2] as unknown[]
      let right = entries[0]![3] as unknown[]
      for (let i = 1; i < entries.length; i++) {
        left = left.concat(entries[i]![2] as unknown[])
        right = right.concat(entries[i]![3] as unknown[])
      }
      this.emitAll(fn(entries[0]![1], left, right) as Iterable<unknown> | undefined, 'coGroup')
    })
  }
}
