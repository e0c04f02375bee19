/**
 * The TaskManager side of batch jobs (DESIGN §6): when the log deploys a region of a batch
 * job on this peer (`batch-regions`, see batch-scheduler.ts), it builds the job's graph,
 * reads the result indexes of the regions it reads from, runs the region's subtasks —
 * `runTasks`, or the peer's task threads for a job file — with channels that write and
 * read blocking partitions in the block store (BlockingChannelProvider), stores its own
 * result index and reports it (or the failure) to the JobManager.
 *
 * @example
 * const runner = new RegionRunner({ selfId, registry, loadJob, fetchBlock, storeBlock, report })
 * registry.on('region-deployed', e => { runner.deploy(e) })
 */
import { logger } from '@libp2p/logger'
import type { JobDefinition } from '../api/job.ts'
import type { DatasetAccess } from '../api/dataset-access.ts'
import type { TaskMemory } from '../runtime/local-executor.ts'
import type { JobVertex } from '../graph/job-graph.ts'
import { pipelinedRegions } from '../graph/pipelined-regions.ts'
import type { JobExecutionResult } from '../runtime/local-executor.ts'
import type { TaskThreads } from '../runtime/threads/task-threads.ts'
import { BlockingChannelProvider } from '../runtime/blocking-channel-provider.ts'
import { decodeResultIndex, encodeResultIndex, partitionKey } from '../runtime/blocking-results.ts'
import { JobCancelledError, JobExecutionError } from '../runtime/errors.ts'
import { errorMessage } from '../../protocol/error-message.ts'
import type { RegionReport } from '../../protocol/client.ts'
import type { JobRecord, JobRegistry } from './job-registry.ts'
import { loadJobRuntime } from './load-job-runtime.ts'
import { buildPinnedJob, type JobDatasetsSource } from './job-dataset-view.ts'

const log = logger('meshflow:cluster:region-runner')

/** Jobs whose region metrics a peer keeps (for `env.execute`'s result). */
const MAX_REMEMBERED_JOBS = 100
/** Running jobs whose graph a peer keeps built between their regions. */
const MAX_BUILT_JOBS = 16

/** What a region's run reports (the peer is added by whoever sends it). */
export type RegionOutcome = Pick<RegionReport, 'jobId' | 'region' | 'attempt' | 'state' | 'result' | 'recordsIn' | 'recordsOut' | 'error'>

export interface RegionRunnerComponents {
  readonly selfId: string
  readonly registry: JobRegistry
  readonly loadJob: (job: JobRecord) => Promise<JobDefinition>
  /** The URL of the job's loaded module, for task threads; undefined for code declared in this process. */
  readonly moduleOf?: (job: JobRecord) => string | undefined
  /** The peer's task threads, if it runs subtasks on threads. */
  readonly threads?: () => Promise<TaskThreads> | undefined
  readonly fetchBlock: (cid: string) => Promise<Uint8Array>
  readonly storeBlock: (bytes: Uint8Array) => Promise<string>
  readonly datasets?: (job: JobRecord) => DatasetAccess
  readonly datasetsSource?: () => JobDatasetsSource
  /** The peer's task memory and spill folder (`--task-memory`; a job's own `taskMemory` wins). */
  readonly memory?: TaskMemory
  /** Tells the JobManager how a region's run ended (retried until it is heard). */
  readonly report: (outcome: RegionOutcome) => Promise<void>
}

/** A job as this peer built it for its regions: the environment, its catalog entries and its regions. */
interface BuiltJob {
  readonly env: Awaited<ReturnType<typeof buildPinnedJob>>['env']
  readonly entries: Awaited<ReturnType<typeof buildPinnedJob>>['entries']
  readonly plan: ReturnType<typeof pipelinedRegions>
}

interface RunningRegion {
  readonly controller: AbortController
  done: Promise<void>
}

