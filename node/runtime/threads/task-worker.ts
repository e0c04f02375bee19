/**
 * A task worker: a thread of a peer's pool (task-threads.ts) that runs the subtasks the main
 * thread gives it. It imports each job's module once (by URL), rebuilds the job's graph as
 * every peer does, and runs its share of the subtasks with the in-process runtime
 * (`runTasks`), with channels to the other threads over ports. Snapshots, the outcome and
 * the answers to checkpoint triggers go back to the main thread, which alone talks to the
 * mesh.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { StreamEnvironment } from '../../api/stream-environment.ts'
import { datasetCatalogView } from '../../api/dataset-catalog-view.ts'
import { isJobDefinition, type JobDefinition } from '../../api/job.ts'
import { errorMessage } from '../../../protocol/error-message.ts'
import { runTasks, type JobTasksControl, type RunTasksCheckpointing } from '../local-executor.ts'
import { JobCancelledError, JobExecutionError } from '../errors.ts'
import { subtaskKey } from '../checkpoint-manifest.ts'
import { PortLink } from './port-channel.ts'
import { ThreadChannelProvider } from './thread-channel-provider.ts'
import { DatasetAccessProxy } from './dataset-access-proxy.ts'
import { SegmentColumnCache } from '../../storage/datasets/segment-column-cache.ts'
import type { ErrorText, FromWorker, RunMessage, ToWorker } from './thread-messages.ts'

const port = parentPort
if (port === null) throw new Error('task-worker.ts runs as a worker thread')

interface Run {
  readonly controller: AbortController
  control: JobTasksControl | undefined
  /** The main thread asked to cancel (else an abort came from a failing link). */
  cancelRequested: boolean
  /** Why a link to another thread failed (malformed bytes from another peer, a bad message). */
  linkFailure: unknown
  /** The run's datasets, reached through the main thread. */
  datasets: DatasetAccessProxy | undefined
}

const runs = new Map<number, Run>()
const modules = new Map<string, Promise<JobDefinition>>()

function post (m: FromWorker): void {
  port!.postMessage(m)
}

/** An error and its causes (a few deep), with their stacks, as the main thread rebuilds them. */
function errorText (err: unknown, depth = 0): ErrorText {
  if (!(err instanceof Error)) return { name: 'Error', message: errorMessage(err) }
  const cause = depth < 4 && err.cause !== undefined ? errorText(err.cause, depth + 1) : undefined
  return { name: err.name, message: errorMessage(err), ...(err.stack === undefined ? {} : { stack: err.stack }), ...(cause === undefined ? {} : { cause }) }
}

/** Resolves once this thread's stdout and stderr have handed on what was written to them. */
async function flushStdio (): Promise<void> {
  await Promise.all([process.stdout, process.stderr].map(stream => new Promise<void>(resolve => { stream.write('', () => { resolve() }) })))
}

/** The job definition of a module, imported once per worker. */
function load (url: string): Promise<JobDefinition> {
  let loading = modules.get(url)
  if (loading === undefined) {
    loading = import(url).then((m: { default?: unknown }) => {
      if (!isJobDefinition(m.default)) throw new Error(`The module ${url} does not export a job (export default defineJob(...))`)
      return m.default
    })
    modules.set(url, loading)
    loading.catch(() => { modules.delete(url) })
  }
  return loading
}

