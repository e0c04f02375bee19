/**
 * How a source assigns event timestamps and generates watermarks (Flink's WatermarkStrategy).
 *
 * `forBoundedOutOfOrderness(d)` emits the watermark `maxSeenTimestamp - d - 1`; monotonous
 * timestamps are the case `d = 0`. Watermarks are emitted after each batch a source reads
 * (the engine's equivalent of Flink's periodic emission). `withIdleness(ms)` marks a source
 * subtask idle when it has read nothing for `ms`, so it no longer holds back the watermark
 * of the operators downstream.
 *
 * @example
 * WatermarkStrategy.forBoundedOutOfOrderness<Sale>(2_000).withTimestampAssigner(s => s.ts)
 */
import { InvalidArgumentError } from './errors.ts'

export type TimestampAssigner<T> = (element: T) => number

export class WatermarkStrategy<T> {
  /** `undefined` means the strategy generates no watermarks. */
  readonly outOfOrdernessMs: number | undefined
  readonly timestampAssigner: TimestampAssigner<T> | undefined
  readonly idleTimeoutMs: number | undefined

  private constructor (outOfOrdernessMs: number | undefined, assigner: TimestampAssigner<T> | undefined, idle: number | undefined) {
    this.outOfOrdernessMs = outOfOrdernessMs
    this.timestampAssigner = assigner
    this.idleTimeoutMs = idle
  }

  /** Watermark = highest timestamp seen - `maxOutOfOrdernessMs` - 1. */
  static forBoundedOutOfOrderness<T> (maxOutOfOrdernessMs: number): WatermarkStrategy<T> {
    if (!Number.isFinite(maxOutOfOrdernessMs) || maxOutOfOrdernessMs < 0) {
      throw new InvalidArgumentError(`forBoundedOutOfOrderness needs a non-negative number of milliseconds, got ${maxOutOfOrdernessMs}`)
    }
    return new WatermarkStrategy<T>(maxOutOfOrdernessMs, undefined, undefined)
  }

  /** Timestamps never decrease: watermark = highest timestamp seen - 1. */
  static forMonotonousTimestamps<T> (): WatermarkStrategy<T> {
    return new WatermarkStrategy<T>(0, undefined, undefined)
  }

  /** No event time: records carry no timestamp and no watermarks are generated. */
  static noWatermarks<T> (): WatermarkStrategy<T> {
    return new WatermarkStrategy<T>(undefined, undefined, undefined)
  }

  /** Extracts the event timestamp (milliseconds) of each element. */
  withTimestampAssigner (assigner: TimestampAssigner<T>): WatermarkStrategy<T> {
    if (typeof assigner !== 'function') throw new InvalidArgumentError('withTimestampAssigner needs a function')
    return new WatermarkStrategy<T>(this.outOfOrdernessMs, assigner, this.idleTimeoutMs)
  }

  /** Marks the source subtask idle after `timeoutMs` without records. */
  withIdleness (timeoutMs: number): WatermarkStrategy<T> {
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new InvalidArgumentError(`withIdleness needs a positive number of milliseconds, got ${timeoutMs}`)
    return new WatermarkStrategy<T>(this.outOfOrdernessMs, this.timestampAssigner, timeoutMs)
  }
}
