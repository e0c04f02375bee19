/**
 * Head of a source task's chain: stamps each record read by the source with its event
 * timestamp and generates watermarks per the job's WatermarkStrategy (after each batch).
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
    // not prefilled: an array that only ever held small integers keeps them as such, and
    // arithmetic on them downstream (window starts) stays integer arithmetic
    let timestamps = this.#timestamps
    if (timestamps.length < n) timestamps = this.#timestamps = new Array<number>(n)
    let max = this.#maxTimestamp
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
    this.#maxTimestamp = max
    collectBatch(this.output, values, timestamps, n)
    if (this.#delay !== undefined) {
      const wm = max - this.#delay - 1
      if (wm > this.#lastWatermark) {
        this.#lastWatermark = wm
        this.processWatermark(wm)
      }
    }
  }

  override processWatermark (watermark: number): void {
    this.#lastWatermark = watermark
    super.processWatermark(watermark)
  }
}
