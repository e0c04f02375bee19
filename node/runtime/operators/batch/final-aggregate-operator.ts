/**
 * The merging side of a grouped (or whole-set) reduction: receives the `[rawKey, acc]`
 * partials of the combiners (shuffled by key, or all in one subtask for a whole-set
 * reduction), merges them per key and emits one result per key at the end of input.
 *
 * Past its memory budget the table is sorted by key and spilled as a run, and the runs are
 * merged at the end, the partials of one key merged in arrival order (keyed-runs.ts).
 */
import type { GroupKey } from '../../../api/data-set-keys.ts'
import { groupKey } from '../../../api/data-set-keys.ts'
import { BatchOperator } from './batch-operator.ts'
import type { Combiner, Partial } from './combiner.ts'
import { KeyedRuns, type KeyedEntry, type StoredKey } from '../../spill/keyed-runs.ts'
import { SizeEstimate } from '../../spill/size-estimate.ts'

/** What a Map entry costs besides its key and value. */
export const MAP_ENTRY_BYTES = 64

const toEntry = (k: StoredKey, p: Partial): KeyedEntry => [k, p[0], p[1]]

export interface FinalAggregateInit {
  /** False: a whole-set reduction (one result, or `combiner.empty()` without input). */
  readonly grouped: boolean
  readonly combiner: Combiner<any, any, any>
  /** The Map key of a partial's raw key, when faster than `groupKey` (it must separate what groupKey separates). */
  readonly group?: ((rawKey: any) => GroupKey) | undefined
}

export class FinalAggregateOperator extends BatchOperator {
  readonly #grouped: boolean
  readonly #combiner: Combiner<any, any, any>
  readonly #group: (rawKey: unknown) => GroupKey
  override readonly managedMemory = true
  readonly #groups = new Map<GroupKey, Partial>()
  readonly #size = new SizeEstimate()
  #held = 0
  #runs: KeyedRuns | undefined

  constructor (init: FinalAggregateInit) {
    super()
    this.#grouped = init.grouped
    this.#combiner = init.combiner
    this.#group = init.group ?? groupKey
  }

  processElement (value: unknown, _timestamp: number): void {
    this.processBatch([value], [], 1)
  }

  override processBatch (values: readonly unknown[], _timestamps: readonly number[], n: number): void {
    const c = this.#combiner
    const groups = this.#groups
    const grouped = this.#grouped
    const group = this.#group
    try {
      for (let i = 0; i < n; i++) {
        const partial = values[i] as Partial
        const k = grouped ? group(partial[0]) : 0
        const p = groups.get(k)
        if (p === undefined) {
          groups.set(k, partial)
          this.#held += this.#size.of(partial) + MAP_ENTRY_BYTES
        } else {
          p[1] = c.merge(p[1], partial[1])
        }
      }
    } catch (err) {
      throw this.fail(err)
    }
    if (this.#held > this.memoryBudget && grouped) {
      (this.#runs ??= new KeyedRuns(this.spillFiles())).spill(groups, toEntry)
      groups.clear()
      this.#held = 0
    }
  }

  protected override produce (): void | Promise<void> {
    const c = this.#combiner
    if (this.#runs !== undefined) return this.#produceSpilled(this.#runs)
    if (!this.#grouped && this.#groups.size === 0) {
      if (c.empty !== undefined) this.emit(c.empty())
      return
    }
    for (const [raw, acc] of this.#groups.values()) this.emit(c.result(raw, acc))
    this.#groups.clear()
  }

  /** The runs and the last table merged: one result per key, its partials merged oldest first. */
  async #produceSpilled (runs: KeyedRuns): Promise<void> {
    const c = this.#combiner
    this.#runs = undefined
    await this.emitMergedGroups(runs, this.#groups, toEntry, entries => {
      let acc = entries[0]![2]
      for (let i = 1; i < entries.length; i++) acc = c.merge(acc, entries[i]![2])
      this.emit(c.result(entries[0]![1], acc))
    })
  }
}
