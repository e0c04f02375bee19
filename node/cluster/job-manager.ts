/**
 * The JobManager: the work of the Raft leader for jobs (DESIGN §5, §6). It checks and
 * schedules submitted jobs and records them in the metadata log, records which peers
 * finished their subtasks, and decides when a job has finished, failed or been cancelled.
 * A job that takes checkpoints and loses a subtask (a task fails, a TaskManager is lost)
 * restarts: RESTARTING stops the attempt everywhere, and after the restart strategy's delay
 * `restart-job` deploys the next attempt on live peers, restoring the latest completed
 * checkpoint. Everything it decides goes through the log, so a new leader continues where
 * the old one stopped.
 */
import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { logger } from '@libp2p/logger'
import { submittedAlready } from './resubmission.ts'
import { datasetCatalogView } from '../api/dataset-catalog-view.ts'
import type { DatasetManifest } from '../storage/datasets/dataset-types.ts'
import { resolveJobDatasets, type DatasetRead, type ResolvedDatasets } from './job-dataset-view.ts'
import { scanLocality, type HoldersOf } from './scan-locality.ts'
import type { JobDefinition } from '../api/job.ts'
import type { JobGraph } from '../graph/job-graph.ts'
import { describeRestartStrategy, restartDelay } from '../runtime/restart-strategy.ts'
import { schedule, slotsUsed, type SchedulablePeer, type ScanLocality, type TaskAssignment } from './scheduler.ts'
import { loadJobRuntime } from './load-job-runtime.ts'
import type { GraphSource } from './job-graphs.ts'
import { TERMINAL_STATES, type CheckpointRef, type JobCommand, type JobRecord, type JobRegistry, type JobState, type SavepointRecord } from './job-registry.ts'
import type { JobCheckpoints } from './job-checkpoints.ts'
import { batchRegionsOf } from './batch-scheduler.ts'
import { JobNotFoundError, JobRejectedError } from './errors.ts'
import { errorMessage } from '../../protocol/error-message.ts'
import { errorText } from '../../protocol/client-fields.ts'

const log = logger('meshflow:cluster:job-manager')
/** The least time between two tries to schedule a restarting job the mesh cannot hold yet. */
const MIN_RESCHEDULE_MS = 1_000
/** How long a stop-with-savepoint request waits for the job to end after the savepoint. */
const STOP_WAIT_MS = 60_000

export interface JobSubmission {
  readonly name: string
  readonly codeCid: string
  readonly args: Readonly<Record<string, string>>
  readonly parallelism: number
  readonly maxParallelism: number | undefined
  /** The peer that received the code from the client. */
  readonly submitter: string
  /** A savepoint name to restore from. */
  readonly fromSavepoint?: string | undefined
  readonly allowNonRestoredState?: boolean | undefined
  /** The id the client chose (see SubmitJobRequest.jobId); a second submission of it answers with the first. */
  readonly jobId?: string | undefined
}

export { JobNotFoundError, JobRejectedError }

export interface JobManagerComponents {
  readonly selfId: string
  readonly registry: JobRegistry
  readonly isLeader: () => boolean
  /** Commits a command to the metadata log (this peer leads). */
  readonly propose: (command: JobCommand) => Promise<unknown>
  readonly loadJob: (job: Pick<JobRecord, 'codeCid' | 'codeHolders'>) => Promise<JobDefinition>
  /** Stores a job's code (a large value) on R peers before the job is recorded, fetching what this peer lacks from `from`: a client stored it on one peer (`run --mesh`). */
  readonly replicateCode: (cid: string, from: readonly string[]) => Promise<void>
  /** The job graph of a recorded job (see JobGraphs). */
  readonly graphOf: (job: GraphSource) => Promise<JobGraph>
  /** The graph a submission was checked with, for `graphOf` (see JobGraphs.seed); `undefined` forgets it (the job was not recorded). */
  readonly builtGraph?: (jobId: string, graph: JobGraph | undefined) => void
  /** Live peers (this one included) with their labels, slots and incarnation (process start time). */
  readonly peers: () => readonly { id: string, labels: Readonly<Record<string, string>>, slots: number, startedAt: number }[]
  readonly checkpoints: Pick<JobCheckpoints, 'savepoint'>
  /** A block's verified bytes (from the peers that hold it). */
  readonly fetchBlock: (cid: string) => Promise<Uint8Array>
  /** Which live peers hold each block (placing scans where their partitions live); without it, no locality. */
  readonly holders?: HoldersOf
  /** Whether this process's TaskManager deployed its subtasks of the job's attempt (running or done). */
  readonly deployedHere: (jobId: string, attempt: number) => boolean
}

