/**
 * The operator contract of the runtime. One instance runs per parallel subtask. All calls
 * on the record path are synchronous: a chain of operators fused into one task calls
 * `processElement` of the next one directly, and only the task loop awaits.
 */
import type { Key } from '../api/functions.ts'
import type { ProcessingTimeService } from './processing-time-service.ts'
import { OperatorError } from './errors.ts'

/** Where an operator sends what it produces. */
export interface Output {
  collect(value: unknown, timestamp: number): void
  collectSide(tagId: string, value: unknown, timestamp: number): void
  emitWatermark(watermark: number): void
}

export interface OperatorContext {
  readonly jobName: string
  readonly jobId: string
  readonly operatorId: string
  readonly operatorName: string
  readonly operatorUid: string | undefined
  readonly subtaskIndex: number
  readonly parallelism: number
  readonly maxParallelism: number
  readonly signal: AbortSignal
  readonly processingTime: ProcessingTimeService
  /** Key selector per logical input of a keyed operator (normalised keys). */
  readonly keySelectors: readonly ((value: any) => Key)[] | undefined
}

export abstract class StreamOperator {
  output!: Output
  context!: OperatorContext
  /** The last watermark this operator received. */
  currentWatermark = Number.NEGATIVE_INFINITY

  setup (context: OperatorContext, output: Output): void {
    this.context = context
    this.output = output
  }

  open (): void | Promise<void> {}

  abstract processElement (value: unknown, timestamp: number): void

  processElement2 (_value: unknown, _timestamp: number): void {
    throw new Error(`Operator '${this.context.operatorName}' has one input`)
  }

  processWatermark (watermark: number): void {
    this.currentWatermark = watermark
    this.output.emitWatermark(watermark)
  }

  /** All input has been consumed (after the final watermark). May emit records. */
  endInput (): void {}

  /** Called after every input batch; sinks write what they buffered and may return a promise. */
  flushBatch (): void | Promise<void> {}

  /** Called once at the end of bounded input, after `endInput` of the whole chain. */
  finish (): void | Promise<void> {}

  /** Releases resources; called after success, failure or cancellation. */
  close (): void | Promise<void> {}

  /** Wraps an error thrown by user code so that it names this operator. */
  fail (error: unknown): Error {
    if (error instanceof OperatorError) return error
    return new OperatorError(this.context.operatorName, this.context.operatorUid, error)
  }
}

/** An operator that passes its input to a function and its watermarks through. */
export type OperatorFactory = () => StreamOperator
