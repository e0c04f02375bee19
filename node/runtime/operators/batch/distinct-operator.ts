/**
 * `distinct(key?)`: passes on the first row of every key it has not seen and drops the
 * others. It runs twice: before the shuffle (each subtask drops its own repeats, as a
 * combiner) and after it (the shuffle by key brings all rows of a key together). Rows are
 * passed on as they come; only the keys are held.
 *
 * Past its memory budget the keys seen are spilled as a sorted run of markers, and from
 * then on every row goes to an external sort by (key, arrival); at the end the first row
 * of each key without a marker is emitted — the same rows the in-memory path passes on,
 * those of keys first seen after the spill only later.
 */
import type { GroupKey } from '../../../api/data-set-keys.ts'
import { groupKey } from '../../../api/data-set-keys.ts'
import { BatchOperator } from './batch-operator.ts'
import { MAP_ENTRY_BYTES } from './final-aggregate-operator.ts'
import { ExternalSorter } from '../../spill/external-sorter.ts'
import { compareStoredKeys, storeKey, type StoredKey } from '../../spill/keyed-runs.ts'
import { SizeEstimate, estimateSize } from '../../spill/size-estimate.ts'

/** `[key, seq, row]`; seq -1 marks a key passed on before the spill. */
type Held = [StoredKey, number, unknown]

function byKeyThenSeq (a: Held, b: Held): number {
  return compareStoredKeys(a[0], b[0]) || a[1] - b[1]
}

export class DistinctOperator extends BatchOperator {
  override readonly managedMemory = true
  readonly #key: (value: any) => unknown
  readonly #seen = new Set<GroupKey>()
  readonly #size = new SizeEstimate()
  #held = 0
  #sorter: ExternalSorter<Held> | undefined
  #seq = 0

  constructor (key: (value: any) => unknown) {
    super()
    this.#key = key
  }

  processElement (value: unknown, _timestamp: number): void {
    this.processBatch([value], [], 1)
  }

  override processBatch (values: readonly unknown[], _timestamps: readonly number[], n: number): void {
    const select = this.#key
    const sorter = this.#sorter
    try {
      if (sorter !== undefined) {
        const size = this.#size
        for (let i = 0; i < n; i++) {
          const value = values[i]
          sorter.add([storeKey(groupKey(select(value))), this.#seq++, value], size.of(value) + 64)
        }
        return
      }
      const seen = this.#seen
      for (let i = 0; i < n; i++) {
        const value = values[i]
        const k = groupKey(select(value))
        if (seen.has(k)) continue
        seen.add(k)
        this.#held += MAP_ENTRY_BYTES + estimateSize(k)
        this.emit(value)
      }
    } catch (err) {
      throw this.fail(err)
    }
    this.flushEmitted()
    if (this.#held > this.memoryBudget) this.#spill()
  }

  /** From now on rows go to an external sort; the keys passed on so far become markers. */
  #spill (): void {
    const sorter = this.#sorter = new ExternalSorter<Held>({ compare: byKeyThenSeq, budget: this.memoryBudget, files: this.spillFiles() })
    for (const k of this.#seen) sorter.add([storeKey(k), -1, null], 48)
    sorter.spill()
    this.#seen.clear()
    this.#held = 0
  }

  protected override produce (): void | Promise<void> {
    const sorter = this.#sorter
    if (sorter === undefined) return
    this.#sorter = undefined
    return this.#produceSpilled(sorter.sorted())
  }

  /** The first row of every key without a marker. */
  async #produceSpilled (held: Generator<Held, void, undefined>): Promise<void> {
    let last: Held | undefined
    try {
      for (let r = held.next(); r.done !== true; r = held.next()) {
        const h = r.value
        if (last !== undefined && compareStoredKeys(last[0], h[0]) === 0) continue
        last = h
        if (h[1] < 0) continue
        this.emit(h[2])
        if (this.shouldPace) await this.pace()
      }
    } finally {
      held.return()
    }
  }
}