async function run (m: RunMessage, entry: Run): Promise<void> {
  const links = new Map<number, PortLink>()
  // a link that fails fails the run: recorded here, as runTasks reports any abort as a cancellation
  const fail = (err: unknown): void => {
    entry.linkFailure ??= err
    entry.controller.abort(err)
  }
  for (const { peer, port } of m.links) links.set(peer, new PortLink(port, fail))
  try {
    const definition = await load(m.module)
    const env = StreamEnvironment.create({ parallelism: m.parallelism, ...(m.maxParallelism === undefined ? {} : { maxParallelism: m.maxParallelism }) })
    if (m.datasetCatalog !== undefined) env.attachDatasetCatalog(datasetCatalogView(m.datasetCatalog, false))
    await definition.build(env, m.args)
    const graph = env.getJobGraph()
    const mine = new Set(m.subtasks)
    const known = new Set(graph.vertices.flatMap(v => Array.from({ length: v.parallelism }, (_, s) => subtaskKey(v.id, s))))
    for (const key of mine) {
      if (!known.has(key)) throw new Error(`The job's code builds a different graph in a worker thread: it has no subtask ${key.replace('\u0000', '[')}]`)
    }
    const channels = new ThreadChannelProvider({ self: workerIndex, capacity: m.capacity, locations: new Map(m.locations), links })
    const checkpointing: RunTasksCheckpointing | undefined = m.checkpointing
      ? {
          onSnapshot: (vertex, subtask, checkpointId, snapshot) => {
            post({ type: 'snapshot', runId: m.runId, vertex: vertex.id, subtask, checkpointId, snapshot })
          },
          onDeployed: control => {
            entry.control = control
            post({ type: 'deployed', runId: m.runId })
          }
        }
      : undefined
    if (m.datasets) entry.datasets = new DatasetAccessProxy(call => { post({ type: 'dataset-call', runId: m.runId, call }) }, { columns })
    const result = await runTasks(graph, {
      jobId: m.jobId,
      jobName: m.jobName,
      batchSize: m.batchSize,
      channels,
      runsHere: (v, s) => mine.has(subtaskKey(v.id, s)),
      signal: entry.controller.signal,
      splits: new Map(m.splits),
      restore: new Map(m.restore),
      memory: m.memory,
      ...(entry.datasets === undefined ? {} : { datasets: entry.datasets }),
      ...(checkpointing === undefined ? {} : { checkpointing })
    })
    // what the job printed (print() sinks) goes ahead of its end: the process may exit soon after
    await flushStdio()
    post({ type: 'done', runId: m.runId, tasks: result.tasks })
  } catch (err) {
    const cause = entry.linkFailure ?? (err instanceof JobExecutionError ? err.cause : err)
    const cancelled = err instanceof JobCancelledError && entry.cancelRequested && entry.linkFailure === undefined
    post({ type: 'failed', runId: m.runId, cancelled, error: errorText(cause) })
  } finally {
    entry.datasets?.close(new JobCancelledError(m.jobName))
    runs.delete(m.runId)
    for (const link of links.values()) link.close()
  }
}

/** This thread's index in its pool (what other threads' channel locations name it by). */
const workerIndex = (workerData as { index: number }).index
/** The decoded columns this thread's scans read, across runs (its share of PeerInit.segmentCacheBytes). */
const columns = new SegmentColumnCache({ maxBytes: (workerData as { segmentCacheBytes?: number }).segmentCacheBytes ?? 0 })

port.on('message', (m: ToWorker) => {
  switch (m.type) {
    case 'run': {
      const entry: Run = { controller: new AbortController(), control: undefined, cancelRequested: false, linkFailure: undefined, datasets: undefined }
      runs.set(m.runId, entry)
      void run(m, entry) // settles by itself: it posts its outcome
      return
    }
    case 'cancel': {
      const entry = runs.get(m.runId)
      if (entry === undefined) return
      entry.cancelRequested = true
      entry.controller.abort(new JobCancelledError(m.reason))
      return
    }
    case 'trigger': {
      const control = runs.get(m.runId)?.control
      if (control === undefined) {
        post({ type: 'triggered', runId: m.runId, seq: m.seq, accepted: false, lastCheckpointId: 0 })
        return
      }
      // a trigger that throws at once must not escape as an uncaught exception (it would end the thread)
      void Promise.resolve().then(() => control.trigger(m.trigger)).then(
        a => { post({ type: 'triggered', runId: m.runId, seq: m.seq, accepted: a.accepted, lastCheckpointId: a.lastCheckpointId }) },
        () => { post({ type: 'triggered', runId: m.runId, seq: m.seq, accepted: false, lastCheckpointId: 0 }) })
      return
    }
    case 'complete': {
      const control = runs.get(m.runId)?.control
      if (control === undefined) {
        post({ type: 'completed', runId: m.runId, seq: m.seq })
        return
      }
      control.notifyComplete(m.checkpointId).then(
        () => { post({ type: 'completed', runId: m.runId, seq: m.seq }) },
        err => { post({ type: 'completed', runId: m.runId, seq: m.seq, error: errorText(err) }) })
      return
    }
    case 'dataset-reply':
      runs.get(m.runId)?.datasets?.onReply(m.reply)
      return
    case 'warm':
      // loaded ahead of the job that imports them; a module that fails fails that job, not this
      for (const url of m.modules) void import(url).catch(() => {})
  }
})