export class RegionRunner {
  readonly #c: RegionRunnerComponents
  readonly #running = new Map<string, RunningRegion>()
  /** Metrics of the regions that finished here, by job (for `env.execute`'s result). */
  readonly #results = new Map<string, JobExecutionResult[]>()
  readonly #failures = new Map<string, unknown>()
  /**
   * Each job's build, made by its first region here and shared by the next: a batch job's
   * regions all build the same graph (the code, arguments and pinned datasets of the job),
   * and a statement's job may have tens of regions. Runs build their operators from it, as
   * every subtask of a vertex does from one build on the calling thread.
   */
  readonly #builds = new Map<string, Promise<BuiltJob>>()
  #stopped = false

  constructor (components: RegionRunnerComponents) {
    this.#c = components
  }

  /** Runs region `region` of the job (its `attempt`-th run) when it is deployed on this peer. */
  deploy (e: { job: JobRecord, region: number, attempt: number, peer: string }): void {
    if (this.#stopped || e.peer !== this.#c.selfId) return
    const key = `${e.job.id}/${e.region}`
    this.#running.get(key)?.controller.abort(new JobCancelledError(e.job.name))
    const running: RunningRegion = { controller: new AbortController(), done: Promise.resolve() }
    this.#running.set(key, running)
    running.done = this.#run(e.job, e.region, e.attempt, running.controller.signal).finally(() => {
      if (this.#running.get(key) === running) this.#running.delete(key)
    })
  }

