/**
 * Drives a SinkOperator the way a task does — setup, optional restore, open, batches,
 * barriers, checkpoint notifications, finish, close — without tasks or a coordinator.
 * Snapshots go through cbor and back, as they do through a checkpoint's blocks. For tests
 * of sinks; not a test file itself.
 */
import type { Sink } from 'meshflow'
import { decodeCbor, encodeCbor } from '../../../../protocol/cbor.ts'
import { SinkOperator } from '../../../../node/runtime/operators/sink-operator.ts'
import type { ProcessingTimeService } from '../../../../node/runtime/processing-time-service.ts'

export interface SinkDriverInit {
  /** `context.checkpointing` (default true). */
  readonly checkpointing?: boolean
  /** Restores from this checkpoint's list state before open. */
  readonly restore?: { readonly checkpointId: number, readonly list: readonly unknown[] }
  readonly jobId?: string
  readonly subtaskIndex?: number
  readonly name?: string
}

/** Sets up (and restores) a SinkOperator over `sink` and opens it. */
export async function openSink (sink: Sink<any>, init: SinkDriverInit = {}): Promise<SinkOperator> {
  const op = new SinkOperator(sink)
  const name = init.name ?? 'sink-under-test'
  op.setup({
    jobName: 'test',
    jobId: init.jobId ?? 'abcdef0123456789',
    operatorId: name,
    operatorName: name,
    operatorUid: undefined,
    subtaskIndex: init.subtaskIndex ?? 0,
    parallelism: 1,
    maxParallelism: 128,
    signal: new AbortController().signal,
    processingTime: { now: () => 0, schedule: () => () => {}, stop: () => {} } as unknown as ProcessingTimeService,
    checkpointing: init.checkpointing ?? true,
    keySelectors: undefined
  }, {
    collect: () => { throw new Error('a sink emits nothing') },
    collectSide: () => { throw new Error('a sink emits nothing') },
    emitWatermark: () => {}
  })
  if (init.restore !== undefined) {
    await op.restoreState({ checkpointId: init.restore.checkpointId, keyed: [], list: init.restore.list, keyGroups: { start: 0, end: 127 } })
  }
  await op.open()
  return op
}

/** Hands `values` to the operator as one input batch and waits for the write. */
export async function writeBatch (op: SinkOperator, values: readonly unknown[]): Promise<void> {
  for (const v of values) op.processElement(v)
  await op.flushBatch()
}

/** Takes the snapshot of a barrier; returns its list state after a cbor round trip. */
export async function snapshot (op: SinkOperator, checkpointId: number): Promise<unknown[]> {
  const taken = await op.snapshotState(checkpointId)
  if (taken === undefined) return []
  return decodeCbor('test', encodeCbor(taken.list ?? [])) as unknown[]
}