export interface JobManagerInit {
  /**
   * Whether a new JobManager restarts a job whose TaskManagers all restarted under it (the
   * job's processes were killed, then came back: an embedded run started again). Default:
   * every such job resumes; a job it refuses fails instead, saying it was not resumed.
   */
  readonly resumeInterrupted?: (job: Pick<JobRecord, 'id' | 'name'>) => boolean
  /** Schedule without matching placement constraints (an embedded mesh of one runs every operator). */
  readonly ignorePlacement?: boolean
}

export class JobManager {
  readonly #c: JobManagerComponents
  readonly #finishing = new Set<string>()
  /** Attempts whose restart is under way (`jobId/attempt`). */
  readonly #restarting = new Set<string>()
  /** Savepoints being taken, by name. */
  readonly #savepointNames = new Set<string>()
  /** Aborted by `stop()`: ends the restart delays and the waits for a stopped job's end. */
  #stopping = new AbortController()
  readonly #init: JobManagerInit

  constructor (components: JobManagerComponents, init: JobManagerInit = {}) {
    this.#c = components
    this.#init = init
  }

  /** The incarnation of every peer the tasks run on, as the live peers report it now. */
  #incarnations (tasks: readonly TaskAssignment[]): Record<string, number> {
    const now = new Map(this.#c.peers().map(p => [p.id, p.startedAt]))
    const out: Record<string, number> = {}
    for (const t of tasks) {
      const at = now.get(t.peer)
      if (at !== undefined) out[t.peer] = at
    }
    return out
  }