  /** The job's build for its regions here (see #builds); a failed build is tried again by the next region. */
  #build (job: JobRecord, definition: JobDefinition, runtime: Awaited<ReturnType<typeof loadJobRuntime>>): Promise<BuiltJob> {
    let built = this.#builds.get(job.id)
    if (built === undefined) {
      built = buildPinnedJob(runtime, definition, job, this.#c.datasetsSource).then(({ env, entries }) => ({ env, entries, plan: pipelinedRegions(env.getJobGraph()) }))
      const mine = built
      this.#builds.set(job.id, mine)
      mine.catch(() => { if (this.#builds.get(job.id) === mine) this.#builds.delete(job.id) })
      for (const k of this.#builds.keys()) { if (this.#builds.size <= MAX_BUILT_JOBS) break; this.#builds.delete(k) }
    }
    return built
  }

  /** The job ended (or the region runs elsewhere now): stop its regions here. */
  cancel (jobId: string, reason: string): void {
    this.#builds.delete(jobId)
    for (const [key, r] of this.#running) if (key.startsWith(`${jobId}/`)) r.controller.abort(new JobCancelledError(reason))
  }

  /** What this peer's regions of the job did, merged (runtime, records per task). */
  result (jobId: string): JobExecutionResult | undefined {
    const list = this.#results.get(jobId)
    if (list === undefined || list.length === 0) return undefined
    return { jobId, jobName: list[0]!.jobName, netRuntimeMs: list.reduce((n, r) => n + r.netRuntimeMs, 0), tasks: list.flatMap(r => r.tasks) }
  }

  /** The latest error a region of the job failed with here. */
  failure (jobId: string): unknown { return this.#failures.get(jobId) }

  /** The job ended: forget its results. */
  forget (jobId: string): void {
    this.#results.delete(jobId)
    this.#failures.delete(jobId)
  }

  async #run (job: JobRecord, region: number, attempt: number, signal: AbortSignal): Promise<void> {
    let outcome: RegionOutcome
    try {
      const definition = await this.#c.loadJob(job)
      const runtime = await loadJobRuntime()
      const { env, entries, plan } = await this.#build(job, definition, runtime)
      const graph = env.getJobGraph()
      const spec = plan.regions[region]
      if (spec === undefined) throw new Error(`Job ${job.id} has no region ${region} here: its code builds a different graph`)
      const members = new Set(spec.subtasks.map(t => `${t.vertex}#${t.subtask}`))
      const inRegion = (v: JobVertex, s: number): boolean => members.has(`${v.id}#${s}`)
      // the results it reads: the latest record of each input region
      const current = this.#c.registry.job(job.id) ?? job
      const inputs = new Map<string, readonly string[]>()
      await Promise.all(spec.inputs.map(async i => {
        const r = current.batch?.regions[i]
        if (r?.state !== 'FINISHED' || r.result === undefined) throw new Error(`Region ${i} of job ${job.id}, which region ${region} reads, has no result`)
        for (const p of decodeResultIndex(await this.#c.fetchBlock(r.result)).partitions) {
          inputs.set(partitionKey(p.edge, p.producer, p.consumer), p.blocks)
        }
      }))
      signal.throwIfAborted()
      const channels = new BlockingChannelProvider({
        blocks: { store: this.#c.storeBlock, fetch: async cid => await this.#c.fetchBlock(cid) },
        inRegion,
        inputs,
        capacity: env.channelCapacity
      })
      const datasets = this.#c.datasets?.(job)
      const memory: TaskMemory = { taskMemory: env.taskMemory ?? this.#c.memory?.taskMemory, spillDir: this.#c.memory?.spillDir }
      const module = this.#c.moduleOf?.(job)
      const pool = module === undefined ? undefined : this.#c.threads?.()
      log('job %s: running region %d (%s), run %d', job.id, region, spec.name, attempt)
      const result = pool === undefined || module === undefined
        ? await runtime.runTasks(graph, { jobId: job.id, jobName: job.name, channels, runsHere: inRegion, signal, batchSize: env.batchSize, memory, ...(datasets === undefined ? {} : { datasets }) })
        : await (await pool).run({
          module,
          args: job.args,
          parallelism: job.parallelism,
          maxParallelism: job.maxParallelism,
          graph,
          jobId: job.id,
          jobName: job.name,
          batchSize: env.batchSize,
          capacity: env.channelCapacity,
          channels,
          runsHere: inRegion,
          signal,
          memory,
          ...(datasets === undefined ? {} : { datasets }),
          ...(entries === undefined ? {} : { datasetCatalog: entries })
        })
      const partitions = await channels.results()
      let recordsIn = 0
      for (const t of result.tasks) if (t.source) recordsIn += t.recordsIn
      const recordsOut = channels.recordsOut
      const index = await this.#c.storeBlock(encodeResultIndex({ partitions, recordsIn, recordsOut }))
      const list = this.#results.get(job.id) ?? []
      list.push(result)
      this.#results.delete(job.id)
      this.#results.set(job.id, list)
      // the newest jobs' metrics only (a Map iterates in insertion order)
      for (const k of this.#results.keys()) { if (this.#results.size <= MAX_REMEMBERED_JOBS) break; this.#results.delete(k) }
      outcome = { jobId: job.id, region, attempt, state: 'FINISHED', result: index, recordsIn, recordsOut }
    } catch (err) {
      if (signal.aborted || err instanceof JobCancelledError) return
      const cause = err instanceof JobExecutionError ? err.cause : err
      this.#failures.delete(job.id)
      this.#failures.set(job.id, cause)
      for (const k of this.#failures.keys()) { if (this.#failures.size <= MAX_REMEMBERED_JOBS) break; this.#failures.delete(k) }
      outcome = { jobId: job.id, region, attempt, state: 'FAILED', error: errorMessage(cause) }
      log.error('job %s: region %d failed here: %s', job.id, region, outcome.error)
    }
    if (signal.aborted) return
    try {
      await this.#c.report(outcome)
    } catch (err) {
      log.error('could not report region %d of job %s: %s', region, job.id, errorMessage(err))
    }
  }

  async stop (): Promise<void> {
    this.#stopped = true
    const runs = [...this.#running.values()]
    for (const r of runs) r.controller.abort(new JobCancelledError('peer stopping'))
    await Promise.allSettled(runs.map(r => r.done))
  }
}
