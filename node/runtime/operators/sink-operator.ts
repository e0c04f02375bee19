/**
 * Hands records to a connector's SinkWriter in batches: records of one input batch are
 * gathered and written together, and the task awaits the write before it takes more
 * input, so a slow sink backpressures the whole pipeline.
 *
 * With checkpointing and a writer that supports two-phase commit (`prepareCommit` and
 * `commit`, see node/api/sink.ts) the sink is exactly-once, as Flink's
 * TwoPhaseCommittingSink (FLIP-143,
 * https://cwiki.apache.org/confluence/display/FLINK/FLIP-143%3A+Unified+Sink+API): a barrier pre-commits what was written and the checkpoint stores the
 * committables; a completed checkpoint commits them; a restore commits the committables of
 * the restored checkpoint again (the writer's commit is idempotent); the end of bounded
 * input pre-commits under FINAL_CHECKPOINT_ID, committed by the job's final checkpoint.
 * Any other writer is at-least-once under checkpointing: a barrier only waits for its
 * writes. Without checkpointing the writer's `finish` makes the output visible.
 *
 * The operator's list state is the committables not yet committed, each tagged with the
 * checkpoint that pre-committed it: `{ checkpointId: number, committable: unknown }`.
 */
import { isTwoPhaseCommitting, type Sink, type SinkWriter, type TwoPhaseCommittingSinkWriter } from '../../api/sink.ts'
import { FINAL_CHECKPOINT_ID, type OperatorSnapshot, type RestoredOperatorState } from '../checkpoint.ts'
import { StreamOperator } from '../stream-operator.ts'

/** One element of the sink's list state: a committable and the checkpoint that pre-committed it. */
export interface TaggedCommittable {
  readonly checkpointId: number
  readonly committable: unknown
}

export class SinkOperator extends StreamOperator {
  readonly #sink: Sink<any>
  #writer: SinkWriter<any> | undefined
  /** Set in open: checkpointing is on and the writer commits in two phases. */
  #exactlyOnce = false
  #buffer: unknown[] = []
  /** The last write, pre-commit or commit still in progress; each waits for the one before. */
  #tail: Promise<void> | undefined
  /** Pre-committed and not yet committed, by checkpoint id. */
  readonly #pending = new Map<number, unknown[]>()
  /** Committables of the restored checkpoint, committed in open. */
  #restored: TaggedCommittable[] = []
  /** The end of input was pre-committed: later snapshots add nothing. */
  #finished = false

  constructor (sink: Sink<any>) {
    super()
    this.#sink = sink
  }

  override restoreState (state: RestoredOperatorState): void {
    const restored: TaggedCommittable[] = []
    for (const element of state.list) {
      const tagged = element as Partial<TaggedCommittable> | null
      if (typeof tagged !== 'object' || tagged === null || !Number.isSafeInteger(tagged.checkpointId) || !('committable' in tagged)) {
        throw this.fail(new TypeError(`Malformed sink state in checkpoint ${state.checkpointId}: expected { checkpointId, committable }, got ${describe(element)}`))
      }
      restored.push({ checkpointId: tagged.checkpointId!, committable: tagged.committable })
    }
    this.#restored = restored
  }

