/**
 * Jobs on a peer, composed from one component per role, built in dependency order:
 *
 * - `BlockStorage` (storage/): the block store and everything that keeps its blocks
 *   (service, fetcher, replication, scrubbing, garbage collection);
 * - `DataService` (mesh/): the network data channels between subtasks;
 * - `JobRegistry`: the jobs as the metadata log records them;
 * - `JobCode` and `JobGraphs`: a job's code by CID, and the graph built from it;
 * - `TaskManager`: this peer's subtasks; `CheckpointTriggers`: how barriers reach them;
 * - `JobCheckpoints` and `JobManager`: the leader's work;
 * - `JobRequests`: the job requests of `/meshflow/client/1`, done here or sent to the leader.
 *
 * The one cycle among them — this peer's TaskManager reports to its own JobManager when it
 * leads, and that JobManager triggers its checkpoints — is closed by the TaskManager's
 * three outbound callbacks, which go to `JobRequests`, built last.
 */
import { randomUUID } from 'node:crypto'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { SPILL_DIR } from '../runtime/spill/spill-files.ts'
import { logger } from '@libp2p/logger'
import { peerIdFromString } from '@libp2p/peer-id'
import type { Libp2p } from '@libp2p/interface'
import type { LogEntry } from '../../protocol/raft.ts'
import type { JobDefinition } from '../api/job.ts'
import type { ClientMessage, JobInfo } from '../../protocol/client.ts'
import { errorMessage } from '../../protocol/error-message.ts'
import { blockReferences, gcRoots } from './gc-roots.ts'
import { sendSubmission, submissionRequest } from './resubmission.ts'
import type { DatasetCommand } from '../../protocol/log.ts'
import type { DatasetDetail, DatasetInfo } from '../../protocol/client.ts'
import { DatasetCommits, type DatasetCommitOptions } from './dataset-commits.ts'
import { DatasetViews } from './dataset-views.ts'
import { PeerDatasets } from './peer-datasets.ts'
import type { JobDatasetsSource } from './job-dataset-view.ts'
import type { TaskMemory } from '../runtime/local-executor.ts'
import { BlockStorage, type BlockStorageInit } from '../storage/block-storage.ts'
import type { BlockStore } from '../storage/block-store.ts'
import type { BlockReplicator } from '../storage/replication.ts'
import type { BlockScrubber } from '../storage/block-scrubber.ts'
import type { PeerStore } from '../storage/peer-store.ts'
import { DataService } from '../mesh/data-service.ts'
import { JobCheckpoints } from './job-checkpoints.ts'
import { JobRegistry, TERMINAL_STATES, type JobCommand, type JobRecord } from './job-registry.ts'
import { JobManager } from './job-manager.ts'
import { TaskManager } from './task-manager.ts'
import { JobCode } from './job-code.ts'
import { JobGraphs } from './job-graphs.ts'
import { JobRequests } from './job-requests.ts'
import { CheckpointTriggers } from './checkpoint-triggers.ts'
import { bundleJob } from './job-bundle.ts'
import { BatchScheduler } from './batch-scheduler.ts'
import { RegionRunner } from './region-runner.ts'
import { RemoteError } from './errors.ts'
import { answerError, guarded } from './job-service-support.ts'
import type { FencingToken } from './raft/types.ts'

