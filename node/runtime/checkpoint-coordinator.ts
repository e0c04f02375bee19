/**
 * The checkpoint coordinator of one job attempt (DESIGN §6): triggers a checkpoint every
 * interval by injecting barriers at the sources, collects one acknowledgement per subtask,
 * and completes the checkpoint — assembles its manifest and hands it to `complete`, which
 * makes it durable (a block and, on a mesh, a metadata-log entry) — then tells the tasks.
 * At most one checkpoint is pending at a time; one that does not complete within the
 * timeout, or that a task declines, is aborted and the job runs on.
 *
 * A subtask that has finished its input acknowledges FINAL_CHECKPOINT_ID with its state at
 * the end; as in Flink (FLIP-147), checkpoints go on for the subtasks still running, and
 * each one takes a finished subtask's final state as its part (it no longer changes: its
 * sources rewind to nothing, its inputs had all ended). When every subtask has finished,
 * the coordinator completes the job's final checkpoint, which commits what two-phase-commit
 * sinks wrote last. The same class runs in-process (embedded jobs) and on the JobManager.
 */
import { logger } from '@libp2p/logger'
import type { JobGraph } from '../graph/job-graph.ts'
import { FINAL_CHECKPOINT_ID, type CheckpointKind, type CheckpointTrigger, type OperatorSnapshot } from './checkpoint.ts'
import { encodeManifest, subtaskKey, type CheckpointManifest, type ManifestOperator, type ManifestSubtask } from './checkpoint-manifest.ts'
import { CheckpointAbortedError } from './errors.ts'
import { errorMessage } from '../../protocol/error-message.ts'

const log = logger('meshflow:runtime:checkpoint-coordinator')

/** Default time a checkpoint may take before it is aborted. */
export const DEFAULT_CHECKPOINT_TIMEOUT_MS = 60_000

/** One operator's part of a subtask's acknowledgement (state already stored as blocks). */
export interface AckedOperator {
  readonly operatorId: string
  readonly keyed: readonly string[]
  readonly list: readonly unknown[]
}

/**
 * A subtask's snapshot as its acknowledgement: per operator, its chunk CIDs in order and
 * its list state. `onNewChunk` gets every chunk not stored yet, to store before acking.
 */
export function acknowledgementOf (snapshot: ReadonlyMap<string, OperatorSnapshot>, onNewChunk: (cid: string, bytes: Uint8Array) => void): AckedOperator[] {
  const acked: AckedOperator[] = []
  for (const [operatorId, s] of snapshot) {
    const keyed: string[] = []
    for (const chunk of s.keyed ?? []) {
      if (chunk.bytes !== undefined) onNewChunk(chunk.cid, chunk.bytes)
      keyed.push(chunk.cid)
    }
    acked.push({ operatorId, keyed, list: s.list ?? [] })
  }
  return acked
}

export interface CompletedCheckpoint {
  readonly checkpointId: number
  readonly cid: string
  readonly manifest: CheckpointManifest
}

export interface CheckpointCoordinatorComponents {
  readonly jobId: string
  readonly jobName: string
  readonly graph: JobGraph
  /**
   * Injects the barrier at every source subtask. `accepted` is false when some source
   * could not take it; `lastCheckpointId` is the highest id a source has seen.
   */
  readonly triggerSources: (trigger: CheckpointTrigger) => Promise<{ accepted: boolean, lastCheckpointId: number }>
  /** Makes a completed checkpoint durable and returns the manifest's CID. */
  readonly complete: (manifest: CheckpointManifest, bytes: Uint8Array) => Promise<string>
  /** Tells the tasks that a checkpoint (FINAL_CHECKPOINT_ID for the final one) completed. */
  readonly notify: (checkpointId: number) => void
}

export interface CheckpointCoordinatorInit {
  /** Trigger a checkpoint this often; no periodic checkpoints without it. */
  readonly intervalMs?: number
  readonly timeoutMs?: number
  /** The id of the first checkpoint (one more than the last completed one). */
  readonly firstCheckpointId?: number
}

interface Pending {
  readonly checkpointId: number
  readonly kind: CheckpointKind
  readonly savepoint: string | undefined
  readonly acks: Map<string, readonly AckedOperator[]>
  readonly resolve: (c: CompletedCheckpoint) => void
  readonly reject: (err: Error) => void
  readonly promise: Promise<CompletedCheckpoint>
  timer: ReturnType<typeof setTimeout> | undefined
  /** Every ack is in and the manifest is being stored: it can no longer be aborted. */
  completing: boolean
}

