/**
 * The base of the batch operators (the DataSet API): operators over bounded input that may
 * hold what they read until `endInput` and emit then. They carry no event time: records
 * they emit have no timestamp, and the watermarks they receive are held back and passed
 * on after their output at the end (so nothing downstream sees a record behind the final
 * watermark). Output is gathered into batches (`emit`), so the chain behind costs one call
 * per batch.
 *
 * Memory: subclasses keep what they hold in their own structures (a Map per key, an array
 * of rows), so a memory budget with spilling can later replace those structures without
 * changing the API or the operators' contracts.
 */
import { NO_TIMESTAMP } from '../../stream-element.ts'
import { collectBatch, StreamOperator } from '../../stream-operator.ts'

const EMIT_BATCH = 1024

/** Timestamps of emitted batches: never changed by receivers (they are lent), so shared. */
const NO_TIMESTAMPS: readonly number[] = new Array<number>(EMIT_BATCH).fill(NO_TIMESTAMP)

export abstract class BatchOperator extends StreamOperator {
  #out: unknown[] = new Array<unknown>(EMIT_BATCH)
  #n = 0
  #watermark: number | undefined

  /** Emits a record (gathered into batches; `flushEmitted` sends a partial one). */
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
    collectBatch(this.output, values, NO_TIMESTAMPS, n)
  }

  override processWatermark (watermark: number): void {
    this.currentWatermark = watermark
    this.#watermark = watermark
  }

  /** Emits what the operator produces at the end of its input (user errors name it). */
  protected produce (): void {}

  override endInput (): void {
    try {
      this.produce()
    } catch (err) {
      throw this.fail(err)
    }
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