const log = logger('meshflow:cluster:jobs')
export interface JobServiceComponents {
  readonly selfId: string
  readonly host: Libp2p
  readonly store: PeerStore
  readonly dataDir: string
  readonly isLeader: () => boolean
  readonly leaderId: () => string | undefined
  /** Commits a command through this peer (it leads); the command is validated first. */
  readonly propose: (command: JobCommand | DatasetCommand) => Promise<unknown>
  /** This peer's Raft view, `(term, leaderId)`, for fencing; undefined while no leader is known. */
  readonly fencingToken: () => FencingToken | undefined
  /** Live peers, this one included. */
  readonly peers: () => readonly { id: string, labels: Readonly<Record<string, string>>, slots: number, startedAt: number }[]
  /** Which interrupted jobs a new JobManager resumes (see JobManagerInit). */
  readonly resumeInterrupted?: (job: Pick<JobRecord, 'id' | 'name'>) => boolean
  /** See JobManagerInit.ignorePlacement. */
  readonly ignorePlacement?: boolean
  /** See TaskManagerInit.threads. */
  readonly threads?: number
  /** See TaskThreadsInit.cancelTimeoutMs. */
  readonly taskCancelTimeoutMs?: number
  /** See TaskManagerInit.taskMemory (tasks spill to `<dataDir>/spill`). */
  readonly taskMemory?: number
  /** Garbage-collection grace and re-stamp age of blocks, and the scrub's pace (see PeerInit.storage). */
  readonly storage?: BlockStorageInit
  /** See PeerInit.segmentCacheBytes. */
  readonly segmentCacheBytes?: number
}

type Answer = ClientMessage

/** What a submission says besides the job's code. */
export interface SubmitOptions {
  readonly name: string
  readonly parallelism: number
  readonly maxParallelism?: number
  readonly args?: Readonly<Record<string, string>>
  /** Restore the job's state from this savepoint (`run --from-savepoint NAME`). */
  readonly fromSavepoint?: string
  /** With `fromSavepoint`: skip state of operators the job no longer has. */
  readonly allowNonRestoredState?: boolean
}

export class JobService {
  readonly #c: JobServiceComponents
  readonly registry = new JobRegistry()
  readonly storage: BlockStorage
  readonly data: DataService
  readonly #graphs: JobGraphs
  readonly #tasks: TaskManager
  readonly #checkpoints: JobCheckpoints
  readonly #manager: JobManager
  readonly #requests: JobRequests
  readonly #code: JobCode
  readonly #batch: BatchScheduler
  /** The catalog and manifests of this peer's datasets (what a job build, or a SQL session planning a query, reads). */
  readonly datasetsSource: () => JobDatasetsSource
  /** The datasets as this peer's jobs and in-process runs read them (its manifest and column caches). */
  readonly peerDatasets: PeerDatasets
  /** Each task's memory and spill folder, as this peer's jobs have them. */
  readonly taskMemory: TaskMemory
  readonly #regions: RegionRunner
  #started = false
  #stopped = false
  /** Set while the registry applies what this process found in its log (see `replayedThrough`). */
  #replaying = true
  /** The last log index this process found in its store on start. */
  #bootLastIndex = Number.POSITIVE_INFINITY

