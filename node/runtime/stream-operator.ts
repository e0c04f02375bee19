/**
 * The operator contract of the runtime. One instance runs per parallel subtask. All calls
 * on the record path are synchronous: a chain of operators fused into one task calls
 * `processElement` of the next one directly, and only the task loop awaits.
 */
import type { Key } from '../api/functions.ts'
import type { DatasetAccess } from '../api/dataset-access.ts'
import type { ProcessingTimeService } from './processing-time-service.ts'
import type { OperatorSnapshot, RestoredOperatorState } from './checkpoint.ts'
import { OperatorError } from './errors.ts'

/** Where an operator sends what it produces. */
export interface Output {
  collect(value: unknown, timestamp: number): void
  /**
   * Sends `values[0..n)` with their `timestamps` as `collect` would one by one, in one call
   * (the runtime's outputs have it; see `collectBatch`). The arrays are lent: the receiver
   * reads them during the call and neither changes nor keeps them.
   */
  collectBatch?(values: readonly unknown[], timestamps: readonly number[], n: number): void
  collectSide(tagId: string, value: unknown, timestamp: number): void
  emitWatermark(watermark: number): void
}

/** Sends a batch to `output`: in one call when it takes batches, else record by record. */
export function collectBatch (output: Output, values: readonly unknown[], timestamps: readonly number[], n: number): void {
  if (output.collectBatch !== undefined) {
    output.collectBatch(values, timestamps, n)
    return
  }
  for (let i = 0; i < n; i++) output.collect(values[i], timestamps[i]!)
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
  /**
   * True when the job takes checkpoints: two-phase-commit sinks then make output visible
   * only when a checkpoint completes (also at the end of bounded input, through the final
   * checkpoint), never in `finish`.
   */
  readonly checkpointing: boolean
  /** Key selector per logical input of a keyed operator (normalised keys). */
  readonly keySelectors: readonly ((value: any) => Key)[] | undefined
  /** The mesh's datasets, when the job runs on a peer (dataset writers store segments). */
  readonly datasets?: DatasetAccess
  /**
   * Bytes of the task's memory budget this operator may hold (its share when it has
   * `managedMemory`); past it, it spills to `spillDir`. Undefined: no budget.
   */
  readonly memoryBudget?: number
  /** Where operators spill (a peer's `<data-dir>/spill`, or the OS temp dir). */
  readonly spillDir?: string
  /**
   * Resolves when the task's outputs take more (chained sinks wrote, channels have
   * credit): an operator that emits a lot from an async `endInput` waits for it between
   * batches, so its output is not all buffered at once.
   */
  readonly outputReady?: () => Promise<void>
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

  /**
   * Processes `values[0..n)` with their `timestamps`, as `processElement` would one by one
   * (the default does just that). Stateless operators override it with one loop over the
   * batch, so a chain costs one call per batch and operator rather than per record. The
   * arrays are lent: read them during the call, do not change or keep them.
   */
  processBatch (values: readonly unknown[], timestamps: readonly number[], n: number): void {
    for (let i = 0; i < n; i++) this.processElement(values[i], timestamps[i]!)
  }

  processElement2 (_value: unknown, _timestamp: number): void {
    throw new Error(`Operator '${this.context.operatorName}' has one input`)
  }

  processWatermark (watermark: number): void {
    this.currentWatermark = watermark
    this.output.emitWatermark(watermark)
  }

  /**
   * True for an operator that holds its input (sorts, groups, joins): a slot's memory
   * budget is split between these (of every vertex), each getting `context.memoryBudget`.
   */
  readonly managedMemory: boolean = false

  /** Bytes this operator spilled to disk past its memory budget (so far). */
  get spilledBytes (): number { return 0 }

  /**
   * One of a two-input operator's inputs (0: the first, 1: the second) has ended: every
   * channel of it delivered its end of input. The other may still deliver. A hash join
   * whose build side ended joins the other side's rows as they come instead of holding them.
   */
  inputEnded (_input: 0 | 1): void {}

  /**
   * The input a two-input operator wants read to its end before the other (a hash join's
   * build side), or undefined. The task honours it only where that cannot hold anything
   * up: when that input's channels are materialized and the job takes no checkpoints.
   */
  get preferredInput (): 0 | 1 | undefined { return undefined }

  /**
   * True when the operator's builder proved that reading `preferredInput` first cannot hold
   * anything up even where it is not materialized (the inputs share no upstream operator).
   */
  get preferredInputAlways (): boolean { return false }

  /**
   * All input has been consumed (after the final watermark). May emit records; may return a
   * promise (an operator merging spilled runs emits batch by batch, waiting for `outputReady`).
   */
  endInput (): void | Promise<void> {}

  /** Called after every input batch; sinks write what they buffered and may return a promise. */
  flushBatch (): void | Promise<void> {}

  /**
   * Called once at the end of bounded input, right after this operator's `endInput` and
   * after every operator before it in the chain finished; what it emits (it may return a
   * promise and emit when that settles) reaches the next operator before that one's
   * `endInput`.
   */
  finish (): void | Promise<void> {}

  /**
   * Restores state from a checkpoint or savepoint; called after `setup` and before `open`,
   * only when the job restores (see checkpoint.ts for the format and redistribution).
   */
  restoreState (_state: RestoredOperatorState): void | Promise<void> {}

  /**
   * Called at a checkpoint barrier before any operator of the chain snapshots and before
   * the barrier goes downstream (Flink's `prepareSnapshotPreBarrier`), head of the chain
   * first: what the operator emits here precedes the barrier, and a returned promise holds
   * the task (no input, no barrier) until it settles. A writer that must hand downstream
   * what it stored before the barrier (the dataset sink's segment writer) uses it; keep it
   * short, it delays the checkpoint.
   */
  prepareSnapshotPreBarrier (_checkpointId: number): void | Promise<void> {}

  /**
   * Snapshots the operator's state at a checkpoint barrier (after every record before the
   * barrier, before any after it). What it returns must not change later. Returns undefined
   * when the operator has no state. Only sinks may return a promise (pre-commit needs I/O):
   * the task waits for it before it takes more input; every other operator must return
   * at once and leave the upload to the runtime.
   */
  snapshotState (_checkpointId: number): OperatorSnapshot | undefined | Promise<OperatorSnapshot | undefined> { return undefined }

  /**
   * A checkpoint this operator took part in completed (its state is durable): two-phase
   * commit sinks make what they pre-committed for it visible. Ids only increase; a
   * notification may be skipped, so commit everything up to `checkpointId`.
   */
  notifyCheckpointComplete (_checkpointId: number): void | Promise<void> {}

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
