/**
 * Runs the subtasks of a job graph in this process (`runTasks`): in-memory channels with
 * credit-based flow control between tasks, one async loop per task. The first error of
 * any task (or a timer callback) cancels the others and fails the job with an error that
 * names the operator.
 */
import type { SourceReaderContext, SourceSplit, SplitContext } from '../api/source.ts'
import type { DatasetAccess } from '../api/dataset-access.ts'
import type { JobEdge, JobGraph, JobVertex } from '../graph/job-graph.ts'
import { normalizeKey } from '../graph/key-groups.ts'
import { createOutput } from './chain-output.ts'
import { JobExecutionError, OperatorError } from './errors.ts'
import { RunAbort } from './run-abort.ts'
import { InputGate, type GateInput } from './input-gate.ts'
import { LocalChannel, DEFAULT_CHANNEL_CAPACITY } from './local-channel.ts'
import type { ChannelReader, ChannelWriter, EncodedChannelReader, EncodedChannelWriter } from './channel.ts'
import { SourceOperator } from './operators/source-operator.ts'
import { ProcessingTimeService } from './processing-time-service.ts'
import { DEFAULT_BATCH_SIZE, RecordWriter, type PartitionerSpec } from './record-writer.ts'
import { NO_TIMESTAMP } from './stream-element.ts'
import type { StreamOperator } from './stream-operator.ts'
import { StreamTask, type TaskCheckpointHooks } from './stream-task.ts'
import { FINAL_CHECKPOINT_ID, type CheckpointTrigger, type OperatorSnapshot, type RestoredOperatorState } from './checkpoint.ts'
import { subtaskKey } from './checkpoint-manifest.ts'
import { DEFAULT_TASK_MEMORY } from './spill/memory-size.ts'

export interface TaskMetrics {
  /** Id of the task's vertex (the id of its head operator). */
  readonly vertexId: string
  /** Name of the vertex's head operator (not necessarily unique). */
  readonly vertex: string
  readonly subtask: number
  /** True for a source task: `recordsIn` counts what it read. */
  readonly source: boolean
  readonly recordsIn: number
  /** Records sent to other tasks (a broadcast record counts once per receiver). */
  readonly recordsOut: number
  /** Bytes its operators spilled to disk past their memory budget (0: none). */
  readonly spilledBytes?: number
}

export interface JobExecutionResult {
  readonly jobId: string
  readonly jobName: string
  readonly netRuntimeMs: number
  readonly tasks: readonly TaskMetrics[]
  /** Times the job restarted after a failure (jobs with checkpoints). */
  readonly restarts?: number
  /** Checkpoints completed (jobs with checkpoints; the final one included). */
  readonly checkpoints?: number
}

/**
 * Where the two ends of each channel come from. The in-process runtime makes one
 * LocalChannel per (edge, producer, consumer); the mesh makes network channels for pairs
 * on different peers. `release` wakes every writer waiting for credit once the job ends;
 * `failure` is why this process's subtasks failed (not given when they finished or were
 * cancelled), for channels that can tell the other end.
 */
export interface ChannelProvider {
  /** Called once before any channel is made: how a channel reports a failure, and the job's signal. */
  bind?(fail: (err: unknown) => void, signal: AbortSignal): void
  writer(edge: JobEdge, edgeIndex: number, producer: number, consumer: number): ChannelWriter
  reader(edge: JobEdge, edgeIndex: number, producer: number, consumer: number): ChannelReader
  /**
   * A channel to another peer whose elements are bytes already (made on a task thread):
   * optional, for providers with network channels, so a relay never decodes them.
   */
  encodedWriter?(edge: JobEdge, edgeIndex: number, producer: number, consumer: number): EncodedChannelWriter
  /** A channel from another peer that hands on its elements' bytes (see `encodedWriter`). */
  encodedReader?(edge: JobEdge, edgeIndex: number, producer: number, consumer: number): EncodedChannelReader
  release(failure?: unknown): void
}