  override async open (): Promise<void> {
    const c = this.context
    let writer: SinkWriter<any>
    try {
      writer = await this.#sink.createWriter({
        jobName: c.jobName,
        jobId: c.jobId,
        subtaskIndex: c.subtaskIndex,
        parallelism: c.parallelism,
        operatorId: c.operatorId,
        signal: c.signal,
        ...(c.datasets === undefined ? {} : { datasets: c.datasets })
      })
    } catch (err) {
      throw this.fail(err)
    }
    this.#writer = writer
    this.#exactlyOnce = c.checkpointing && isTwoPhaseCommitting(writer)
    const restored = this.#restored
    this.#restored = []
    if (restored.length === 0) return
    // they belong to a checkpoint that completed: make them visible before anything else
    if (!isTwoPhaseCommitting(writer)) {
      throw this.fail(new Error(`Restored ${restored.length} sink committables, but the sink's writer cannot commit them (no prepareCommit/commit)`))
    }
    const byCheckpoint = new Map<number, unknown[]>()
    for (const t of restored) {
      let list = byCheckpoint.get(t.checkpointId)
      if (list === undefined) byCheckpoint.set(t.checkpointId, list = [])
      list.push(t.committable)
    }
    for (const id of [...byCheckpoint.keys()].sort((a, b) => a - b)) {
      try {
        await writer.commit(byCheckpoint.get(id)!)
      } catch (err) {
        throw this.fail(err)
      }
    }
  }

  processElement (value: unknown): void {
    this.#buffer.push(value)
  }

  override processBatch (values: readonly unknown[], _timestamps: readonly number[], n: number): void {
    const buffer = this.#buffer
    if (buffer.length === 0) {
      this.#buffer = values.slice(0, n)
      return
    }
    for (let i = 0; i < n; i++) buffer.push(values[i])
  }

  override processWatermark (watermark: number): void {
    this.currentWatermark = watermark
  }

  /**
   * Writes what was buffered. Writes are chained one after the other (and with pre-commits
   * and commits), so a flush started by a timer callback and one started by the task loop
   * never overlap and keep their order; the returned promise settles when this batch (and
   * every earlier step) is done.
   */
  override flushBatch (): void | Promise<void> {
    if (this.#buffer.length === 0) return this.#tail
    const batch = this.#buffer
    this.#buffer = []
    return this.#enqueue(() => this.#writer!.write(batch))
  }

  /**
   * Writes what is buffered and waits for every write. A two-phase-commit writer then
   * pre-commits under `checkpointId`, and the snapshot lists every committable not
   * committed yet (a checkpoint that completes commits them all, even if the notification
   * of an earlier one was skipped). Other writers have no state: at-least-once.
   */
  override snapshotState (checkpointId: number): Promise<OperatorSnapshot | undefined> | undefined {
    if (this.#writer === undefined) return undefined
    const flushed = this.flushBatch()
    if (!this.#exactlyOnce) return flushed?.then(() => undefined)
    const writer = this.#writer as TwoPhaseCommittingSinkWriter<any>
    let list: TaggedCommittable[] = []
    const prepared = this.#enqueue(async () => {
      if (!this.#finished) this.#addPending(checkpointId, await writer.prepareCommit(checkpointId))
      list = this.#pendingList()
    })!
    return prepared.then(() => ({ list }))
  }

  /** Commits, in checkpoint order, everything pre-committed for checkpoints up to `checkpointId`. */
  override async notifyCheckpointComplete (checkpointId: number): Promise<void> {
    if (!this.#exactlyOnce) return
    await this.#enqueue(async () => {
      const writer = this.#writer as TwoPhaseCommittingSinkWriter<any> | undefined
      if (writer === undefined) return   // closed meanwhile: a restore commits them
      for (const id of [...this.#pending.keys()].sort((a, b) => a - b)) {
        if (id > checkpointId) break
        await writer.commit(this.#pending.get(id)!)
        this.#pending.delete(id)
      }
    })
  }

  /**
   * The end of bounded input. Without two-phase commit the writer's `finish` makes the
   * output visible; with it, what is left is pre-committed under FINAL_CHECKPOINT_ID and
   * stays invisible until the job's final checkpoint completes.
   */
  override async finish (): Promise<void> {
    await this.flushBatch()
    const writer = this.#writer!
    if (this.#exactlyOnce) {
      const twoPhase = writer as TwoPhaseCommittingSinkWriter<any>
      await this.#enqueue(async () => {
        if (this.#finished) return
        this.#addPending(FINAL_CHECKPOINT_ID, await twoPhase.prepareCommit(FINAL_CHECKPOINT_ID))
        this.#finished = true
      })
      return
    }
    try {
      await writer.finish()
    } catch (err) {
      throw this.fail(err)
    }
  }

  /** Closes the writer; what was pre-committed and not committed stays for a restore to commit. */
  override async close (): Promise<void> {
    const writer = this.#writer
    this.#writer = undefined
    await writer?.close()
  }

  /** Committables pre-committed and not committed yet, oldest checkpoint first. */
  get pendingCommittables (): readonly TaggedCommittable[] {
    return this.#pendingList()
  }

  /**
   * Runs `step` after every earlier write, pre-commit and commit; returns undefined when
   * `step` finished synchronously with nothing before it (the fast path of a sync writer).
   */
  #enqueue (step: () => void | Promise<void>): Promise<void> | undefined {
    const run = (): void | Promise<void> => {
      try {
        return step()
      } catch (err) {
        throw this.fail(err)
      }
    }
    const previous = this.#tail
    const pending = previous === undefined ? run() : previous.then(run)
    if (pending === undefined) return undefined
    const tracked: Promise<void> = pending.then(
      () => { if (this.#tail === tracked) this.#tail = undefined },
      err => { throw this.fail(err) })
    this.#tail = tracked
    return tracked
  }

  #addPending (checkpointId: number, committables: unknown): void {
    if (!Array.isArray(committables)) {
      throw new TypeError(`Sink writer's prepareCommit(${checkpointId}) returned ${describe(committables)}, expected an array`)
    }
    if (committables.length === 0) return
    const list = this.#pending.get(checkpointId)
    if (list === undefined) this.#pending.set(checkpointId, [...committables])
    else list.push(...committables)
  }

  #pendingList (): TaggedCommittable[] {
    const out: TaggedCommittable[] = []
    for (const id of [...this.#pending.keys()].sort((a, b) => a - b)) {
      for (const committable of this.#pending.get(id)!) out.push({ checkpointId: id, committable })
    }
    return out
  }
}

function describe (value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  return typeof value === 'object' ? 'an object' : typeof value
}
