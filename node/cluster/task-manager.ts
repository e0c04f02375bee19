/**
 * The TaskManager side of a peer: when the metadata log deploys a job with subtasks on
 * this peer, it loads the job's code by CID, rebuilds the same job graph, and runs its own
 * subtasks with channels to the other peers' subtasks; it reports the outcome to the
 * JobManager, and aborts its subtasks when the job ends elsewhere (failed or cancelled).
 */
import { logger } from '@libp2p/logger'
import { StreamEnvironment } from '../api/stream-environment.ts'
import type { JobDefinition } from '../api/job.ts'
import type { JobVertex } from '../graph/job-graph.ts'
import { runTasks } from '../runtime/local-executor.ts'
import { JobCancelledError } from '../runtime/errors.ts'
import type { DataService } from './data-service.ts'
import type { JobRecord } from './job-registry.ts'
import { MeshChannelProvider } from './mesh-channel-provider.ts'

const log = logger('meshflow:cluster:task-manager')

export interface TaskReport {
  readonly jobId: string
  readonly attempt: number
  readonly state: 'FINISHED' | 'FAILED' | 'CANCELED'
  readonly error?: string
}

export interface TaskManagerComponents {
  readonly selfId: string
  readonly data: DataService
  /** The job's `defineJob` definition, loaded from its code CID. */
  readonly loadJob: (job: JobRecord) => Promise<JobDefinition>
  /** Tells the JobManager how this peer's subtasks ended (retried until it is heard). */
  readonly report: (report: TaskReport) => Promise<void>
}

/** Builds the job graph of a job as every peer does: same code, same arguments, same parallelism. */
export async function buildJobGraph (definition: JobDefinition, job: Pick<JobRecord, 'parallelism' | 'maxParallelism' | 'args'>): Promise<ReturnType<StreamEnvironment['getJobGraph']>> {
  const env = StreamEnvironment.create({
    parallelism: job.parallelism,
    ...(job.maxParallelism === undefined ? {} : { maxParallelism: job.maxParallelism })
  })
  await definition.build(env, job.args)
  return env.getJobGraph()
}

export class TaskManager {
  readonly #c: TaskManagerComponents
  readonly #running = new Map<string, { attempt: number, controller: AbortController, done: Promise<void> }>()
  #stopped = false

  constructor (components: TaskManagerComponents) {
    this.#c = components
  }

  /** Subtasks running on this peer, per job (for status and tests). */
  get runningJobs (): string[] { return [...this.#running.keys()] }

  deploy (job: JobRecord): void {
    if (this.#stopped || !job.tasks.some(t => t.peer === this.#c.selfId)) return
    const current = this.#running.get(job.id)
    if (current !== undefined && current.attempt >= job.attempt) return
    current?.controller.abort(new JobCancelledError(job.name))
    const controller = new AbortController()
    const done = this.#run(job, controller.signal).finally(() => {
      if (this.#running.get(job.id)?.controller === controller) this.#running.delete(job.id)
    })
    this.#running.set(job.id, { attempt: job.attempt, controller, done })
  }

  /** The job ended elsewhere: stop its subtasks here. */
  cancel (jobId: string, reason: string): void {
    this.#running.get(jobId)?.controller.abort(new JobCancelledError(reason))
  }

  async #run (job: JobRecord, signal: AbortSignal): Promise<void> {
    const self = this.#c.selfId
    let report: TaskReport
    try {
      const definition = await this.#c.loadJob(job)
      const graph = await buildJobGraph(definition, job)
      const where = new Map(job.tasks.map(t => [`${t.vertex}\u0000${t.subtask}`, t.peer]))
      const placement = (v: JobVertex, s: number): string => {
        const peer = where.get(`${v.id}\u0000${s}`)
        if (peer === undefined) throw new Error(`The deployment of job ${job.id} has no peer for ${v.id}[${s}]: the job's code builds a different graph here`)
        return peer
      }
      const channels = new MeshChannelProvider({ selfId: self, jobId: job.id, attempt: job.attempt, data: this.#c.data, placement })
      log('job %s attempt %d: running %d subtasks', job.id, job.attempt, job.tasks.filter(t => t.peer === self).length)
      await runTasks(graph, { jobId: job.id, jobName: job.name, channels, runsHere: (v, s) => placement(v, s) === self, signal })
      report = { jobId: job.id, attempt: job.attempt, state: 'FINISHED' }
    } catch (err) {
      const cancelled = signal.aborted || err instanceof JobCancelledError
      report = cancelled
        ? { jobId: job.id, attempt: job.attempt, state: 'CANCELED' }
        : { jobId: job.id, attempt: job.attempt, state: 'FAILED', error: err instanceof Error ? err.message : String(err) }
      if (!cancelled) log.error('job %s failed here: %s', job.id, report.error)
    } finally {
      this.#c.data.forgetJob(job.id)
    }
    if (report.state === 'CANCELED') return
    try {
      await this.#c.report(report)
    } catch (err) {
      log.error('could not report job %s to the JobManager: %s', job.id, err instanceof Error ? err.message : err)
    }
  }

  async stop (): Promise<void> {
    this.#stopped = true
    const runs = [...this.#running.values()]
    for (const r of runs) r.controller.abort(new JobCancelledError('peer stopping'))
    await Promise.allSettled(runs.map(r => r.done))
  }
}
