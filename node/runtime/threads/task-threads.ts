/**
 * A peer's pool of task worker threads (task-worker.ts), one per slot by default: the
 * subtasks of a job run on every core of the machine, not on the main thread. A job's
 * subtasks on this peer are shared out as Flink shares slots — subtask k of every vertex on
 * the same worker, so a pipeline's subtasks keep to one thread and only its shuffles cross
 * threads. Chained operators stay on their thread (they are one task). Channels between
 * workers are port channels carrying encoded batches (port-channel.ts) with the
 * LocalChannel's credits; channels to other peers are relayed by the main thread, which
 * alone talks to the mesh (channel-relay.ts). Checkpoint triggers, completions, snapshots
 * and the outcome go through the main thread too, so the TaskManager and the checkpoint
 * coordinator see one set of subtasks, as before.
 *
 * A job runs here only when its code is a module the workers can import (a job file);
 * a pipeline declared in the calling process (`StreamEnvironment.execute`) runs on the
 * calling thread with `runTasks`.
 *
 * @example
 * const threads = new TaskThreads({ threads: 2 })
 * const result = await threads.run({ module: url, graph, jobId, jobName, channels, ... })
 * await threads.stop()
 */
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads'
import module from 'node:module'
import { availableParallelism } from 'node:os'
import { logger } from '@libp2p/logger'
import type { JobArgs } from '../../api/job.ts'
import type { SourceSplit } from '../../api/source.ts'
import type { DatasetAccess } from '../../api/dataset-access.ts'
import type { JobEdge, JobGraph, JobVertex } from '../../graph/job-graph.ts'
import type { DatasetCatalogEntries } from '../../api/dataset-catalog-view.ts'
import { errorMessage } from '../../../protocol/error-message.ts'
import { JobCancelledError, JobExecutionError, OperatorError } from '../errors.ts'
import { subtaskKey } from '../checkpoint-manifest.ts'
import type { CheckpointTrigger, RestoredOperatorState } from '../checkpoint.ts'
import { edgeIndexes, splitContext, type ChannelProvider, type JobExecutionResult, type RunTasksCheckpointing, type TaskMemory, type TaskMetrics, type TriggerAnswer } from '../local-executor.ts'
import { RunAbort } from '../run-abort.ts'
import { BYTES_CODEC, PortLink } from './port-channel.ts'
import { channelId, THREAD_CAPACITY_FACTOR } from './thread-channel-provider.ts'
import { encodingReader, encodingWriter, portSource, portTarget, relay } from './channel-relay.ts'
import { answerDatasetCall } from './dataset-access-proxy.ts'
import { DEFAULT_SEGMENT_CACHE_BYTES } from '../../storage/datasets/segment-column-cache.ts'
import { MAIN_THREAD, type ErrorText, type FromWorker, type RunMessage, type ToWorker } from './thread-messages.ts'

const log = logger('meshflow:runtime:threads')

const WORKER_URL = new URL('./task-worker.ts', import.meta.url)

export interface TaskThreadsInit {
  /** Worker threads in the pool (default: the machine's cores). */
  readonly threads?: number
  /**
   * How long the threads of a cancelled or failed run may take to stop (an operator stuck in
   * a loop never looks at its signal) before they are terminated, failing whatever else ran
   * on them, as Flink's task cancellation watchdog does (default 30 s).
   */
  readonly cancelTimeoutMs?: number
  /**
   * Bytes of decoded dataset columns the threads keep for their scans, shared out evenly:
   * each thread has its own cache (SegmentColumnCache) of `segmentCacheBytes / threads`
   * (default DEFAULT_SEGMENT_CACHE_BYTES; 0 keeps none).
   */
  readonly segmentCacheBytes?: number
}

/** See TaskThreadsInit.cancelTimeoutMs. */
export const DEFAULT_CANCEL_TIMEOUT_MS = 30_000