/** Gives both ends of a channel the same in-memory LocalChannel. */
export class LocalChannelProvider implements ChannelProvider {
  readonly #capacity: number
  readonly #channels = new Map<string, LocalChannel>()
  constructor (capacity = DEFAULT_CHANNEL_CAPACITY) { this.#capacity = capacity }

  #get (edgeIndex: number, producer: number, consumer: number): LocalChannel {
    const key = `${edgeIndex}:${producer}:${consumer}`
    let ch = this.#channels.get(key)
    if (ch === undefined) {
      ch = new LocalChannel({ capacity: this.#capacity })
      this.#channels.set(key, ch)
    }
    return ch
  }

  writer (_edge: JobEdge, edgeIndex: number, producer: number, consumer: number): ChannelWriter { return this.#get(edgeIndex, producer, consumer) }
  reader (_edge: JobEdge, edgeIndex: number, producer: number, consumer: number): ChannelReader { return this.#get(edgeIndex, producer, consumer) }
  release (): void { for (const ch of this.#channels.values()) ch.release() }
}

/** Whether a process's sources took a checkpoint trigger (see JobTasksControl.trigger). */
export interface TriggerAnswer {
  readonly accepted: boolean
  readonly lastCheckpointId: number
}

/** What a running job's checkpoint coordinator can ask of the subtasks in this process. */
export interface JobTasksControl {
  /**
   * Injects a barrier at this process's source subtasks. `accepted` is false when one of
   * them cannot take it (its input ended, or it saw a higher id: `lastCheckpointId`).
   */
  trigger(trigger: CheckpointTrigger): TriggerAnswer | Promise<TriggerAnswer>
  /** A checkpoint completed: operators commit; resolves when they have. */
  notifyComplete(checkpointId: number): Promise<void>
}

/** Checkpointing of a job run (see checkpoint.ts and checkpoint-coordinator.ts). */
export interface RunTasksCheckpointing {
  /** A subtask's snapshot, to upload and acknowledge (asynchronously). */
  onSnapshot(vertex: JobVertex, subtask: number, checkpointId: number, snapshot: Map<string, OperatorSnapshot>): void
  /** Receives the control handle once every subtask of this process is deployed. */
  onDeployed?(control: JobTasksControl): void
}

export interface RunTasksOptions {
  readonly jobId: string
  readonly jobName: string
  readonly batchSize?: number
  readonly channels: ChannelProvider
  /** Which subtasks run in this process (default: all). */
  readonly runsHere?: (vertex: JobVertex, subtask: number) => boolean
  readonly signal?: AbortSignal
  readonly checkpointing?: RunTasksCheckpointing
  /** Restored state by `subtaskKey(vertex, subtask)`, then operator id (a job may restore without taking checkpoints). */
  readonly restore?: ReadonlyMap<string, ReadonlyMap<string, RestoredOperatorState>>
  /** A source vertex's splits by vertex id, listed already (default: the source lists them here). */
  readonly splits?: ReadonlyMap<string, readonly SourceSplit[]>
  /** The mesh's datasets, when the job runs on a peer: handed to sources, sinks and operators. */
  readonly datasets?: DatasetAccess
  /** Each task's memory budget and where its operators spill (see TaskMemory). */
  readonly memory?: TaskMemory
}

/**
 * The memory budget of every task of a run. As Flink's managed memory of a slot, it is what
 * one slot holds — subtask k of every vertex that runs here, which all run at once in a
 * pipelined run — and it is split evenly between the operators of the job's vertices that
 * hold their input (`managedMemory`): each gets `taskMemory / n` for the n such operators
 * of the vertices deployed in the run, and spills past it. A slot then holds at most
 * `taskMemory`, a run at most `taskMemory` × its parallelism (not × its tasks: a sort and a
 * grouping fed by one source at p=2 are four tasks that all hold at once).
 */
export interface TaskMemory {
  /** Bytes per slot (default DEFAULT_TASK_MEMORY, 256 MiB). */
  readonly taskMemory?: number | undefined
  /** Where operators spill (default: the OS temp dir). */
  readonly spillDir?: string | undefined
}

/**
 * Every edge's index, stable: the same on every peer and thread that builds the same graph
 * (channel keys and ids are made of it).
 */
export function edgeIndexes (graph: JobGraph): Map<JobEdge, number> {
  const index = new Map<JobEdge, number>()
  for (const v of graph.vertices) for (const e of v.outputs) index.set(e, index.size)
  return index
}

/**
 * Runs the subtasks of `graph` that `runsHere` selects, connected through `channels`, and
 * resolves when they have all finished (rejects with a JobExecutionError naming the
 * operator on the first failure, or a JobCancelledError when `signal` aborts).
 */
export async function runTasks (graph: JobGraph, options: RunTasksOptions): Promise<JobExecutionResult> {
  const { jobId, jobName, channels } = options
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE
  const runsHere = options.runsHere ?? (() => true)
  const started = performance.now()
  const abort = new RunAbort(jobName, options.signal)
  const { fail } = abort

  channels.bind?.(fail, abort.signal)
  const checkpointing = options.checkpointing
  let finalCompleted!: () => void
  let finalFailed!: (err: unknown) => void
  const finalPromise = new Promise<void>((resolve, reject) => { finalCompleted = resolve; finalFailed = reject })
  finalPromise.catch(() => {})
  abort.signal.addEventListener('abort', () => { finalFailed(abort.signal.reason) }, { once: true })
  const edgeIndex = edgeIndexes(graph)

  // splits first: a source that cannot list its splits fails the job before any reader exists
  const splitsOf = new Map<JobVertex, SourceSplit[]>()
  for (const vertex of graph.vertices) {
    if (vertex.source === undefined) continue
    if (![...Array(vertex.parallelism).keys()].some(s => runsHere(vertex, s))) continue
    const listed = options.splits?.get(vertex.id)
    if (listed !== undefined) {
      splitsOf.set(vertex, [...listed])
      continue
    }
    try {
      splitsOf.set(vertex, await vertex.source.source.createSplits(vertex.parallelism, splitContext(options.datasets, abort.signal)))
    } catch (err) {
      const head = vertex.operators[0]!
      abort.dispose()
      throw new JobExecutionError(jobName, new OperatorError(head.name, head.uid, err))
    }
  }
  const tasks: StreamTask[] = []
  const memoryShare: MemoryShare = { holders: new Map(), perOperator: options.memory?.taskMemory ?? DEFAULT_TASK_MEMORY }
  try {
    for (const vertex of graph.vertices) {
      const splits = splitsOf.get(vertex) ?? []
      for (let s = 0; s < vertex.parallelism; s++) {
        if (!runsHere(vertex, s)) continue
        const restore = options.restore?.get(subtaskKey(vertex.id, s))
        const restoredSplits = vertex.source === undefined ? undefined : restore?.get(vertex.operators[0]!.id)?.list as SourceSplit[] | undefined
        const hooks: TaskCheckpointHooks | undefined = checkpointing === undefined
          ? undefined
          : { onSnapshot: (id, snapshot) => { checkpointing.onSnapshot(vertex, s, id, snapshot) }, finalCompleted: finalPromise }
        tasks.push(deployTask(vertex, s, {
          jobId, jobName, batchSize, channels, edgeIndex, signal: abort.signal, fail,
          checkpointing: checkpointing !== undefined,
          ...(options.datasets === undefined ? {} : { datasets: options.datasets }),
          memory: options.memory ?? {},
          memoryShare,
          splits: restoredSplits ?? splits.filter((_, i) => i % vertex.parallelism === s),
          ...(hooks === undefined ? {} : { hooks }),
          ...(restore === undefined ? {} : { restore })
        }))
      }
    }
    let holders = 0
    for (const n of memoryShare.holders.values()) holders += n
    memoryShare.perOperator = Math.floor((options.memory?.taskMemory ?? DEFAULT_TASK_MEMORY) / Math.max(1, holders))
  } catch (err) {
    // nothing runs yet: release the readers of the tasks already made
    await Promise.allSettled(tasks.map(t => t.dispose()))
    abort.dispose()
    throw new JobExecutionError(jobName, err)
  }

  checkpointing?.onDeployed?.({
    trigger: (trigger) => {
      let accepted = true
      let lastCheckpointId = 0
      for (const t of tasks) {
        // a finished source has nothing to snapshot: its final state stands in for it
        if (!t.isSource || t.inputEnded) continue
        if (!t.triggerCheckpoint(trigger)) accepted = false
        lastCheckpointId = Math.max(lastCheckpointId, t.lastCheckpointId)
      }
      return { accepted, lastCheckpointId }
    },
    notifyComplete: async (checkpointId) => {
      if (checkpointId === FINAL_CHECKPOINT_ID) {
        // tasks waiting for the final checkpoint commit themselves, in their own loop
        finalCompleted()
        return
      }
      try {
        await Promise.all(tasks.map(t => t.notifyCheckpointComplete(checkpointId)))
      } catch (err) {
        fail(err)
        throw err
      }
    }
  })
  const runs = tasks.map(t => t.run().catch(err => { fail(err) }))
  await Promise.all(runs)
  abort.dispose()
  abort.throwIfAborted(channels)
  return {
    jobId,
    jobName,
    netRuntimeMs: performance.now() - started,
    tasks: tasks.map(t => ({
      vertexId: t.vertexId, vertex: t.name, subtask: t.subtaskIndex, source: t.isSource, recordsIn: t.recordsIn, recordsOut: t.recordsOut, spilledBytes: t.spilledBytes
    }))
  }
}

interface DeployContext {
  readonly jobId: string
  readonly jobName: string
  readonly batchSize: number
  readonly channels: ChannelProvider
  readonly edgeIndex: ReadonlyMap<JobEdge, number>
  readonly signal: AbortSignal
  readonly fail: (err: unknown) => void
  readonly splits: SourceSplit[]
  readonly checkpointing: boolean
  readonly hooks?: TaskCheckpointHooks
  readonly restore?: ReadonlyMap<string, RestoredOperatorState>
  readonly datasets?: DatasetAccess
  readonly memory: TaskMemory
  readonly memoryShare: MemoryShare
}

/**
 * Each managed operator's share of the slot memory (see TaskMemory): the managed operators
 * are counted per vertex while tasks are deployed, the share set once all are (before any
 * runs; operators read it through `context.memoryBudget`).
 */
interface MemoryShare {
  /** Operators holding their input, by vertex id. */
  readonly holders: Map<string, number>
  perOperator: number
}

/** What a source lists its splits with. */
export function splitContext (datasets: DatasetAccess | undefined, signal: AbortSignal): SplitContext {
  return datasets === undefined ? { signal } : { datasets, signal }
}

function partitionerOf (edge: JobEdge): PartitionerSpec {
  switch (edge.partition) {
    case 'hash': {
      const select = edge.keySelector!
      return { kind: 'hash', key: select, maxParallelism: edge.to.maxParallelism }
    }
    case 'forward': return { kind: 'forward' }
    case 'broadcast': return { kind: 'broadcast' }
    case 'rebalance': return { kind: 'rebalance' }
  }
}

function deployTask (vertex: JobVertex, subtask: number, d: DeployContext): StreamTask {
  const writersOf = new Map<JobEdge, RecordWriter>()
  for (const e of vertex.outputs) {
    const index = d.edgeIndex.get(e)!
    const targets = e.partition === 'forward'
      ? [d.channels.writer(e, index, subtask, subtask)]
      : Array.from({ length: e.to.parallelism }, (_, c) => d.channels.writer(e, index, subtask, c))
    writersOf.set(e, new RecordWriter(targets, partitionerOf(e), d.batchSize))
  }
  const writers = [...writersOf.values()]
  let task: StreamTask | undefined
  const processingTime = new ProcessingTimeService({
    onError: d.fail,
    afterCallback: () => { task?.afterCallback(d.fail) }
  })

  const ops = new Map<string, StreamOperator>()
  for (const node of vertex.operators) {
    const isSourceHead = vertex.source !== undefined && node === vertex.operators[0]
    try {
      ops.set(node.id, isSourceHead ? new SourceOperator(vertex.source!.watermarks) : node.factory!())
    } catch (err) {
      throw new OperatorError(node.name, node.uid, err)
    }
  }
  // the slot's budget is split between the operators of every vertex that hold their input
  d.memoryShare.holders.set(vertex.id, [...ops.values()].filter(op => op.managedMemory).length)
  const share = d.memoryShare
  for (const node of vertex.operators) {
    const side = new Map<string, RecordWriter[]>()
    const main: RecordWriter[] = []
    for (const e of vertex.outputs) {
      if (e.fromOperator !== node) continue
      const w = writersOf.get(e)!
      if (e.tagId === undefined) main.push(w)
      else {
        const list = side.get(e.tagId)
        if (list === undefined) side.set(e.tagId, [w])
        else list.push(w)
      }
    }
    const op = ops.get(node.id)!
    op.setup({
      jobName: d.jobName,
      jobId: d.jobId,
      operatorId: node.id,
      operatorName: node.name,
      operatorUid: node.uid,
      subtaskIndex: subtask,
      parallelism: vertex.parallelism,
      maxParallelism: vertex.maxParallelism,
      signal: d.signal,
      processingTime,
      checkpointing: d.checkpointing,
      ...(d.datasets === undefined ? {} : { datasets: d.datasets }),
      get memoryBudget () { return share.perOperator },
      ...(d.memory.spillDir === undefined ? {} : { spillDir: d.memory.spillDir }),
      outputReady: async () => { await task?.outputReady() },
      keySelectors: node.keySelectors?.map(select => (value: unknown) => normalizeKey(select(value)))
    }, createOutput({ chained: node.chained.map(n => ops.get(n.id)!), writers: main, side }))
  }
  const operators = vertex.operators.map(n => ops.get(n.id)!)

  let gate: InputGate | undefined
  if (vertex.inputs.length > 0) {
    const inputs: GateInput[] = []
    for (const e of vertex.inputs) {
      const index = d.edgeIndex.get(e)!
      for (let p = 0; p < e.from.parallelism; p++) {
        if (e.partition === 'forward' && p !== subtask) continue
        inputs.push({ reader: d.channels.reader(e, index, p, subtask), inputIndex: e.inputIndex })
      }
    }
    gate = new InputGate(inputs)
  }

  let source
  if (vertex.source !== undefined) {
    const head = operators[0]!
    const readerContext: SourceReaderContext = {
      subtaskIndex: subtask,
      parallelism: vertex.parallelism,
      signal: d.signal,
      checkpointing: d.checkpointing,
      output: (tag, value) => { head.output.collectSide(tag.id, value, NO_TIMESTAMP) },
      splitAdded: id => { task?.splitAdded(id) },
      splitFinished: id => { task?.splitFinished(id) },
      ...(d.datasets === undefined ? {} : { datasets: d.datasets })
    }
    source = {
      reader: vertex.source.source.createReader(readerContext),
      splits: d.splits,
      idleTimeoutMs: vertex.source.watermarks?.idleTimeoutMs
    }
  }

  task = new StreamTask({
    vertexId: vertex.id,
    name: vertex.name,
    subtaskIndex: subtask,
    operators,
    writers,
    processingTime,
    signal: d.signal,
    batchSize: d.batchSize,
    ...(gate === undefined ? {} : { gate }),
    ...(source === undefined ? {} : { source }),
    ...(d.hooks === undefined ? {} : { checkpoints: d.hooks }),
    ...(d.restore === undefined ? {} : { restore: d.restore })
  })
  return task
}