export class CheckpointCoordinator {
  readonly #c: CheckpointCoordinatorComponents
  readonly #intervalMs: number | undefined
  readonly #timeoutMs: number
  readonly #subtasks: number
  #nextId: number
  #pending: Pending | undefined
  #timer: ReturnType<typeof setTimeout> | undefined
  #running = false
  readonly #finalAcks = new Map<string, readonly AckedOperator[]>()
  #final: Promise<CompletedCheckpoint> | undefined
  /** Checkpoints completed by this coordinator. */
  completed = 0
  latest: CompletedCheckpoint | undefined

  constructor (components: CheckpointCoordinatorComponents, init: CheckpointCoordinatorInit = {}) {
    this.#c = components
    this.#intervalMs = init.intervalMs
    this.#timeoutMs = init.timeoutMs ?? DEFAULT_CHECKPOINT_TIMEOUT_MS
    this.#nextId = Math.max(1, init.firstCheckpointId ?? 1)
    this.#subtasks = components.graph.vertices.reduce((n, v) => n + v.parallelism, 0)
  }

  /** Starts periodic checkpoints (when an interval is set). */
  start (): void {
    if (this.#running) return
    this.#running = true
    this.#schedule()
  }

  /** Stops triggering and aborts the pending checkpoint. */
  stop (): void {
    if (!this.#running) return
    this.#running = false
    clearTimeout(this.#timer)
    this.#timer = undefined
    if (this.#pending !== undefined) this.#abort(this.#pending, 'the job stopped')
  }

  #schedule (): void {
    if (!this.#running || this.#intervalMs === undefined || this.#finalAcks.size === this.#subtasks) return
    clearTimeout(this.#timer)
    this.#timer = setTimeout(() => {
      this.#timer = undefined
      if (this.#pending !== undefined) { this.#schedule(); return }
      this.trigger('checkpoint').catch(err => { log('periodic checkpoint: %s', errorMessage(err)) })
        .finally(() => { this.#schedule() })
    }, this.#intervalMs)
  }

  /**
   * Takes a checkpoint (or savepoint) now and resolves when it completed. Waits for a
   * pending one first. A `stop` savepoint leaves the sources stopped.
   *
   * @throws {CheckpointAbortedError} when it times out, a task declines, or sources refuse it
   */
  async trigger (kind: CheckpointKind, savepoint?: string): Promise<CompletedCheckpoint> {
    for (let attempt = 0; ; attempt++) {
      while (this.#pending !== undefined) await this.#pending.promise.catch(() => {})
      if (!this.#running) throw new CheckpointAbortedError(this.#nextId, 'the job is not running')
      if (this.#finalAcks.size === this.#subtasks) throw new CheckpointAbortedError(this.#nextId, 'every task of the job has finished')
      const checkpointId = this.#nextId++
      let resolve!: (c: CompletedCheckpoint) => void
      let reject!: (err: Error) => void
      const promise = new Promise<CompletedCheckpoint>((res, rej) => { resolve = res; reject = rej })
      const pending: Pending = { checkpointId, kind, savepoint, acks: new Map(), resolve, reject, promise, timer: undefined, completing: false }
      promise.catch(() => {})
      this.#pending = pending
      pending.timer = setTimeout(() => { this.#abort(pending, `not acknowledged by every task within ${this.#timeoutMs} ms`) }, this.#timeoutMs)
      let answer
      try {
        answer = await this.#c.triggerSources({ checkpointId, kind })
      } catch (err) {
        this.#abort(pending, `a source could not be reached: ${errorMessage(err)}`)
        throw await promise.catch((e: Error) => e)
      }
      if (!answer.accepted) {
        if (answer.lastCheckpointId >= this.#nextId) this.#nextId = answer.lastCheckpointId + 1
        this.#abort(pending, 'a source declined the barrier')
        // a source that saw a higher id (an earlier JobManager's checkpoint) accepts the next one
        if (attempt === 0 && answer.lastCheckpointId >= checkpointId) continue
      }
      return await promise
    }
  }

  /** A subtask acknowledged a checkpoint with the CIDs and list state of its operators. */
  ack (vertexId: string, subtask: number, checkpointId: number, operators: readonly AckedOperator[]): void {
    const key = subtaskKey(vertexId, subtask)
    if (checkpointId === FINAL_CHECKPOINT_ID) {
      this.#finalAcks.set(key, operators)
      if (this.#finalAcks.size === this.#subtasks) {
        if (this.#pending !== undefined) this.#abort(this.#pending, 'every task of the job has finished')
      } else if (this.#pending !== undefined) {
        this.#maybeComplete(this.#pending)
      }
      if (this.#finalAcks.size === this.#subtasks && this.#final === undefined) {
        const final = this.#completeFinal()
        this.#final = final
        final.catch(err => {
          log.error('final checkpoint of job %s: %s', this.#c.jobId, errorMessage(err))
          // the TaskManagers send their final acks again: the next one retries
          if (this.#final === final) this.#final = undefined
        })
      }
      return
    }
    const p = this.#pending
    if (p === undefined || p.checkpointId !== checkpointId || p.completing || p.acks.has(key)) return
    p.acks.set(key, operators)
    this.#maybeComplete(p)
  }

  /** Completes `p` when every subtask acked it or has finished (its final state stands in). */
  #maybeComplete (p: Pending): void {
    if (p.completing) return
    let missing = this.#subtasks - p.acks.size
    for (const key of this.#finalAcks.keys()) if (!p.acks.has(key)) missing--
    if (missing > 0) return
    for (const [key, operators] of this.#finalAcks) if (!p.acks.has(key)) p.acks.set(key, operators)
    clearTimeout(p.timer)
    p.completing = true
    this.#complete(p).catch(err => {
      p.completing = false
      this.#abort(p, `storing the checkpoint failed: ${errorMessage(err)}`)
    })
  }

  /** A task declined a checkpoint (it could not snapshot): abort it. */
  decline (checkpointId: number, reason: string): void {
    const p = this.#pending
    if (p !== undefined && p.checkpointId === checkpointId) this.#abort(p, reason)
  }

  /** Resolves with the final checkpoint once every subtask has finished and it is stored. */
  get final (): Promise<CompletedCheckpoint> | undefined { return this.#final }

  #abort (p: Pending, reason: string): void {
    // once every ack is in, the checkpoint completes (or fails to store) whatever happens
    if (this.#pending !== p || p.completing) return
    this.#pending = undefined
    clearTimeout(p.timer)
    log('checkpoint %d of job %s aborted: %s', p.checkpointId, this.#c.jobId, reason)
    p.reject(new CheckpointAbortedError(p.checkpointId, reason))
  }

  #manifest (checkpointId: number, kind: CheckpointKind, savepoint: string | undefined, final: boolean, acks: ReadonlyMap<string, readonly AckedOperator[]>): CheckpointManifest {
    const operators: ManifestOperator[] = []
    for (const v of this.#c.graph.vertices) {
      for (const op of v.operators) {
        const subtasks: ManifestSubtask[] = []
        let any = false
        for (let s = 0; s < v.parallelism; s++) {
          const acked = acks.get(subtaskKey(v.id, s))?.find(a => a.operatorId === op.id)
          if (acked !== undefined) any = true
          subtasks.push({ keyed: acked?.keyed ?? [], list: acked?.list ?? [] })
        }
        if (any) operators.push({ id: op.id, uid: op.uid, name: op.name, parallelism: v.parallelism, maxParallelism: v.maxParallelism, subtasks })
      }
    }
    return { version: 1, jobId: this.#c.jobId, jobName: this.#c.jobName, checkpointId, kind, savepoint, final, createdAt: Date.now(), operators }
  }

  async #complete (p: Pending): Promise<void> {
    const manifest = this.#manifest(p.checkpointId, p.kind, p.savepoint, false, p.acks)
    const cid = await this.#c.complete(manifest, encodeManifest(manifest))
    this.#pending = undefined
    const done: CompletedCheckpoint = { checkpointId: p.checkpointId, cid, manifest }
    this.completed++
    this.latest = done
    log('checkpoint %d of job %s completed: %s', p.checkpointId, this.#c.jobId, cid)
    this.#c.notify(p.checkpointId)
    p.resolve(done)
  }

  async #completeFinal (): Promise<CompletedCheckpoint> {
    const checkpointId = this.#nextId++
    const manifest = this.#manifest(checkpointId, 'checkpoint', undefined, true, this.#finalAcks)
    const cid = await this.#c.complete(manifest, encodeManifest(manifest))
    const done: CompletedCheckpoint = { checkpointId, cid, manifest }
    this.completed++
    this.latest = done
    this.#c.notify(FINAL_CHECKPOINT_ID)
    return done
  }
}
