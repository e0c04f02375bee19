/**
 * Head of a source task's chain: stamps each record read by the source with its event
 * timestamp and generates watermarks per the job's WatermarkStrategy (after each batch).
 * For a reader that reports splits, the task keeps the generators per split
 * (split-watermarks.ts) and emits batches through `emitSplitBatch`.
 */
import type { WatermarkStrategy } from '../../api/watermark-strategy.ts'
import { NO_TIMESTAMP } from '../stream-element.ts'
import { collectBatch, StreamOperator } from '../stream-operator.ts'

export class SourceOperator extends StreamOperator {
  readonly #assigner: ((element: any) => number) | undefined
  readonly #delay: number | undefined
  #maxTimestamp = Number.NEGATIVE_INFINITY
  #lastWatermark = Number.NEGATIVE_INFINITY
  /** The timestamps of the batch being emitted (NO_TIMESTAMP throughout without an assigner). */
  #timestamps: number[] = []

  constructor (strategy: WatermarkStrategy<any> | undefined) {
    super()
    this.#assigner = strategy?.timestampAssigner
    this.#delay = strategy?.outOfOrdernessMs
  }

  processElement (value: unknown, timestamp: number): void {
    this.output.collect(value, timestamp)
  }

  /** Emits a batch read from the source (in one call down the chain), then the watermark if it advanced. */
  emitBatch (values: readonly unknown[]): void {
    const assign = this.#assigner
    const n = values.length
    // lent down the chain and never kept there (see processBatch), so one array serves every batch
    if (assign === undefined) {
      if (this.#timestamps.length < n) this.#timestamps = new Array<number>(n).fill(NO_TIMESTAMP)
      collectBatch(this.output, values, this.#timestamps, n)
      return
    }
    const max = this.#maxTimestamp = this.#stamp(assign, values, n, this.#maxTimestamp)
    collectBatch(this.output, values, this.#timestamps, n)
    if (this.#delay !== undefined) {
      const wm = max - this.#delay - 1
      if (wm > this.#lastWatermark) {
        this.#lastWatermark = wm
        this.processWatermark(wm)
      }
    }
  }

  /**
   * Emits a batch of one split (per-split watermarks, split-watermarks.ts, only when
   * `generatesWatermarks`): stamps and emits it like `emitBatch`, but leaves the watermark to
   * the caller. Returns the highest timestamp of the batch.
   */
  emitSplitBatch (values: readonly unknown[]): number {
    const n = values.length
    const max = this.#stamp(this.#assigner!, values, n, Number.NEGATIVE_INFINITY)
    if (max > this.#maxTimestamp) this.#maxTimestamp = max
    collectBatch(this.output, values, this.#timestamps, n)
    return max
  }

  /** Whether the strategy assigns timestamps and generates watermarks. */
  get generatesWatermarks (): boolean { return this.#assigner !== undefined && this.#delay !== undefined }

  /** The strategy's out-of-orderness (0 when it generates no watermarks). */
  get outOfOrdernessMs (): number { return this.#delay ?? 0 }

  /** Fills `#timestamps` with the timestamps of `values`; returns the highest of them and `max`. */
  #stamp (assign: (element: any) => number, values: readonly unknown[], n: number, max: number): number {
    // not prefilled: an array that only ever held small integers keeps them as such, and
    // arithmetic on them downstream (window starts) stays integer arithmetic
    let timestamps = this.#timestamps
    if (timestamps.length < n) timestamps = this.#timestamps = new Array<number>(n)
    for (let i = 0; i < n; i++) {
      let ts: number
      try {
        ts = assign(values[i])
      } catch (err) {
        throw this.fail(err)
      }
      if (typeof ts !== 'number' || !Number.isFinite(ts)) {
        throw this.fail(new TypeError(`The timestamp assigner returned ${String(ts)} for a record; it must return epoch milliseconds`))
      }
      if (ts > max) max = ts
      timestamps[i] = ts
    }
    return max
  }

  override processWatermark (watermark: number): void {
    this.#lastWatermark = watermark
    super.processWatermark(watermark)
  }
}
