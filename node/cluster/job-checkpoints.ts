/**
 * The JobManager's checkpoint coordinators (DESIGN §6): one per running job attempt that
 * takes checkpoints, alive while this peer leads. A coordinator triggers barriers through
 * the TaskManagers that run the job's sources, collects the subtasks' acknowledgements,
 * stores each completed checkpoint's manifest as a replicated block and commits its CID to
 * the metadata log (`checkpoint-completed`), from which every TaskManager learns that its
 * sinks may commit. A new leader starts coordinators for the running jobs from the log.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { logger } from '@libp2p/logger'
import type { JobGraph } from '../graph/job-graph.ts'
import type { CheckpointKind } from '../runtime/checkpoint.ts'
import { CheckpointCoordinator, type AckedOperator, type CompletedCheckpoint } from '../runtime/checkpoint-coordinator.ts'
import { CheckpointAbortedError } from '../runtime/errors.ts'
import type { JobCommand, JobRecord, JobRegistry } from './job-registry.ts'
import { TERMINAL_STATES } from './job-registry.ts'
import { errorMessage } from '../../protocol/error-message.ts'

const log = logger('meshflow:cluster:checkpoints')

/** A coordinator that could not start (its job's code did not load) tries again after this. */
const START_RETRY_MS = 1_000

export interface JobCheckpointsComponents {
  readonly registry: JobRegistry
  readonly isLeader: () => boolean
  readonly propose: (command: JobCommand) => Promise<unknown>
  /** The job graph of a job (built once from its code). */
  readonly graphOf: (job: JobRecord) => Promise<JobGraph>
  /** Stores a block on R peers; resolves with its CID once they hold it. */
  readonly storeBlock: (bytes: Uint8Array) => Promise<string>
  /** Asks `peer` to inject a barrier at its source subtasks of the job's attempt. */
  readonly triggerOn: (peer: string, request: { jobId: string, attempt: number, checkpointId: number, kind: CheckpointKind }) => Promise<{ accepted: boolean, lastCheckpointId: number }>
}

interface Running {
  readonly attempt: number
  readonly coordinator: CheckpointCoordinator
}

export class JobCheckpoints {
  readonly #c: JobCheckpointsComponents
  readonly #running = new Map<string, Running>()
  readonly #starting = new Set<string>()

  constructor (components: JobCheckpointsComponents) {
    this.#c = components
  }