  constructor (components: JobServiceComponents) {
    this.#c = components
    const { selfId, host, isLeader, propose, fencingToken } = components
    const members = (): string[] => components.peers().map(p => p.id)
    this.storage = new BlockStorage({
      selfId,
      host,
      store: components.store,
      members,
      roots: () => this.gcRoots(),
      references: (_cid, bytes) => blockReferences(bytes)
    }, components.storage ?? {})
    const storage = this.storage
    const storeBlock = async (bytes: Uint8Array): Promise<string> => await storage.storeBlock(bytes)
    const fetchBlock = async (cid: string): Promise<Uint8Array> => await storage.fetchBlock(cid)
    this.data = new DataService(host)
    const code = this.#code = new JobCode({ dataDir: components.dataDir, leaderId: components.leaderId, members, fetchLarge: async (cid, o) => await storage.fetchLarge(cid, o) })
    const loadJob = async (job: Pick<JobRecord, 'codeCid' | 'codeHolders'>): ReturnType<JobCode['load']> => await code.load(job)
    // manifests and segments are immutable blocks: decoded once for all the jobs reading them
    const datasets = this.peerDatasets = new PeerDatasets({ catalog: () => this.registry.datasets, storage, members, commit: async (name, o) => await this.commitDataset(name, o) }, { segmentCacheBytes: components.segmentCacheBytes })
    const datasetsSource = this.datasetsSource = (): JobDatasetsSource => datasets.source()
    this.taskMemory = { taskMemory: components.taskMemory, spillDir: join(components.dataDir, SPILL_DIR) }
    const graphs = this.#graphs = new JobGraphs({ loadJob, datasets: datasetsSource })
    this.#tasks = new TaskManager({
      selfId,
      data: this.data,
      loadJob,
      fetchBlock,
      storeBlock,
      // the TaskManager's outbound calls: to the JobManager, here or on the leader
      report: async r => { await this.#requests.report(r) },
      ack: async a => await this.#requests.ack(a),
      decline: async d => { await this.#requests.decline(d) },
      moduleOf: job => code.moduleOf(job.codeCid),
      datasetsSource,
      datasets: job => datasets.forJob(job)
    }, {
      ...(components.threads === undefined ? {} : { threads: components.threads }),
      ...(components.taskCancelTimeoutMs === undefined ? {} : { cancelTimeoutMs: components.taskCancelTimeoutMs }),
      ...(components.taskMemory === undefined ? {} : { taskMemory: components.taskMemory }),
      ...(components.segmentCacheBytes === undefined ? {} : { segmentCacheBytes: components.segmentCacheBytes }),
      spillDir: join(components.dataDir, SPILL_DIR)
    })
    // a peer killed a moment ago is still "alive" until its heartbeats are missed (3 s),
    // but its connection is gone at once: never schedule (a restart) onto it
    const livePeers = (): ReturnType<JobServiceComponents['peers']> => components.peers().filter(p => p.id === selfId || this.#connected(p.id))
    this.#batch = new BatchScheduler({
      registry: this.registry,
      isLeader,
      propose,
      graphOf: async job => await graphs.graphOf(job),
      peers: livePeers,
      fetchBlock,
      holders: async (cids, o) => await storage.holders(cids, o),
      datasets: datasetsSource
    }, components.ignorePlacement === undefined ? {} : { ignorePlacement: components.ignorePlacement })
    this.#regions = new RegionRunner({
      selfId,
      registry: this.registry,
      loadJob,
      moduleOf: job => code.moduleOf(job.codeCid),
      threads: () => this.#tasks.threadPool(),
      fetchBlock,
      storeBlock,
      datasetsSource,
      datasets: job => datasets.forJob(job),
      memory: { taskMemory: components.taskMemory, spillDir: join(components.dataDir, SPILL_DIR) },
      report: async r => { await this.#requests.regionReport(r) }
    })
    const triggers = new CheckpointTriggers({ selfId, host, isLeader, fencingToken, tasks: this.#tasks })
    this.#checkpoints = new JobCheckpoints({
      registry: this.registry,
      isLeader,
      propose,
      graphOf: async job => await graphs.graphOf(job),
      storeBlock,
      triggerOn: async (peer, request) => await triggers.send(peer, request)
    })
    this.#manager = new JobManager({
      selfId,
      registry: this.registry,
      isLeader,
      propose,
      loadJob,
      replicateCode: async (cid, from) => { await storage.replicateLarge(cid, { from }) },
      graphOf: async job => await graphs.graphOf(job),
      builtGraph: (jobId, graph) => { if (graph === undefined) graphs.forget(jobId); else graphs.seed(jobId, graph) },
      peers: livePeers,
      checkpoints: this.#checkpoints,
      fetchBlock,
      holders: async (cids, o) => await storage.holders(cids, o),
      deployedHere: (jobId, attempt) => this.#tasks.deployed(jobId, attempt)
    }, {
      ...(components.resumeInterrupted === undefined ? {} : { resumeInterrupted: components.resumeInterrupted }),
      ...(components.ignorePlacement === undefined ? {} : { ignorePlacement: components.ignorePlacement })
    })
    const holders = async (cids: readonly string[]): Promise<Map<string, string[]>> => await storage.holders(cids)
    this.#requests = new JobRequests({
      selfId,
      host,
      registry: this.registry,
      isLeader,
      leaderId: components.leaderId,
      fencingToken,
      manager: this.#manager,
      checkpoints: this.#checkpoints,
      tasks: this.#tasks,
      datasets: new DatasetCommits({ registry: this.registry, propose, fetchBlock, holders }),
      datasetViews: new DatasetViews({ registry: this.registry, fetchBlock, holders }),
      batch: this.#batch
    })
    // what the log says is acted on here; a bug in acting must not escape into the code
    // that applies the log (an EventTarget rethrows a listener's error as uncaught)
    this.registry.on('deployed', guarded('deploying', job => {
      // an attempt in the log this process started with was deployed by an earlier process
      // of this peer, and its subtasks died with it: the JobManager restarts the job
      if (!this.#replaying) this.#tasks.deploy(job)
      this.#checkpoints.sync()
      if (job.batch !== undefined && isLeader()) void this.#batch.schedule() // its first regions; logs its own failures
    }))
    this.registry.on('region-deployed', guarded('deploying a region of', e => { if (!this.#replaying) this.#regions.deploy(e) }))
    this.registry.on('restarting', guarded('restarting', job => {
      this.#tasks.cancel(job.id, `Job '${job.name}' is restarting`)
      this.#checkpoints.sync()
    }))
    this.registry.on('checkpoint', guarded('committing a checkpoint of', e => { this.#tasks.checkpointCompleted(e) }))
    this.registry.on('ended', guarded('ending', job => {
      this.#graphs.forget(job.id)
      this.#tasks.cancel(job.id, `Job '${job.name}' ended: ${job.state}`)
      this.#tasks.forget(job.id)
      this.#regions.cancel(job.id, `Job '${job.name}' ended: ${job.state}`)
      this.#batch.forget(job.id)
      // its slots are free: regions of batch jobs waiting for one
      if (isLeader()) void this.#batch.schedule() // logs its own failures
      this.data.forgetJob(job.id)
      this.#checkpoints.sync()
    }))
  }

  /** This peer's block store. */
  get blocks (): BlockStore { return this.storage.blocks }
  /** Stores blocks on their replica peers. */
  get replicator (): BlockReplicator { return this.storage.replicator }
  /** Re-hashes the local blocks and replaces corrupt copies (its counts are in `status`). */
  get scrubber (): BlockScrubber { return this.storage.scrubber }

  async start (): Promise<void> {
    if (this.#started) return
    this.#started = true
    // spill files of tasks that a crash or kill left behind
    await rm(join(this.#c.dataDir, SPILL_DIR), { recursive: true, force: true })
    this.#requests.start()
    this.#manager.start()
    await this.storage.start()
    await this.data.start()
  }

  /**
   * What this peer's garbage collector keeps (DESIGN §6): the code of jobs not ended, the
   * last RETAINED_CHECKPOINTS checkpoints of each such job and what its attempt restores,
   * every savepoint, and the manifest of every retained dataset version (the last ones and
   * those running jobs read), whose segments the collector reaches through `references`.
   */
  gcRoots (): string[] {
    return gcRoots(this.registry)
  }


  /** Runs the garbage collector now (tests, and `meshflow node` maintenance). */
  async collectGarbage (options: { signal?: AbortSignal } = {}): ReturnType<BlockStorage['collectGarbage']> {
    return await this.storage.collectGarbage(options)
  }

  async stop (): Promise<void> {
    if (this.#stopped) return
    this.#stopped = true
    this.#requests.stop()
    this.#manager.stop()
    this.#checkpoints.stop()
    await this.#regions.stop()
    await this.#tasks.stop()
    await this.data.stop()
    await this.storage.stop()
  }

  #connected (peer: string): boolean {
    try {
      return this.#c.host.getConnections(peerIdFromString(peer)).some(c => c.status === 'open')
    } catch {
      return false
    }
  }

  /** Applies a committed log entry; the leader then checks whether jobs have finished. */
  apply (entry: LogEntry): void {
    this.#replaying = entry.index <= this.#bootLastIndex
    try {
      this.registry.apply(entry)
    } finally {
      this.#replaying = false
    }
    // a new leader's first entry applied: the registry now holds every earlier entry (a
    // restarted sole voter applies its whole log only now), so take the jobs over again
    if (entry.type === 'noop' && this.#c.isLeader()) {
      this.onLeader()
      return
    }
    if (entry.type === 'command' && this.#c.isLeader()) {
      this.#manager.checkFinished().catch(err => { log('finishing jobs: %s', errorMessage(err)) })
      // regions that finished (or must run again) may make others ready: schedule once the
      // change is applied — a report's own scheduling can run before its entry is applied
      if ((entry.command as { op?: unknown } | undefined)?.op === 'batch-regions') void this.#batch.schedule() // logs its own failures
    }
  }

  /**
   * The Raft log is loaded: entries up to `lastIndex` (and the snapshot restored with it)
   * were written before this process started, so applying them deploys nothing here.
   */
  replayedThrough (lastIndex: number): void {
    this.#bootLastIndex = lastIndex
    this.#replaying = false
  }

  /** The failure detector declared `peer` lost. */
  peerLost (peer: string): void {
    this.#manager.peerLost(peer).catch(err => { log('failing the jobs of lost peer %s: %s', peer, errorMessage(err)) })
    void this.#batch.peerLost(peer) // logs its own failures
  }

  /**
   * A new leader picks up jobs whose peers all finished while there was none, restarts jobs
   * that lost peers, and coordinates the running jobs' checkpoints.
   */
  onLeader (): void {
    this.#manager.checkFinished().catch(err => { log('finishing jobs: %s', errorMessage(err)) })
    this.#manager.takeOver().catch(err => { log('taking over jobs: %s', errorMessage(err)) })
    void this.#batch.takeOver() // logs its own failures
    this.#checkpoints.sync()
  }

  /** This peer stopped leading: its checkpoint coordinators stop. */
  onFollower (): void {
    this.#checkpoints.sync()
  }

  /** Answers a job request, or returns undefined when `m` is not one (see JobRequests.answer). */
  async answer (m: ClientMessage, options: { signal?: AbortSignal | undefined, from?: string | undefined } = {}): Promise<Answer | undefined> {
    return await this.#requests.answer(m, options)
  }

  /**
   * Submits a job from this peer: bundles the module, stores its code here and asks the
   * JobManager to run it; resolves with the job id once the job is recorded.
   */
  async submit (path: string, options: SubmitOptions): Promise<string> {
    const bundle = await bundleJob(path)
    // the code is stored here and on R peers, so the job restarts wherever this peer is gone
    const cid = await this.storage.putLarge(new TextEncoder().encode(bundle.code))
    return await this.#submitCode(cid.toString(), options)
  }

  /**
   * Submits a job whose definition lives in this process (`StreamEnvironment.execute`): its
   * code cannot travel, so every subtask must run on this peer — a mesh of one. The block
   * stored as its code only names it.
   */
  async submitDefinition (definition: JobDefinition, options: SubmitOptions): Promise<string> {
    const cid = (await this.storage.putLarge(new TextEncoder().encode(`meshflow in-process job ${randomUUID()}`))).toString()
    this.#code.register(cid, definition)
    return await this.#submitCode(cid, options)
  }

  /** Starts this peer's task threads now, loading `modules` (URLs) in each: see TaskThreads.warm. */
  warmThreads (modules: readonly string[]): void { this.#tasks.warmThreads(modules) }

  /** Submits stored code; its id is chosen here, so a repeat after a leadership change is safe (resubmission.ts). */
  async #submitCode (cid: string, options: SubmitOptions): Promise<string> {
    const request = submissionRequest(cid, options, this.#c.selfId)
    return await sendSubmission(async () => {
      const answer = await this.answer(request)
      if (answer?.type === 'submit-job-response') return answer.jobId
      throw answerError(answer, 'a submission')
    })
  }

  /**
   * Takes a savepoint of a running job through the JobManager; with `stop` the job ends
   * once the savepoint completed (`'drain'` fires every event-time window first).
   */
  async savepoint (jobId: string, name: string, options: { stop?: 'drain' | 'no-drain' } = {}): Promise<{ name: string, checkpointId: number, cid: string }> {
    const answer = await this.answer({ type: 'trigger-savepoint', id: 0, jobId, name, ...(options.stop === undefined ? {} : { stop: options.stop }) })
    if (answer?.type === 'savepoint-response') return { name: answer.name, checkpointId: answer.checkpointId, cid: answer.cid }
    throw answerError(answer, 'a savepoint')
  }

  /** Deletes a savepoint through the JobManager (its blocks become garbage). */
  async deleteSavepoint (name: string): Promise<void> {
    const answer = await this.answer({ type: 'delete-savepoint', id: 0, name })
    if (answer?.type !== 'delete-savepoint-response') throw answerError(answer, 'a savepoint deletion')
  }

  /** Every dataset of the mesh (`meshflow datasets --json`). */
  async datasets (): Promise<DatasetInfo[]> {
    const answer = await this.answer({ type: 'datasets-request', id: 0 })
    if (answer?.type === 'datasets-response') return [...answer.datasets]
    throw answerError(answer, 'a datasets request')
  }

  /** One dataset in detail (`meshflow dataset show NAME --json`). */
  async showDataset (name: string): Promise<DatasetDetail> {
    const answer = await this.answer({ type: 'dataset-show', id: 0, name })
    if (answer?.type === 'dataset-show-response') return answer.dataset
    throw answerError(answer, 'a dataset show')
  }

  /** Commits a stored manifest as the next version of a dataset, through the JobManager. */
  async commitDataset (name: string, options: DatasetCommitOptions): Promise<{ name: string, version: number, cid: string }> {
    const answer = await this.answer({
      type: 'dataset-commit', id: 0, name, manifestCid: options.manifestCid,
      ...(options.expectedVersion === undefined ? {} : { expectedVersion: options.expectedVersion }),
      ...(options.mode === undefined ? {} : { mode: options.mode }),
      ...(options.commitId === undefined ? {} : { commitId: options.commitId })
    })
    if (answer?.type === 'dataset-commit-response') return { name: answer.name, version: answer.version, cid: answer.cid }
    throw answerError(answer, 'a dataset commit')
  }

  /** Drops a dataset through the JobManager (its blocks become garbage). */
  async dropDataset (name: string): Promise<void> {
    const answer = await this.answer({ type: 'dataset-drop', id: 0, name })
    if (answer?.type !== 'dataset-drop-response') throw answerError(answer, 'a dataset drop')
  }

  /**
   * Records the job's sources read: of a batch job, every region's (from the log); else this
   * peer's source subtasks' (its attempts that finished here).
   */
  sourceRecords (jobId: string): number {
    // a batch job's regions report the rows their sources read to the log (each region's last run)
    const batch = this.registry.job(jobId)?.batch
    if (batch !== undefined) return batch.regions.reduce((n, r) => n + r.recordsIn, 0)
    return this.#tasks.sourceRecords(jobId)
  }

  /** What this peer's subtasks of the job did in the attempt that finished here (metrics). */
  localResult (jobId: string): ReturnType<TaskManager['result']> { return this.#tasks.result(jobId) ?? this.#regions.result(jobId) }

  /** Jobs with subtasks running on this peer now (a cancelled job's until they have stopped). */
  runningHere (): string[] { return this.#tasks.runningJobs }

  /** The error a subtask of the job failed with on this peer, if one did (the latest). */
  localFailure (jobId: string): unknown { return this.#tasks.failure(jobId) ?? this.#regions.failure(jobId) }

  /** Resolves when the job has finished, failed or been cancelled. */
  async result (jobId: string): Promise<{ state: string, error: string | undefined }> {
    const answer = await this.#requests.await(0, jobId)
    if (answer.type !== 'job-result') throw new RemoteError('internal', `Unexpected answer ${answer.type}`, false)
    return { state: answer.state, error: answer.error }
  }

  /** Cancels a job through the JobManager; resolves with the job's state. */
  async cancel (jobId: string): Promise<string> {
    const answer = await this.answer({ type: 'cancel-job', id: 0, jobId })
    if (answer?.type === 'cancel-job-response') return answer.state
    throw answerError(answer, 'a cancel')
  }

  /** Every job, in the shape of `meshflow jobs --json` (see JobRequests.jobs). */
  jobs (): JobInfo[] {
    return this.#requests.jobs()
  }
}