/** One job attempt's subtasks on this peer, to run on the pool. */
export interface ThreadedRunOptions {
  /** The URL of the job's module (its default export is the job definition). */
  readonly module: string
  readonly args: JobArgs
  /** The job's parallelism and max parallelism, as its environment is created with. */
  readonly parallelism: number
  readonly maxParallelism?: number | undefined
  /** The job's graph as the main thread built it (the workers build the same). */
  readonly graph: JobGraph
  readonly jobId: string
  readonly jobName: string
  readonly batchSize: number
  readonly capacity: number
  /** Channels to subtasks on other peers (the workers' channels between them are their own). */
  readonly channels: ChannelProvider
  readonly runsHere: (vertex: JobVertex, subtask: number) => boolean
  readonly signal?: AbortSignal
  readonly checkpointing?: RunTasksCheckpointing
  readonly restore?: ReadonlyMap<string, ReadonlyMap<string, RestoredOperatorState>>
  /** The peer's datasets, which the workers' tasks reach through this thread. */
  readonly datasets?: DatasetAccess
  /** What the main thread's build knew of the datasets the job reads: the workers build with it too. */
  readonly datasetCatalog?: DatasetCatalogEntries
  /** Each task's memory budget and spill folder. */
  readonly memory?: TaskMemory
}

/** An error from a worker, rebuilt on the main thread with its name, message, stack and causes. */
function rebuild (e: ErrorText): Error {
  const err = new Error(e.message, e.cause === undefined ? undefined : { cause: rebuild(e.cause) })
  err.name = e.name
  if (e.stack !== undefined) err.stack = e.stack
  return err
}

/** One subtask of this peer and the worker it runs on. */
interface Placed {
  readonly vertex: JobVertex
  readonly subtask: number
  readonly worker: number
}

/**
 * Subtask k (counting this peer's subtasks of a vertex) of every vertex goes to worker
 * (first + k) mod size: Flink's slot sharing, so a pipeline keeps to one thread.
 */
function place (graph: JobGraph, runsHere: (v: JobVertex, s: number) => boolean, size: number, first: number): Placed[] {
  const placed: Placed[] = []
  for (const vertex of graph.vertices) {
    let k = 0
    for (let subtask = 0; subtask < vertex.parallelism; subtask++) {
      if (runsHere(vertex, subtask)) placed.push({ vertex, subtask, worker: (first + k++) % size })
    }
  }
  return placed
}

interface RunHandler {
  onMessage(worker: number, m: FromWorker): void
  onWorkerLost(worker: number, err: Error): void
}

export class TaskThreads {
  readonly size: number
  readonly #workers: (Worker | undefined)[]
  readonly #runs = new Map<number, { handler: RunHandler, workers: ReadonlySet<number> }>()
  /** Why a thread is being terminated (its exit then names it). */
  readonly #terminating = new Map<Worker, string>()
  readonly #cancelTimeoutMs: number
  /** Each thread's share of the column cache's bytes. */
  readonly #cacheBytes: number
  #runId = 0
  #stopped = false