  /** Starts coordinators for running jobs that have none (this peer leads), and stops stale ones. */
  sync (): void {
    const leader = this.#c.isLeader()
    for (const [jobId, r] of this.#running) {
      const job = this.#c.registry.job(jobId)
      if (!leader || job === undefined || job.state !== 'RUNNING' || job.attempt !== r.attempt) {
        r.coordinator.stop()
        this.#running.delete(jobId)
      }
    }
    if (!leader) return
    for (const job of this.#c.registry.jobs) {
      if (job.state !== 'RUNNING' || job.checkpointIntervalMs === undefined) continue
      const key = `${job.id}/${job.attempt}`
      if (this.#running.get(job.id)?.attempt === job.attempt || this.#starting.has(key)) continue
      this.#starting.add(key)
      this.#start(job).catch(err => {
        log.error('cannot coordinate checkpoints of job %s: %s; trying again', job.id, errorMessage(err))
        const retry = setTimeout(() => { this.sync() }, START_RETRY_MS)
        retry.unref()
      }).finally(() => { this.#starting.delete(key) })
    }
  }

  async #start (job: JobRecord): Promise<void> {
    const attempt = job.attempt
    const graph = await this.#c.graphOf(job)
    // the job as the log has it now (each entry replaces its record): still this attempt?
    const stillRunning = (): boolean => {
      const now = this.#c.registry.job(job.id)
      return this.#c.isLeader() && now?.state === 'RUNNING' && now.attempt === attempt
    }
    if (!stillRunning()) return
    job = this.#c.registry.job(job.id)!
    const sourcePeers = new Set<string>()
    const sourceVertices = new Set(graph.vertices.filter(v => v.source !== undefined).map(v => v.id))
    for (const t of job.tasks) if (sourceVertices.has(t.vertex)) sourcePeers.add(t.peer)
    const latest = this.#c.registry.latestCheckpoint(job)
    const coordinator = new CheckpointCoordinator({
      jobId: job.id,
      jobName: job.name,
      graph,
      triggerSources: async trigger => {
        if (!this.#c.isLeader()) throw new Error('this peer no longer leads')
        const answers = await Promise.all([...sourcePeers].map(async peer => await this.#c.triggerOn(peer, { jobId: job.id, attempt, ...trigger })))
        return {
          accepted: answers.every(a => a.accepted),
          lastCheckpointId: Math.max(0, ...answers.map(a => a.lastCheckpointId))
        }
      },
      complete: async (manifest, bytes) => {
        const cid = await this.#c.storeBlock(bytes)
        // a checkpoint of an attempt that is failing is not recorded (nor committed)
        if (!stillRunning()) throw new Error(`attempt ${attempt} of job ${job.id} is no longer running`)
        await this.#c.propose({
          op: 'checkpoint-completed',
          jobId: job.id,
          attempt,
          checkpointId: manifest.checkpointId,
          cid,
          final: manifest.final,
          ...(manifest.savepoint === undefined ? {} : { savepoint: manifest.savepoint }),
          ...(manifest.kind === 'stop' || manifest.kind === 'stop-drain' ? { stop: true } : {}),
          at: manifest.createdAt
        })
        return cid
      },
      // TaskManagers learn of completed checkpoints from the log entry `complete` committed
      notify: () => {}
    }, {
      intervalMs: job.checkpointIntervalMs!,
      ...(job.checkpointTimeoutMs === undefined ? {} : { timeoutMs: job.checkpointTimeoutMs }),
      firstCheckpointId: (latest?.checkpointId ?? 0) + 1
    })
    this.#running.get(job.id)?.coordinator.stop()
    this.#running.set(job.id, { attempt, coordinator })
    coordinator.start()
    log('coordinating checkpoints of job %s attempt %d every %d ms', job.id, attempt, job.checkpointIntervalMs)
  }

  /** A subtask's acknowledgement; false when no coordinator waits for it. */
  ack (m: { jobId: string, attempt: number, checkpointId: number, vertex: string, subtask: number, operators: readonly AckedOperator[] }): boolean {
    const r = this.#running.get(m.jobId)
    if (r === undefined || r.attempt !== m.attempt) {
      // an ack for a job without a coordinator here (yet): make sure one starts
      this.sync()
      return false
    }
    r.coordinator.ack(m.vertex, m.subtask, m.checkpointId, m.operators)
    return true
  }

  decline (m: { jobId: string, attempt: number, checkpointId: number, reason: string }): boolean {
    const r = this.#running.get(m.jobId)
    if (r === undefined || r.attempt !== m.attempt) return false
    r.coordinator.decline(m.checkpointId, m.reason)
    return true
  }

  /**
   * Takes a savepoint of a running job (a `stop` one leaves its sources stopped).
   *
   * @throws {CheckpointAbortedError} when the job does not take checkpoints here or it fails
   */
  async savepoint (job: JobRecord, name: string, kind: CheckpointKind): Promise<CompletedCheckpoint> {
    if (job.checkpointIntervalMs === undefined) {
      throw new CheckpointAbortedError(0, `job ${job.id} does not take checkpoints: call env.enableCheckpointing(intervalMs) in the job to take savepoints`)
    }
    for (let i = 0; i < 50 && !this.#running.has(job.id); i++) {
      this.sync()
      await sleep(100)
    }
    const r = this.#running.get(job.id)
    const now = this.#c.registry.job(job.id)
    if (r === undefined || now === undefined || TERMINAL_STATES.has(now.state)) throw new CheckpointAbortedError(0, `job ${job.id} is not running`)
    return await r.coordinator.trigger(kind, name)
  }


  stop (): void {
    for (const r of this.#running.values()) r.coordinator.stop()
    this.#running.clear()
  }
}
