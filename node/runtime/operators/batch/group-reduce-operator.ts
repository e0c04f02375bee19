/**
 * `groupBy(k).reduceGroup(fn)`: gathers the rows of each key (after the shuffle by key)
 * and calls `fn(key, rows)` once per group at the end of input, emitting what it returns.
 * A null key is one group (`key` is then null).
 *
 * Past its memory budget the groups are sorted by key and spilled as a run; at the end the
 * runs are merged and each group's rows put together in arrival order (one group at a
 * time is held: a group must fit in memory, as `fn` takes an array).
 */
import type { GroupKey } from '../../../api/data-set-keys.ts'
import { groupKey, NULL_KEY } from '../../../api/data-set-keys.ts'
import { BatchOperator } from './batch-operator.ts'
import { MAP_ENTRY_BYTES } from './final-aggregate-operator.ts'
import { KeyedRuns, type KeyedEntry, type StoredKey } from '../../spill/keyed-runs.ts'
import { SizeEstimate } from '../../spill/size-estimate.ts'

/** The function of reduceGroup: the group's key and its rows, what to emit. */
export type GroupReduceFunction<T, R> = (key: any, values: T[]) => Iterable<R> | null | undefined | void

interface Group { readonly raw: unknown, readonly rows: unknown[] }

const toEntry = (k: StoredKey, g: Group): KeyedEntry => [k, g.raw, g.rows]

export class GroupReduceOperator extends BatchOperator {
  readonly #key: (value: any) => unknown
  readonly #fn: GroupReduceFunction<any, any>
  override readonly managedMemory = true
  readonly #groups = new Map<GroupKey, Group>()
  readonly #size = new SizeEstimate()
  #held = 0
  #runs: KeyedRuns | undefined

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
    const size = this.#size
    let held = this.#held
    try {
      for (let i = 0; i < n; i++) {
        const value = values[i]
        const raw = select(value)
        const k = groupKey(raw)
        const g = groups.get(k)
        if (g === undefined) {
          groups.set(k, { raw: k === NULL_KEY ? null : raw, rows: [value] })
          held += MAP_ENTRY_BYTES + 64
        } else {
          g.rows.push(value)
        }
        held += size.of(value) + 8
      }
    } catch (err) {
      throw this.fail(err)
    } finally {
      this.#held = held
    }
    if (held > this.memoryBudget) {
      (this.#runs ??= new KeyedRuns(this.spillFiles())).spill(groups, toEntry)
      groups.clear()
      this.#held = 0
    }
  }

  protected override produce (): void | Promise<void> {
    const fn = this.#fn
    if (this.#runs !== undefined) return this.#produceSpilled(this.#runs)
    for (const g of this.#groups.values()) this.emitAll(fn(g.raw, g.rows) as Iterable<unknown> | undefined, 'reduceGroup')
    this.#groups.clear()
  }

  /** The runs and the last groups merged: one call per key with its rows in arrival order. */
  async #produceSpilled (runs: KeyedRuns): Promise<void> {
    const fn = this.#fn
    this.#runs = undefined
    await this.emitMergedGroups(runs, this.#groups, toEntry, entries => {
      let rows = entries[0]![2] as unknown[]
      for (let i = 1; i < entries.length; i++) rows = rows.concat(entries[i]![2] as unknown[])
      this.emitAll(fn(entries[0]![1], rows) as Iterable<unknown> | undefined, 'reduceGroup')
    })
  }
}
