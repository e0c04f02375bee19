/**
 * The base of the batch operators (the DataSet API): operators over bounded input that may
 * hold what they read until `endInput` and emit then. They carry no event time: records
 * they emit have no timestamp, and the watermarks they receive are held back and passed
 * on after their output at the end (so nothing downstream sees a record behind the final
 * watermark). Output is gathered into batches (`emit`), so the chain behind costs one call
 * per batch.
 *
 * Memory: an operator that holds its input sets `managedMemory` and gets a share of its
 * task's budget (`context.memoryBudget`); past it, it spills to files (`spillFiles()`,
 * node/runtime/spill) that `close` removes — after success, failure or cancellation. An
 * operator that spilled emits at the end from an async `produce`, waiting for the task's
 * outputs between batches (`outputReady`), so what it merges back is not all buffered
 * downstream at once.
 */
import { tmpdir } from 'node:os'
import { NO_TIMESTAMP } from '../../stream-element.ts'
import { collectBatch, StreamOperator } from '../../stream-operator.ts'
import { SpillFiles } from '../../spill/spill-files.ts'
import { groupsOf, type KeyedEntry, type KeyedRuns, type StoredKey } from '../../spill/keyed-runs.ts'
import type { GroupKey } from '../../../api/data-set-keys.ts'

const EMIT_BATCH = 1024

/** Timestamps of emitted batches: never changed by receivers (they are lent), so shared. */
const NO_TIMESTAMPS: readonly number[] = new Array<number>(EMIT_BATCH).fill(NO_TIMESTAMP)

/** Batches emitted between two waits for the task's outputs while an operator drains spilled runs. */
const BATCHES_PER_WAIT = 4

export abstract class BatchOperator extends StreamOperator {
  #out: unknown[] = new Array<unknown>(EMIT_BATCH)
  #n = 0
  #watermark: number | undefined
  #files: SpillFiles | undefined
  #spilledBefore = 0
  /** Batches sent, and their count at the last `pace`. */
  #flushed = 0
  #pacedAt = 0

  /** Bytes this operator may hold before it spills (its share of the task's budget). */
  protected get memoryBudget (): number {
    return this.context.memoryBudget ?? Number.POSITIVE_INFINITY
  }

  /** This operator's spill folder (made on first use, removed by `close`). */
  protected spillFiles (): SpillFiles {
    if (this.#files === undefined) {
      const c = this.context
      this.#files = new SpillFiles({ root: c.spillDir ?? tmpdir(), name: `meshflow-${c.operatorName}-${c.subtaskIndex}` })
    }
    return this.#files
  }

  override get spilledBytes (): number { return this.#spilledBefore + (this.#files?.bytesWritten ?? 0) }

  /** True when a few batches went out since the last `pace`: the moment to `await this.pace()`. */
  protected get shouldPace (): boolean { return this.#flushed - this.#pacedAt >= BATCHES_PER_WAIT }

  /**
   * Waits for the task's outputs (while emitting from an async `produce`, when
   * `shouldPace`), and stops when the job is cancelled.
   */
  protected async pace (): Promise<void> {
    this.#pacedAt = this.#flushed
    this.context.signal.throwIfAborted()
    await this.context.outputReady?.()
  }

  override close (): void | Promise<void> {
    this.#spilledBefore += this.#files?.bytesWritten ?? 0
    this.#files?.close()
    this.#files = undefined
  }

  /** Emits a record (gathered into batches; `flushEmitted` sends a partial one). */
  /**
   * Emits the groups of a spilled table: the runs and what the table still holds, merged in
   * key order, `visit` called once per key with its entries oldest first, pacing the output
   * (see `pace`). The runs are consumed and the table cleared.
   */
  protected async emitMergedGroups<V> (runs: KeyedRuns, table: Map<GroupKey, V>, entry: (key: StoredKey, value: V) => KeyedEntry, visit: (entries: KeyedEntry[]) => void): Promise<void> {
    const groups = groupsOf(runs.merged(table, entry))
    table.clear()
    try {
      for (let g = groups.next(); g.done !== true; g = groups.next()) {
        visit(g.value[1])
        if (this.shouldPace) await this.pace()
      }
    } finally {
      groups.return()
    }
  }

  protected emit (value: unknown): void {
    this.#out[this.#n++] = value
    if (this.#n === EMIT_BATCH) this.flushEmitted()
  }

  protected flushEmitted (): void {
    const n = this.#n
    if (n === 0) return
    const values = this.#out
    // a fresh array per batch: receivers may not keep it, but storing new objects into a
    // long-lived array costs a write barrier each and makes every minor GC scan it
    this.#out = new Array<unknown>(EMIT_BATCH)
    this.#n = 0
    this.#flushed++
    collectBatch(this.output, values, NO_TIMESTAMPS, n)
  }

  override processWatermark (watermark: number): void {
    this.currentWatermark = watermark
    this.#watermark = watermark
  }

  /**
   * Emits what the operator produces at the end of its input (user errors name it); async
   * when it merges spilled runs.
   */
  protected produce (): void | Promise<void> {}

  override endInput (): void | Promise<void> {
    let pending: void | Promise<void>
    try {
      pending = this.produce()
    } catch (err) {
      throw this.fail(err)
    }
    if (pending === undefined) {
      this.#ended()
      return
    }
    return pending.then(() => { this.#ended() }, (err: unknown) => { throw this.fail(err) })
  }

  #ended (): void {
    this.flushEmitted()
    if (this.#watermark !== undefined) this.output.emitWatermark(this.#watermark)
  }

  /** Emits every element of what a user function returned (an iterable, or nothing). */
  protected emitAll (result: Iterable<unknown> | null | undefined, what: string): void {
    if (result === undefined || result === null) return
    if (Array.isArray(result)) {
      for (let i = 0; i < result.length; i++) this.emit(result[i])
      return
    }
    if (typeof (result as Iterable<unknown>)[Symbol.iterator] !== 'function') {
      throw new TypeError(`${what} must return an iterable (an array, a Set, a generator …), got ${typeof result}`)
    }
    for (const v of result) this.emit(v)
  }
}