  constructor (init: TaskThreadsInit = {}) {
    const size = init.threads ?? availableParallelism()
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`Task threads must be a positive integer, got ${size}`)
    this.size = size
    this.#workers = Array.from({ length: size }, () => undefined)
    this.#cancelTimeoutMs = init.cancelTimeoutMs ?? DEFAULT_CANCEL_TIMEOUT_MS
    this.#cacheBytes = Math.floor((init.segmentCacheBytes ?? DEFAULT_SEGMENT_CACHE_BYTES) / size)
  }

  #worker (index: number): Worker {
    let w = this.#workers[index]
    if (w !== undefined) return w
    // the compile cache this process uses (the CLI enables it), for the thread's runtime too:
    // its TypeScript is stripped and compiled once per version, not at every thread's start
    const cache = module.getCompileCacheDir?.()
    w = new Worker(WORKER_URL, { name: `meshflow-task-${index}`, workerData: { index, segmentCacheBytes: this.#cacheBytes }, ...(cache === undefined ? {} : { env: { ...process.env, NODE_COMPILE_CACHE: cache } }) })
    w.on('message', (m: FromWorker) => { this.#runs.get(m.runId)?.handler.onMessage(index, m) })
    const lost = (err: Error): void => {
      if (this.#workers[index] !== w) return
      this.#workers[index] = undefined
      log.error('task thread %d stopped: %s', index, err.message)
      for (const r of this.#runs.values()) if (r.workers.has(index)) r.handler.onWorkerLost(index, err)
    }
    w.on('error', err => { lost(err) })
    w.on('messageerror', err => { lost(new Error(`A message from task thread ${index} could not be read: ${errorMessage(err)}`)) })
    w.on('exit', code => {
      const why = this.#terminating.get(w)
      this.#terminating.delete(w)
      lost(new Error(why ?? `Task thread ${index} exited with code ${code}`))
    })
    this.#workers[index] = w
    return w
  }

  /** Terminates a thread that does not stop: its runs fail with `why`, the next run gets a new thread. */
  #terminate (index: number, why: string): void {
    const w = this.#workers[index]
    if (w === undefined || this.#terminating.has(w)) return
    log.error('%s', why)
    this.#terminating.set(w, why)
    // out of the pool at once: a run starting now gets a new thread, not this one
    this.#workers[index] = undefined
    const err = new Error(why)
    for (const r of [...this.#runs.values()]) if (r.workers.has(index)) r.handler.onWorkerLost(index, err)
    w.terminate().catch(() => {})
  }

  #post (index: number, m: ToWorker, transfer: readonly (MessagePort | ArrayBuffer)[] = []): void {
    if (this.#stopped) return // no new thread for a message once the pool is stopping
    this.#worker(index).postMessage(m, transfer as any)
  }

  /** Refs the workers while runs are under way, so an idle pool does not keep the process alive. */
  #refWorkers (): void {
    const busy = this.#runs.size > 0
    for (const w of this.#workers) {
      if (w === undefined) continue
      if (busy) w.ref()
      else w.unref()
    }
  }

  /**
   * Runs the subtasks `runsHere` selects on the pool and resolves when they have all
   * finished — as `runTasks` does on the calling thread, with the same errors.
   */
  async run (o: ThreadedRunOptions): Promise<JobExecutionResult> {
    if (this.#stopped) throw new Error('The task threads are stopped')
    const { graph, jobName } = o
    const started = performance.now()
    const runId = ++this.#runId
    const abort = new RunAbort(jobName, o.signal)
    const { fail } = abort
    o.channels.bind?.(fail, abort.signal)
    const edgeIndex = edgeIndexes(graph)
    const vertexById = new Map(graph.vertices.map(v => [v.id, v]))

    // runs spread over the pool: each starts at the next worker
    const placed = place(graph, o.runsHere, this.size, runId % this.size)
    const workerOf = new Map(placed.map(p => [subtaskKey(p.vertex.id, p.subtask), p.worker]))
    const subtasksOf = new Map<number, string[]>()
    for (const p of placed) {
      const list = subtasksOf.get(p.worker)
      if (list === undefined) subtasksOf.set(p.worker, [subtaskKey(p.vertex.id, p.subtask)])
      else list.push(subtaskKey(p.vertex.id, p.subtask))
    }
    const used = [...subtasksOf.keys()]
    const locations: [string, number][] = []
    for (const v of graph.vertices) {
      for (let s = 0; s < v.parallelism; s++) {
        const key = subtaskKey(v.id, s)
        locations.push([key, workerOf.get(key) ?? MAIN_THREAD])
      }
    }

    // splits once per peer, as the calling thread would list them
    const splits = new Map<string, SourceSplit[]>()
    for (const v of new Set(placed.map(p => p.vertex))) {
      if (v.source === undefined) continue
      try {
        splits.set(v.id, await v.source.source.createSplits(v.parallelism, splitContext(o.datasets, abort.signal)))
      } catch (err) {
        const head = v.operators[0]!
        abort.dispose()
        throw new JobExecutionError(jobName, new OperatorError(head.name, head.uid, err))
      }
    }

    // the pool may have stopped, or the run been cancelled, while the splits were listed
    if (this.#stopped) abort.fail(new Error('The task threads are stopped'))
    if (abort.signal.aborted) {
      abort.dispose()
      abort.throwIfAborted(o.channels)
    }

    // ports: one between each pair of workers of the run, one between each worker and this thread
    const links = new Map<number, { peer: number, port: MessagePort }[]>(used.map(w => [w, []]))
    for (let i = 0; i < used.length; i++) {
      for (let j = i + 1; j < used.length; j++) {
        const { port1, port2 } = new MessageChannel()
        links.get(used[i]!)!.push({ peer: used[j]!, port: port1 })
        links.get(used[j]!)!.push({ peer: used[i]!, port: port2 })
      }
    }
    const mainLinks = new Map<number, PortLink>()
    for (const w of used) {
      const { port1, port2 } = new MessageChannel()
      links.get(w)!.push({ peer: MAIN_THREAD, port: port2 })
      mainLinks.set(w, new PortLink(port1, fail))
    }

    // channels to other peers: relayed by this thread
    const outbound: Promise<void>[] = []
    const capacity = o.capacity * THREAD_CAPACITY_FACTOR
    /** The other ends of a subtask's channels over `edges`: the same one for a forward edge, else all. */
    const peersOf = (e: JobEdge, s: number, parallelism: number): number[] => e.partition === 'forward' ? [s] : Array.from({ length: parallelism }, (_, i) => i)
    for (const { vertex, subtask: s, worker } of placed) {
      const link = mainLinks.get(worker)!
      for (const e of vertex.outputs) {
        const index = edgeIndex.get(e)!
        for (const c of peersOf(e, s, e.to.parallelism)) {
          if (o.runsHere(e.to, c)) continue
          const to = o.channels.encodedWriter?.(e, index, s, c) ?? encodingWriter(o.channels.writer(e, index, s, c))
          outbound.push(relay(portSource(link.reader(channelId(index, s, c), capacity, BYTES_CODEC)), to, abort.signal))
        }
      }
      for (const e of vertex.inputs) {
        const index = edgeIndex.get(e)!
        for (const p of peersOf(e, s, e.from.parallelism)) {
          if (o.runsHere(e.from, p)) continue
          const from = o.channels.encodedReader?.(e, index, p, s) ?? encodingReader(o.channels.reader(e, index, p, s))
          void relay(from, portTarget(link.writer(channelId(index, p, s), capacity, BYTES_CODEC)), abort.signal) // the worker's tasks read it to its end before they finish
        }
      }
    }

    const tasks: TaskMetrics[] = []
    const pending = new Set(used)
    let allEnded!: () => void
    const ended = new Promise<void>(resolve => { allEnded = resolve })
    let deployed = 0
    let seq = 0
    const answers = new Map<number, { left: Set<number>, answers: FromWorker[], resolve: (a: FromWorker[]) => void }>()
    const ask = (m: (seq: number) => ToWorker): Promise<FromWorker[]> => {
      const id = ++seq
      const live = used.filter(w => pending.has(w))
      if (live.length === 0) return Promise.resolve([])
      return new Promise(resolve => {
        answers.set(id, { left: new Set(live), answers: [], resolve })
        for (const w of live) this.#post(w, m(id))
      })
    }
    const answered = (w: number, id: number, m: FromWorker): void => {
      const a = answers.get(id)
      if (a === undefined || !a.left.delete(w)) return
      a.answers.push(m)
      if (a.left.size === 0) {
        answers.delete(id)
        a.resolve(a.answers)
      }
    }
    const workerEnded = (w: number): void => {
      if (!pending.delete(w)) return
      // questions to it are answered by its end
      for (const [id, a] of answers) {
        if (a.left.delete(w) && a.left.size === 0) {
          answers.delete(id)
          a.resolve(a.answers)
        }
      }
      if (pending.size === 0) allEnded()
    }

    const handler: RunHandler = {
      onMessage: (w, m) => {
        switch (m.type) {
          case 'deployed':
            if (++deployed === used.length) o.checkpointing?.onDeployed?.(control)
            return
          case 'snapshot': {
            const v = vertexById.get(m.vertex)
            if (v !== undefined) o.checkpointing?.onSnapshot(v, m.subtask, m.checkpointId, m.snapshot)
            return
          }
          case 'triggered':
          case 'completed':
            answered(w, m.seq, m)
            return
          case 'done':
            tasks.push(...m.tasks)
            workerEnded(w)
            return
          case 'dataset-call':
            void answerDatasetCall(o.datasets, m.call, abort.signal).then(reply => { // never rejects: a failure is a reply
              if (pending.has(w)) this.#post(w, { type: 'dataset-reply', runId, reply })
            })
            return
          case 'failed':
            if (!m.cancelled || !abort.signal.aborted) fail(m.cancelled ? new JobCancelledError(jobName) : rebuild(m.error))
            workerEnded(w)
        }
      },
      onWorkerLost: (w, err) => {
        fail(new Error(`A task thread stopped while it ran subtasks of job '${jobName}': ${err.message}`, { cause: err }))
        workerEnded(w)
      }
    }
    const control = {
      trigger: async (trigger: CheckpointTrigger): Promise<TriggerAnswer> => {
        const replies = await ask(id => ({ type: 'trigger', runId, seq: id, trigger }))
        let accepted = true
        let lastCheckpointId = 0
        for (const r of replies) {
          if (r.type !== 'triggered') continue
          if (!r.accepted) accepted = false
          lastCheckpointId = Math.max(lastCheckpointId, r.lastCheckpointId)
        }
        return { accepted, lastCheckpointId }
      },
      notifyComplete: async (checkpointId: number): Promise<void> => {
        const replies = await ask(id => ({ type: 'complete', runId, seq: id, checkpointId }))
        for (const r of replies) {
          if (r.type === 'completed' && r.error !== undefined) {
            const err = rebuild(r.error)
            fail(err)
            throw err
          }
        }
      }
    }

    this.#runs.set(runId, { handler, workers: new Set(used) })
    this.#refWorkers()
    let watchdog: ReturnType<typeof setTimeout> | undefined
    const onAbort = (): void => {
      if (watchdog !== undefined) return
      for (const w of pending) this.#post(w, { type: 'cancel', runId, reason: errorMessage(abort.signal.reason) })
      watchdog = setTimeout(() => {
        for (const w of pending) this.#terminate(w, `Task thread ${w} did not stop within ${this.#cancelTimeoutMs} ms of job '${jobName}' ending: terminated`)
      }, this.#cancelTimeoutMs)
    }
    abort.signal.addEventListener('abort', onAbort, { once: true })
    try {
      for (const w of used) {
        const mine = subtasksOf.get(w)!
        const ports = links.get(w)!
        const message: RunMessage = {
          type: 'run',
          runId,
          module: o.module,
          args: o.args,
          parallelism: o.parallelism,
          maxParallelism: o.maxParallelism,
          jobId: o.jobId,
          jobName,
          batchSize: o.batchSize,
          capacity: o.capacity,
          subtasks: mine,
          locations,
          splits: [...splits],
          restore: o.restore === undefined ? [] : mine.flatMap(k => { const r = o.restore!.get(k); return r === undefined ? [] : [[k, r] as const] }),
          checkpointing: o.checkpointing !== undefined,
          datasets: o.datasets !== undefined,
          ...(o.datasetCatalog === undefined ? {} : { datasetCatalog: o.datasetCatalog }),
          memory: o.memory ?? {},
          links: ports
        }
        try {
          this.#post(w, message, ports.map(p => p.port))
        } catch (err) {
          // a worker that cannot start (or state that cannot cross): the run fails, and the
          // workers it started are cancelled; those it did not start have nothing to end
          for (const later of used.slice(used.indexOf(w))) workerEnded(later)
          fail(new Error(`The subtasks of job '${jobName}' could not be handed to task thread ${w}: ${errorMessage(err)}`, { cause: err }))
          break
        }
      }
      await ended
      // the workers are done, but the ends they sent may still be on their way through the
      // ports: the run is over once every outbound channel handed its end on (an aborted
      // run resolves them at once)
      await Promise.all(outbound)
    } finally {
      clearTimeout(watchdog)
      abort.signal.removeEventListener('abort', onAbort)
      abort.dispose()
      this.#runs.delete(runId)
      this.#refWorkers()
      for (const link of mainLinks.values()) link.close()
    }
    abort.throwIfAborted(o.channels)
    return { jobId: o.jobId, jobName, netRuntimeMs: performance.now() - started, tasks }
  }

  /**
   * Starts every thread of the pool now and has it load `modules` (URLs, such as the engine's
   * and connectors' entry points a job imports), so the first run does not wait for that:
   * a command that is about to submit a job overlaps it with its own start.
   */
  warm (modules: readonly string[] = []): void {
    for (let i = 0; i < this.size; i++) this.#post(i, { type: 'warm', modules })
    this.#refWorkers() // idle warm threads do not keep the process alive
  }

  /** Stops every worker (their runs fail). Safe to call twice. */
  async stop (): Promise<void> {
    this.#stopped = true
    const workers = this.#workers.splice(0, this.#workers.length, ...this.#workers.map(() => undefined))
    // runs still under way end now (their threads are going)
    const stopped = new Error('The task threads stopped')
    for (const r of [...this.#runs.values()]) for (const w of r.workers) r.handler.onWorkerLost(w, stopped)
    await Promise.all(workers.map(async w => { await w?.terminate() }))
  }
}