  /**
   * Every job that has not ended, each read from the registry when the loop reaches it: a loop that awaits
   * between jobs acts on each job as the log has it then, not as it was when the loop began.
   */
  * #currentJobs (): Generator<JobRecord> {
    for (const { id } of this.#c.registry.activeJobs) {
      const job = this.#c.registry.job(id)
      if (job !== undefined) yield job
    }
  }

  /** Nothing to start: the JobManager acts when told (submissions, reports, a new term). */
  start (): void {
    if (this.#stopping.signal.aborted) this.#stopping = new AbortController()
  }

  /**
   * Cancels the restart delays under way (their restarts are not proposed: the next leader
   * completes them, see `takeOver`) and ends the waits for stopped jobs. Safe to call twice.
   */
  stop (): void {
    this.#stopping.abort()
  }

  /** Waits `ms`; false when the JobManager stopped first (or had stopped). */
  async #sleep (ms: number): Promise<boolean> {
    const signal = this.#stopping.signal
    try {
      await sleep(ms, undefined, { signal })
      return true
    } catch (err) {
      if (signal.aborted) return false
      throw err
    }
  }

  /**
   * The datasets a job reads, resolved (see job-dataset-view.ts; `pinned` on a restart).
   * @throws {JobRejectedError} naming a dataset (or version) missing, or whose manifest cannot be read
   */
  async #resolveDatasets (job: string, reads: readonly DatasetRead[], pinned?: Readonly<Record<string, number>>): Promise<ResolvedDatasets> {
    try {
      return await resolveJobDatasets(job, reads, { catalog: this.#c.registry.datasets, fetchBlock: this.#c.fetchBlock }, pinned)
    } catch (err) {
      throw new JobRejectedError(errorMessage(err), { cause: err })
    }
  }

  /**
   * Where the job's scans' partitions live: from the manifests resolved at submit, or on a
   * restart from the versions the job is pinned to (none when they cannot be read now).
   */
  async #locality (graph: JobGraph, from: { manifests?: ReadonlyMap<string, DatasetManifest> | undefined, job?: JobRecord }): Promise<ScanLocality | undefined> {
    const holders = this.#c.holders
    if (holders === undefined || (from.manifests === undefined && from.job?.datasets === undefined)) return undefined
    try {
      const manifests = from.manifests ?? (await this.#resolveDatasets(from.job!.name, (await loadJobRuntime()).datasetReadsOf(graph), from.job!.datasets)).manifests
      return await scanLocality(graph, manifests, holders, { signal: this.#stopping.signal })
    } catch (err) {
      log('job %s: scheduling without locality: %s', from.job?.id ?? '(new)', errorMessage(err))
      return undefined
    }
  }

  #schedule (graph: JobGraph, name: string, except?: JobRecord, locality?: ScanLocality): TaskAssignment[] {
    const used = this.#c.registry.slotsInUse(slotsUsed)
    if (except !== undefined) for (const [peer, n] of slotsUsed(except.tasks)) used.set(peer, (used.get(peer) ?? 0) - n)
    const peers: SchedulablePeer[] = this.#c.peers().map(p => ({ id: p.id, labels: p.labels, freeSlots: Math.max(0, p.slots - (used.get(p.id) ?? 0)) }))
    try {
      return schedule(graph, peers, { ignorePlacement: this.#init.ignorePlacement === true, ...(locality === undefined ? {} : { locality }) })
    } catch (err) {
      throw new JobRejectedError(`Job '${name}' cannot be scheduled: ${errorMessage(err)}`, { cause: err })
    }
  }

  /** Checks, schedules and records a job; resolves with its id once it is committed. */
  async submit (s: JobSubmission): Promise<string> {
    const again = submittedAlready(this.#c.registry, s)
    if (again !== undefined) return again
    let definition: JobDefinition
    let env
    const runtime = await loadJobRuntime()
    try {
      definition = await this.#c.loadJob({ codeCid: s.codeCid, codeHolders: [s.submitter] })
      env = await runtime.buildJob(definition, s)
    } catch (err) {
      throw new JobRejectedError(`Job '${s.name}' cannot be built: ${errorMessage(err)}`, { cause: err })
    }
    await this.#c.replicateCode(s.codeCid, [s.submitter]).catch((err: unknown) => { throw new JobRejectedError(`Job '${s.name}' cannot be submitted: its code is not on enough peers: ${errorMessage(err)}`, { cause: err }) })
    let graph = env.getJobGraph()
    // the datasets it reads: checked, and pinned to the versions it will read on every peer
    const reads = runtime.datasetReadsOf(graph)
    let pins: Record<string, number> | undefined
    let manifests: ReadonlyMap<string, DatasetManifest> | undefined
    if (reads.length > 0) {
      const resolved = await this.#resolveDatasets(s.name, reads)
      pins = resolved.pins
      manifests = resolved.manifests
      try {
        env = await runtime.buildJob(definition, s, datasetCatalogView(resolved.entries, true))
        graph = env.getJobGraph()
      } catch (err) {
        throw new JobRejectedError(`Job '${s.name}' cannot be built: ${errorMessage(err)}`, { cause: err })
      }
    }
    let restore: CheckpointRef | undefined
    if (s.fromSavepoint !== undefined) {
      const savepoint = this.#c.registry.savepoint(s.fromSavepoint)
      if (savepoint === undefined) throw new JobNotFoundError(s.fromSavepoint, 'savepoint')
      let manifest
      try {
        manifest = runtime.decodeManifest(await this.#c.fetchBlock(savepoint.cid))
      } catch (err) {
        throw new JobRejectedError(`Savepoint '${s.fromSavepoint}' cannot be read: ${errorMessage(err)}`, { cause: err })
      }
      try {
        runtime.planRestore(manifest, graph, { allowNonRestoredState: s.allowNonRestoredState === true })
      } catch (err) {
        throw new JobRejectedError(`Job '${s.name}' cannot restore savepoint '${s.fromSavepoint}': ${errorMessage(err)}`, { cause: err })
      }
      restore = { checkpointId: savepoint.checkpointId, cid: savepoint.cid }
    }
    let batchRegions: number[] | undefined
    try {
      batchRegions = batchRegionsOf(env, graph)
    } catch (err) {
      throw new JobRejectedError(`Job '${s.name}' cannot be built: ${errorMessage(err)}`, { cause: err })
    }
    // a batch job's regions are deployed as their inputs complete (batch-scheduler.ts)
    const tasks = batchRegions !== undefined ? [] : this.#schedule(graph, s.name, undefined, await this.#locality(graph, { manifests }))
    const checkpointing = env.checkpointing
    const jobId = s.jobId ?? randomUUID()
    this.#c.builtGraph?.(jobId, graph)
    const recorded = this.#c.propose({
      op: 'submit-job',
      jobId,
      name: s.name,
      codeCid: s.codeCid,
      args: s.args,
      parallelism: s.parallelism,
      maxParallelism: s.maxParallelism,
      codeHolders: [...new Set([s.submitter, this.#c.selfId])],
      attempt: 0,
      tasks,
      incarnations: this.#incarnations(tasks),
      submittedAt: Date.now(),
      ...(checkpointing === undefined ? {} : { checkpointIntervalMs: checkpointing.intervalMs, restartStrategy: env.restartStrategy }),
      ...(checkpointing?.timeoutMs === undefined ? {} : { checkpointTimeoutMs: checkpointing.timeoutMs }),
      ...(restore === undefined ? {} : { restore }),
      ...(s.allowNonRestoredState === true ? { allowNonRestoredState: true } : {}),
      ...(pins === undefined ? {} : { datasets: pins }),
      ...(batchRegions === undefined ? {} : { batchRegions })
    })
    try {
      await recorded
    } catch (err) {
      this.#c.builtGraph?.(jobId, undefined) // built again if the job was recorded after all
      throw err
    }
    log('job %s (%s) scheduled on %d peer(s)', jobId, s.name, new Set(tasks.map(t => t.peer)).size)
    return jobId
  }

  /** A TaskManager's subtasks of a job ended. */
  async taskReport (r: { jobId: string, attempt: number, peer: string, state: 'RUNNING' | 'FINISHED' | 'FAILED' | 'CANCELED', error?: string | undefined }): Promise<void> {
    const job = this.#c.registry.job(r.jobId)
    if (job === undefined) throw new JobNotFoundError(r.jobId)
    if (TERMINAL_STATES.has(job.state) || r.attempt !== job.attempt) return
    if (r.state === 'FAILED') {
      await this.#restartOrFail(job.id, r.error ?? `A task on ${r.peer} failed`)
      return
    }
    if (r.state === 'FINISHED' && !job.finishedPeers.has(r.peer)) {
      await this.#c.propose({ op: 'task-finished', jobId: r.jobId, attempt: r.attempt, peer: r.peer })
    }
    await this.checkFinished()
  }

  /** Marks FINISHED every running job whose peers have all finished (also after a leader change). */
  async checkFinished (): Promise<void> {
    if (!this.#c.isLeader()) return
    for (const job of this.#currentJobs()) {
      if (job.state !== 'RUNNING' || this.#finishing.has(job.id) || !this.#c.registry.allFinished(job)) continue
      this.#finishing.add(job.id)
      try {
        await this.#c.propose({ op: 'job-state', jobId: job.id, state: 'FINISHED' })
      } finally {
        this.#finishing.delete(job.id)
      }
    }
  }

  /**
   * A TaskManager was declared lost: the jobs with subtasks there cannot finish. Jobs with
   * checkpoints restart elsewhere; the others fail, naming the peer.
   */
  async peerLost (peer: string): Promise<void> {
    if (!this.#c.isLeader()) return
    for (const job of this.#currentJobs()) {
      if (TERMINAL_STATES.has(job.state) || job.finishedPeers.has(peer) || !job.tasks.some(t => t.peer === peer)) continue
      log('job %s lost its TaskManager %s', job.id, peer)
      await this.#restartOrFail(job.id, `TaskManager ${peer} was lost while running subtasks of the job`)
    }
  }

  /**
   * A new leader: jobs whose subtasks ran on peers that are gone (the old leader among them)
   * or whose process restarted since restart, and jobs caught mid-restart complete it.
   */
  async takeOver (): Promise<void> {
    if (!this.#c.isLeader()) return
    const live = new Map(this.#c.peers().map(p => [p.id, p.startedAt]))
    for (const job of this.#currentJobs()) {
      if (job.state === 'RESTARTING') {
        await this.#restart(job.id, 'the previous JobManager was restarting it')
        continue
      }
      if (job.state !== 'RUNNING') continue
      const gone = job.tasks.find(t => !live.has(t.peer) && !job.finishedPeers.has(t.peer))
      if (gone !== undefined) {
        await this.#restartOrFail(job.id, `TaskManager ${gone.peer} was lost while running subtasks of the job`)
        continue
      }
      // a TaskManager restarted under the attempt: its subtasks died with its old process
      // (this peer knows what it runs; of the others it knows their incarnations)
      const restarted = job.tasks.find(t => {
        if (job.finishedPeers.has(t.peer)) return false
        if (t.peer === this.#c.selfId) return !this.#c.deployedHere(job.id, job.attempt)
        const placed = job.incarnations?.[t.peer]
        return placed !== undefined && live.get(t.peer) !== placed
      })
      if (restarted === undefined) continue
      const reason = `TaskManager ${restarted.peer} restarted while running subtasks of the job`
      if (this.#init.resumeInterrupted?.(job) === false) {
        await this.#c.propose({ op: 'job-state', jobId: job.id, state: 'FAILED', error: errorText(`${reason}; not resumed`) })
        continue
      }
      await this.#restartOrFail(job.id, reason)
    }
  }

  /**
   * Restarts the job's current attempt from its latest checkpoint, or fails it when it may
   * not restart. Takes the id, not a record: it acts on the job as the log has it now.
   */
  async #restartOrFail (jobId: string, reason: string): Promise<void> {
    const job = this.#c.registry.job(jobId)
    if (job === undefined) return
    const key = `${job.id}/${job.attempt}`
    // a restart under way (a late report of the failed attempt must not start another)
    if (this.#restarting.has(key) || job.state === 'RESTARTING') return
    if (job.stopping) {
      // stopped with a savepoint: it never reads again; what a lost sink had not committed
      // is in the savepoint, and a job resumed from it commits it
      const savepoint = this.#c.registry.savepoints.find(s => s.jobId === job.id && s.checkpointId === job.checkpoints.latest?.id)
      await this.#c.propose({ op: 'job-state', jobId: job.id, state: 'FAILED', error: errorText(`${reason} while the job stopped with savepoint '${savepoint?.name ?? '?'}': run a job from that savepoint to commit the output it holds`) })
      return
    }
    const strategy = job.restartStrategy
    const delay = strategy === undefined || job.checkpointIntervalMs === undefined ? undefined : restartDelay(strategy, job.restarts)
    if (delay === undefined) {
      const gaveUp = strategy !== undefined && job.restarts > 0 ? ` (gave up after ${job.restarts} restarts: ${describeRestartStrategy(strategy)})` : ''
      await this.#c.propose({ op: 'job-state', jobId: job.id, state: 'FAILED', error: errorText(reason + gaveUp) })
      return
    }
    this.#restarting.add(key)
    try {
      log('job %s attempt %d failed (%s): restarting in %d ms', job.id, job.attempt, reason, delay)
      await this.#c.propose({ op: 'job-state', jobId: job.id, state: 'RESTARTING', error: errorText(reason) })
      if (delay > 0 && !await this.#sleep(delay)) {
        log('job %s: restart cancelled, the JobManager stopped', job.id)
        return
      }
      await this.#restart(job.id, reason)
    } finally {
      this.#restarting.delete(key)
    }
  }

  /** Deploys the next attempt of a RESTARTING job on live peers, restoring its latest checkpoint. */
  async #restart (jobId: string, reason: string): Promise<void> {
    let tasks: TaskAssignment[] | undefined
    // the job as the log has it now: records are replaced, never changed, by each entry, so
    // it is read again after every await
    const current = (): JobRecord | undefined => {
      const job = this.#c.registry.job(jobId)
      return this.#stopping.signal.aborted || !this.#c.isLeader() || job?.state !== 'RESTARTING' ? undefined : job
    }
    // the mesh may lack the slots or labels for a while (an edge device rebooting): keep
    // trying as the restart strategy allows, each try counting as a restart attempt
    for (let tries = 0; tasks === undefined; tries++) {
      let job = current()
      if (job === undefined) return
      try {
        const graph = await this.#c.graphOf(job)
        const locality = await this.#locality(graph, { job })
        job = current()
        if (job === undefined) return
        tasks = this.#schedule(graph, job.name, job, locality)
      } catch (err) {
        job = this.#c.registry.job(jobId)
        if (job === undefined) return
        const why = errorMessage(err)
        const delay = job.restartStrategy === undefined ? undefined : restartDelay(job.restartStrategy, job.restarts + tries + 1)
        if (delay === undefined || !(err instanceof JobRejectedError)) {
          await this.#c.propose({ op: 'job-state', jobId: job.id, state: 'FAILED', error: errorText(`${reason}; the job cannot restart: ${why}`) })
          return
        }
        log('job %s cannot restart yet (%s): trying again in %d ms', job.id, why, Math.max(delay, MIN_RESCHEDULE_MS))
        if (!await this.#sleep(Math.max(delay, MIN_RESCHEDULE_MS))) return
      }
    }
    const job = this.#c.registry.job(jobId)!
    const restore = this.#c.registry.latestCheckpoint(job)
    await this.#c.propose({
      op: 'restart-job',
      jobId: job.id,
      attempt: job.attempt + 1,
      tasks,
      incarnations: this.#incarnations(tasks),
      ...(restore === undefined ? {} : { restore }),
      reason: errorText(reason),
      at: Date.now()
    })
    log('job %s restarted as attempt %d from checkpoint %s', job.id, job.attempt + 1, restore?.checkpointId ?? 'none')
  }

  /**
   * Takes a savepoint `name` of a running job; with `stop`, the job then ends (FINISHED)
   * once its sinks committed what they hold for it.
   */
  async savepoint (jobId: string, name: string, options: { stop?: 'drain' | 'no-drain' | undefined } = {}): Promise<{ name: string, checkpointId: number, cid: string }> {
    const job = this.#c.registry.job(jobId)
    if (job === undefined) throw new JobNotFoundError(jobId)
    if (this.#c.registry.savepoint(name) !== undefined) throw new JobRejectedError(`A savepoint named '${name}' exists already; delete it first (meshflow savepoint --delete ${name})`)
    if (job.state !== 'RUNNING') throw new JobRejectedError(`Job ${jobId} is ${job.state}: only a running job takes savepoints`)
    if (this.#savepointNames.has(name)) throw new JobRejectedError(`A savepoint named '${name}' is being taken already`)
    const kind = options.stop === undefined ? 'savepoint' : options.stop === 'drain' ? 'stop-drain' : 'stop'
    this.#savepointNames.add(name)
    let done
    try {
      done = await this.#c.checkpoints.savepoint(job, name, kind)
    } catch (err) {
      const reason = `Savepoint '${name}' of job ${jobId} failed: ${errorMessage(err)}`
      // sources that took the stop barrier read no more: rewind them to the last checkpoint
      if (options.stop !== undefined) {
        this.#restartOrFail(jobId, reason).catch(e => { log('restarting job %s after a failed stop: %s', jobId, errorMessage(e)) })
      }
      throw new JobRejectedError(reason, { cause: err })
    } finally {
      this.#savepointNames.delete(name)
    }
    // a stopped job ends once every TaskManager committed what its sinks hold for the
    // savepoint and reported its subtasks finished
    if (options.stop !== undefined) await this.#ended(jobId, STOP_WAIT_MS)
    return { name, checkpointId: done.checkpointId, cid: done.cid }
  }

  /** Resolves when the job reached a final state, or after `ms`. */
  async #ended (jobId: string, ms: number): Promise<void> {
    const job = this.#c.registry.job(jobId)
    if (job === undefined || TERMINAL_STATES.has(job.state)) return
    const signal = this.#stopping.signal
    if (signal.aborted) return
    await new Promise<void>(resolve => {
      const timer = setTimeout(done, ms)
      const off = this.#c.registry.on('ended', j => { if (j.id === job.id) done() })
      signal.addEventListener('abort', done, { once: true })
      function done (): void {
        clearTimeout(timer)
        off()
        signal.removeEventListener('abort', done)
        resolve()
      }
    })
  }

  /** Deletes a savepoint's name; its blocks become garbage. */
  async deleteSavepoint (name: string): Promise<void> {
    if (this.#c.registry.savepoint(name) === undefined) throw new JobNotFoundError(name, 'savepoint')
    await this.#c.propose({ op: 'delete-savepoint', name })
  }

  get savepoints (): SavepointRecord[] { return this.#c.registry.savepoints }

  async cancel (jobId: string): Promise<JobState> {
    const job = this.#c.registry.job(jobId)
    if (job === undefined) throw new JobNotFoundError(jobId)
    if (!TERMINAL_STATES.has(job.state)) await this.#c.propose({ op: 'job-state', jobId, state: 'CANCELED' })
    return this.#c.registry.job(jobId)!.state
  }
}
