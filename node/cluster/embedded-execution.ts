/**
 * `StreamEnvironment.execute`: runs a pipeline declared in this process on an embedded mesh
 * of one — a peer with no listener and no discovery that is JobManager and TaskManager at
 * once, with the same scheduler, checkpoint coordinator, restart logic and block store as
 * a mesh (DESIGN §3). Its store lives in a temporary folder, removed when the job ends: a
 * test or a script leaves nothing behind — unless `dataDir` names a folder to keep (its
 * datasets then outlive the job, as `meshflow run` keeps its store in `--data-dir`).
 *
 * @example
 * const result = await executeEmbedded(env, 'word-count', { signal })
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { StreamEnvironment } from '../api/stream-environment.ts'
import { defineJob } from '../api/job.ts'
import { randomUUID } from 'node:crypto'
import { LocalChannelProvider, runTasks, type JobExecutionResult } from '../runtime/local-executor.ts'
import { JobCancelledError, JobExecutionError } from '../runtime/errors.ts'
import { Peer } from './peer.ts'

/** Runs the pipeline declared on `environment` and resolves when a bounded job has finished. */
export async function executeEmbedded (environment: StreamEnvironment, jobName: string, options: { signal?: AbortSignal | undefined, dataDir?: string | undefined } = {}): Promise<JobExecutionResult> {
  options.signal?.throwIfAborted()
  environment.getJobGraph() // a mistake in the pipeline surfaces here, before any peer starts
  const temporary = options.dataDir === undefined
  const dir = options.dataDir ?? await mkdtemp(join(tmpdir(), 'meshflow-execute-'))
  let peer: Peer | undefined
  try {
    peer = await Peer.start({ dataDir: dir, embedded: true })
    await peer.mark('execute', options.signal === undefined ? {} : { signal: options.signal })
    return await runOnPeer(peer, environment, jobName, options.signal === undefined ? {} : { signal: options.signal })
  } finally {
    await peer?.stop()
    if (temporary) await rm(dir, { recursive: true, force: true })
  }
}

/**
 * Runs the pipeline declared on `environment` as a job of `peer` (JobManager and
 * TaskManager of an embedded mesh) and resolves when a bounded job has finished; aborting
 * `signal` cancels it.
 *
 * @throws JobCancelledError when cancelled, JobExecutionError with the job's failure
 */
export async function runOnPeer (peer: Peer, environment: StreamEnvironment, jobName: string, options: { signal?: AbortSignal } = {}): Promise<JobExecutionResult> {
  const graph = environment.getJobGraph()
  const jobs = peer.jobService
  const started = performance.now()
  const jobId = await jobs.submitDefinition(defineJobOn(environment), {
    name: jobName,
    parallelism: Math.max(1, ...graph.vertices.map(v => v.parallelism))
  })
  const cancel = (): void => { void jobs.cancel(jobId).catch(() => {}) } // the result below reports the end
  options.signal?.addEventListener('abort', cancel, { once: true })
  if (options.signal?.aborted === true) cancel() // aborted while the job was being submitted
  let ended
  try {
    ended = await jobs.result(jobId)
  } finally {
    options.signal?.removeEventListener('abort', cancel)
  }
  const record = jobs.registry.job(jobId)
  const restarts = record?.restarts ?? 0
  if (ended.state === 'FINISHED') {
    const local = jobs.localResult(jobId)
    return {
      jobId,
      jobName,
      netRuntimeMs: performance.now() - started,
      tasks: local?.tasks ?? [],
      ...(environment.checkpointing === undefined ? {} : { restarts, checkpoints: record?.checkpoints.completed ?? 0 })
    }
  }
  if (ended.state === 'CANCELED') throw new JobCancelledError(jobName, options.signal?.aborted === true ? { cause: options.signal.reason } : undefined)
  // the error the job failed with here; after restarts, the JobManager's account of giving up
  const failure = jobs.localFailure(jobId)
  if (restarts === 0 && failure !== undefined) throw new JobExecutionError(jobName, failure)
  throw new JobExecutionError(jobName, new Error(ended.error ?? 'The job failed', failure === undefined ? undefined : { cause: failure }))
}

/**
 * Runs the bounded pipeline declared on `environment` on the calling thread of `peer`'s
 * process, not as a job: no log entry, no regions, no block between stages — its tasks
 * are connected by in-memory channels with credits (runTasks), read the datasets through
 * the peer's DatasetAccess (its block store and column cache) at the versions the
 * pipeline names, and spill as the peer's tasks do. For a read-only pipeline of the
 * process that declared it whose fixed cost matters (an embedded SQL query): it is not
 * listed as a job, pins no dataset version, and is not restarted. Aborting `signal`
 * cancels it.
 *
 * @throws JobCancelledError when cancelled, JobExecutionError naming the operator that failed
 */
export async function runInProcess (peer: Peer, environment: StreamEnvironment, jobName: string, options: { signal?: AbortSignal } = {}): Promise<JobExecutionResult> {
  const jobs = peer.jobService
  const { signal } = options
  const aborted = (): boolean => signal?.aborted === true
  if (aborted()) throw new JobCancelledError(jobName, { cause: signal?.reason })
  try {
    return await runTasks(environment.getJobGraph(), {
      jobId: `in-process-${randomUUID()}`,
      jobName,
      batchSize: environment.batchSize,
      channels: new LocalChannelProvider(environment.channelCapacity),
      datasets: jobs.peerDatasets.inProcess(),
      memory: { ...jobs.taskMemory, ...(environment.taskMemory === undefined ? {} : { taskMemory: environment.taskMemory }) },
      ...(signal === undefined ? {} : { signal })
    })
  } catch (err) {
    // an operator that saw the abort first (a scan listing its splits) failed with it: cancelled, as runOnPeer says
    if (aborted() && !(err instanceof JobCancelledError)) throw new JobCancelledError(jobName, { cause: signal?.reason })
    throw err
  }
}

/** A job definition that is the environment itself (no `build` to run again). */
function defineJobOn (environment: StreamEnvironment): ReturnType<typeof defineJob> {
  return { ...defineJob(() => {}), environment }
}
