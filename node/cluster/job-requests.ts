/**
 * The job requests of `/meshflow/client/1` on a peer (submit, jobs, cancel, savepoints,
 * await, task reports, checkpoint acknowledgements and triggers): answers what any peer may
 * answer, checks who may speak for whom (DESIGN §9), and sends to the leader what only the
 * JobManager does — or does it here when this peer leads.
 *
 * @example
 * const requests = new JobRequests({ selfId, host, registry, isLeader, leaderId, fencingToken, manager, checkpoints, tasks })
 * const answer = await requests.answer({ type: 'jobs-request', id: 1 })
 * requests.stop()
 */
import { peerIdFromString } from '@libp2p/peer-id'
import { logger } from '@libp2p/logger'
import type { Libp2p } from '@libp2p/interface'
import type { ClientMessage, ClientRequest, JobInfo } from '../../protocol/client.ts'
import { MAX_RESTORE_HISTORY, MAX_SAVEPOINTS } from '../../protocol/constants.ts'
import { errorMessage } from '../../protocol/error-message.ts'
import { errorText } from '../../protocol/client-fields.ts'
import { TERMINAL_STATES, type JobRecord, type JobRegistry } from './job-registry.ts'
import { JobNotFoundError, JobRejectedError, type JobManager } from './job-manager.ts'
import type { JobCheckpoints } from './job-checkpoints.ts'
import type { SubtaskAck, TaskManager, TaskReport } from './task-manager.ts'
import { clientRequest } from './client-request.ts'
import { DatasetRejectedError, ForbiddenReportError, NoLeaderError, PeerStoppedError, RemoteError } from './errors.ts'
import { datasetNameProblem } from '../../protocol/dataset-fields.ts'
import { FORWARD_TIMEOUT_MS } from './constants.ts'
import { FencingGuard, ForgedCommandError, StaleLeaderError, UnknownTermError } from './fencing.ts'
import type { FencingToken } from './raft/types.ts'
import { reportProblem, submitterProblem } from './report-guard.ts'
import type { DatasetCommits } from './dataset-commits.ts'
import type { DatasetViews } from './dataset-views.ts'
import { wireScanFields } from '../../protocol/task-fields.ts'
import { batchProgress, type BatchScheduler } from './batch-scheduler.ts'
import type { RegionOutcome } from './region-runner.ts'

/** How long a peer waits for a job it is asked about to appear in its log (a follower behind the leader). */
const UNKNOWN_JOB_WAIT_MS = 15_000
/** How long a savepoint request forwarded to the leader may take (the client waits as long). */
const SAVEPOINT_FORWARD_TIMEOUT_MS = 10 * 60_000
/** How long a TaskManager keeps reporting while there is no leader. */
const REPORT_RETRY_MS = 60_000

const log = logger('meshflow:cluster:jobs')

/** A message of the client protocol sent in answer. */
export type Answer = ClientMessage

export interface JobRequestsComponents {
  readonly selfId: string
  readonly host: Libp2p
  readonly registry: JobRegistry
  readonly isLeader: () => boolean
  readonly leaderId: () => string | undefined
  /** This peer's Raft view, `(term, leaderId)`, for fencing; undefined while no leader is known. */
  readonly fencingToken: () => FencingToken | undefined
  /** The JobManager's work (this peer leads). */
  readonly manager: Pick<JobManager, 'submit' | 'cancel' | 'savepoint' | 'deleteSavepoint' | 'taskReport'>
  readonly checkpoints: Pick<JobCheckpoints, 'ack' | 'decline'>
  /** This peer's subtasks, which a checkpoint trigger reaches. */
  readonly tasks: Pick<TaskManager, 'trigger'>
  /** The JobManager's dataset commits and drops (this peer leads). */
  readonly datasets: Pick<DatasetCommits, 'commit' | 'drop'>
  /** The datasets as this peer's catalog has them. */
  readonly datasetViews: Pick<DatasetViews, 'list' | 'show'>
  /** The JobManager's batch regions (this peer leads). */
  readonly batch: Pick<BatchScheduler, 'report'>
}

export class JobRequests {
  readonly #c: JobRequestsComponents
  readonly #fencing: FencingGuard
  #requestId = 0
  #stopping = new AbortController()

  constructor (components: JobRequestsComponents) {
    this.#c = components
    this.#fencing = new FencingGuard({ current: components.fencingToken })
  }

  start (): void {
    if (this.#stopping.signal.aborted) this.#stopping = new AbortController()
  }

  /** Ends the waits for jobs and the retries of reports (the peer stops). Safe to call twice. */
  stop (): void {
    if (!this.#stopping.signal.aborted) this.#stopping.abort(new PeerStoppedError())
  }

  /** Reports to the JobManager, retrying while there is no leader (up to a minute). */
  async report (r: TaskReport): Promise<void> {
    const deadline = Date.now() + REPORT_RETRY_MS
    for (;;) {
      try {
        const answer = await this.#toLeader({ type: 'task-report', id: 0, jobId: r.jobId, attempt: r.attempt, peer: this.#c.selfId, state: r.state, ...(r.error === undefined ? {} : { error: errorText(r.error) }) })
        if (answer.type === 'error-response' && answer.retriable) throw new RemoteError(answer.code, answer.message, true)
        return
      } catch (err) {
        const retriable = err instanceof NoLeaderError || (err instanceof RemoteError && err.retriable) || !(err instanceof RemoteError)
        if (!retriable || Date.now() > deadline || this.#stopping.signal.aborted) throw err
        await new Promise(resolve => setTimeout(resolve, 200))
      }
    }
  }

  /** Reports how a region of a batch job ended here, retrying while there is no leader (up to a minute). */
  async regionReport (r: RegionOutcome): Promise<void> {
    const deadline = Date.now() + REPORT_RETRY_MS
    for (;;) {
      try {
        const answer = await this.#toLeader({ type: 'region-report', id: 0, peer: this.#c.selfId, ...r, ...(r.error === undefined ? {} : { error: errorText(r.error) }) })
        if (answer.type === 'error-response' && answer.retriable) throw new RemoteError(answer.code, answer.message, true)
        return
      } catch (err) {
        const retriable = err instanceof NoLeaderError || (err instanceof RemoteError && err.retriable) || !(err instanceof RemoteError)
        if (!retriable || Date.now() > deadline || this.#stopping.signal.aborted) throw err
        await new Promise(resolve => setTimeout(resolve, 200))
      }
    }
  }

  /** A subtask's snapshot acknowledgement to the JobManager; true when it was accepted. */
  async ack (a: SubtaskAck): Promise<boolean> {
    const answer = await this.#toLeader({ type: 'checkpoint-ack', id: 0, peer: this.#c.selfId, ...a, operators: a.operators.map(o => ({ ...o })) })
    return answer.type === 'checkpoint-ack-response' && answer.accepted
  }

  /** A subtask could not take a checkpoint. */
  async decline (d: { jobId: string, attempt: number, checkpointId: number, reason: string }): Promise<void> {
    await this.#toLeader({ type: 'checkpoint-decline', id: 0, peer: this.#c.selfId, ...d, reason: errorText(d.reason) })
  }

  /** Handles `request` here when this peer leads, else sends it to the leader. */
  async #toLeader (request: ClientRequest): Promise<Answer> {
    if (this.#c.isLeader()) return await this.#lead(request)
    const leader = this.#c.leaderId()
    if (leader === undefined) throw new NoLeaderError()
    // a savepoint (a stop with drain above all) may take as long as a checkpoint may
    const timeoutMs = request.type === 'trigger-savepoint' ? SAVEPOINT_FORWARD_TIMEOUT_MS : FORWARD_TIMEOUT_MS * 6
    return await clientRequest(this.#c.host, peerIdFromString(leader), { ...request, id: ++this.#requestId }, { signal: AbortSignal.timeout(timeoutMs) })
  }

  /** The JobManager's requests (this peer leads). */
  async #lead (m: ClientRequest): Promise<Answer> {
    const manager = this.#c.manager
    switch (m.type) {
      case 'submit-job': {
        const jobId = await manager.submit({
          name: m.name, codeCid: m.codeCid, args: m.args, parallelism: m.parallelism,
          maxParallelism: m.maxParallelism, submitter: m.submitter,
          fromSavepoint: m.fromSavepoint, allowNonRestoredState: m.allowNonRestoredState, jobId: m.jobId
        })
        return { type: 'submit-job-response', id: m.id, jobId }
      }
      case 'cancel-job':
        return { type: 'cancel-job-response', id: m.id, jobId: m.jobId, state: await manager.cancel(m.jobId) }
      case 'trigger-savepoint': {
        const done = await manager.savepoint(m.jobId, m.name, { stop: m.stop })
        return { type: 'savepoint-response', id: m.id, jobId: m.jobId, name: done.name, checkpointId: done.checkpointId, cid: done.cid }
      }
      case 'delete-savepoint':
        await manager.deleteSavepoint(m.name)
        return { type: 'delete-savepoint-response', id: m.id, name: m.name }
      case 'task-report':
        await manager.taskReport(m)
        return { type: 'task-report-ack', id: m.id }
      case 'region-report':
        await this.#c.batch.report(m)
        return { type: 'task-report-ack', id: m.id }
      case 'checkpoint-ack':
        return { type: 'checkpoint-ack-response', id: m.id, accepted: this.#c.checkpoints.ack(m) }
      case 'checkpoint-decline':
        return { type: 'checkpoint-ack-response', id: m.id, accepted: this.#c.checkpoints.decline(m) }
      case 'dataset-commit': {
        const done = await this.#c.datasets.commit(m.name, { manifestCid: m.manifestCid, expectedVersion: m.expectedVersion, mode: m.mode, commitId: m.commitId })
        return { type: 'dataset-commit-response', id: m.id, ...done }
      }
      case 'dataset-drop':
        await this.#c.datasets.drop(m.name)
        return { type: 'dataset-drop-response', id: m.id, name: m.name }
      default:
        return { type: 'error-response', id: m.id, code: 'bad-request', message: `The JobManager does not handle '${m.type}'`, retriable: false }
    }
  }

  /**
   * Answers a job request, or returns undefined when `m` is not one. `from` is the peer id
   * the request came from (authenticated by the connection; undefined for this peer's own
   * requests): a message that speaks for a peer is believed only from that peer, and a
   * checkpoint trigger only from the current term's leader (DESIGN §9).
   */
  async answer (m: ClientMessage, options: { signal?: AbortSignal | undefined, from?: string | undefined } = {}): Promise<Answer | undefined> {
    if (!('id' in m)) return undefined
    const from = options.from
    try {
      switch (m.type) {
        case 'trigger-checkpoint': {
          try {
            this.#fencing.check({ term: m.term, leaderId: m.leaderId }, from)
          } catch (err) {
            log.error('refused a checkpoint trigger for job %s from %s: %s', m.jobId, from ?? 'this peer', errorMessage(err))
            throw err
          }
          return { type: 'trigger-checkpoint-response', id: m.id, ...await this.#c.tasks.trigger(m.jobId, m.attempt, { checkpointId: m.checkpointId, kind: m.kind }) }
        }
        case 'checkpoint-ack':
        case 'checkpoint-decline':
        case 'task-report': {
          const problem = reportProblem(this.#c.registry, m, from)
          if (problem !== undefined) {
            log.error('refused %s: %s', m.type, problem)
            throw new ForbiddenReportError(problem, from)
          }
          // a peer's own report goes to the leader itself: a forwarded one would arrive
          // from the forwarding peer, which may not speak for it
          if (from !== undefined && !this.#c.isLeader()) throw new RemoteError('not-leader', `Peer ${this.#c.selfId} does not lead: send the ${m.type} to the leader`, true)
          return { ...await this.#toLeader(m), id: m.id } as Answer
        }
        case 'region-report': {
          // believed only from the peer it names, about a region the log deployed there
          const region = this.#c.registry.job(m.jobId)?.batch?.regions[m.region]
          const problem = from !== undefined && m.peer !== from
            ? `Peer ${from} sent a region report in the name of peer ${m.peer}`
            : region !== undefined && region.attempt === m.attempt && region.peer !== m.peer ? `Peer ${m.peer} reported region ${m.region} of job ${m.jobId}, which runs elsewhere` : undefined
          if (problem !== undefined) {
            log.error('refused %s: %s', m.type, problem)
            throw new ForbiddenReportError(problem, from)
          }
          if (from !== undefined && !this.#c.isLeader()) throw new RemoteError('not-leader', `Peer ${this.#c.selfId} does not lead: send the ${m.type} to the leader`, true)
          return { ...await this.#toLeader(m), id: m.id } as Answer
        }
        case 'submit-job': {
          const problem = submitterProblem(m, from, this.#c.selfId)
          if (problem !== undefined) {
            log.error('refused a submission: %s', problem)
            throw new ForbiddenReportError(problem, from)
          }
          return { ...await this.#toLeader(m), id: m.id } as Answer
        }
        case 'dataset-commit':
        case 'dataset-drop':
        case 'dataset-show': {
          // this peer's own callers reach here without the codec's checks: a name the
          // leader's decoder would refuse is refused here, in words
          const problem = datasetNameProblem(m.name)
          if (problem !== undefined) throw new DatasetRejectedError(`Invalid dataset name: ${problem}`)
          if (m.type === 'dataset-show') return { type: 'dataset-show-response', id: m.id, dataset: await this.#c.datasetViews.show(m.name) }
          return { ...await this.#toLeader(m), id: m.id } as Answer
        }
        case 'cancel-job':
        case 'trigger-savepoint':
        case 'delete-savepoint': {
          const answer = await this.#toLeader(m)
          return { ...answer, id: m.id } as Answer
        }
        case 'jobs-request':
          return { type: 'jobs-response', id: m.id, jobs: this.jobs() }
        case 'savepoints-request': {
          // every peer applies the log, so any peer can list them (the newest MAX_SAVEPOINTS)
          return { type: 'savepoints-response', id: m.id, savepoints: this.#c.registry.savepoints.slice(-MAX_SAVEPOINTS) }
        }
        case 'await-job':
          return await this.await(m.id, m.jobId, options.signal)
        // every peer applies the log: any peer lists and shows the datasets
        case 'datasets-request':
          return { type: 'datasets-response', id: m.id, datasets: this.#c.datasetViews.list() }
        default:
          return undefined
      }
    } catch (err) {
      return errorAnswer(m.id, err)
    }
  }

  /** The job's result once it has finished, failed or been cancelled (`id` is the request's). */
  async await (id: number, jobId: string, callerSignal?: AbortSignal): Promise<Answer> {
    // a waiter ends with the caller, or when this peer stops (it would never hear the end)
    const stopping = this.#stopping.signal
    const signal = callerSignal === undefined ? stopping : AbortSignal.any([callerSignal, stopping])
    let job = this.#c.registry.job(jobId) ?? await this.#appearing(jobId, signal)
    if (job === undefined) throw new JobNotFoundError(jobId)
    if (!TERMINAL_STATES.has(job.state)) {
      // the waiter goes away with the client's stream, so nothing piles up behind long jobs;
      // it answers with the record the 'ended' event carries (the registry replaces records,
      // and may forget an ended job)
      job = await new Promise<JobRecord>((resolve, reject) => {
        const done = (): void => {
          off()
          signal.removeEventListener('abort', aborted)
        }
        const aborted = (): void => { done(); reject(signal.reason ?? new Error('Aborted')) }
        const off = this.#c.registry.on('ended', j => { if (j.id === jobId) { done(); resolve(j) } })
        if (signal.aborted) aborted()
        else signal.addEventListener('abort', aborted, { once: true })
      })
    }
    return { type: 'job-result', id, jobId, state: job.state, ...(job.error === undefined ? {} : { error: errorText(job.error) }) }
  }

  /**
   * A job this peer does not know yet: a client that submitted it through the leader may ask
   * a follower that has not applied the submission yet. Waits at most UNKNOWN_JOB_WAIT_MS
   * for the registry to have it (an id nobody submitted is then reported not found).
   */
  async #appearing (jobId: string, signal: AbortSignal): Promise<JobRecord | undefined> {
    const until = Date.now() + UNKNOWN_JOB_WAIT_MS
    while (Date.now() < until && !signal.aborted) {
      await new Promise(resolve => setTimeout(resolve, 50))
      const job = this.#c.registry.job(jobId)
      if (job !== undefined) return job
    }
    return undefined
  }

  /**
   * Every job, in the shape of `meshflow jobs --json`, with its checkpoints and the latest
   * `MAX_RESTORE_HISTORY` (re)starts.
   */
  jobs (): JobInfo[] {
    return this.#c.registry.jobs.map(j => {
      const latest = j.checkpoints.latest
      const batch = batchProgress(j)
      return {
        id: j.id,
        name: j.name,
        state: j.state,
        restarts: j.restarts,
        // a batch job's tasks: where each region runs or ran
        tasks: (j.batch === undefined ? j.tasks : j.batch.regions.flatMap(r => r.tasks ?? [])).map(t => ({ vertex: t.vertex, subtask: t.subtask, peer: t.peer, ...wireScanFields(t) })),
        ...(j.error === undefined ? {} : { error: errorText(j.error) }),
        checkpoints: latest === undefined
          ? { completed: j.checkpoints.completed }
          : { completed: j.checkpoints.completed, latest: { id: latest.id, cid: latest.cid, at: latest.at } },
        restoreHistory: j.restoreHistory.slice(-MAX_RESTORE_HISTORY).map(r => ({ attempt: r.attempt, checkpointId: r.checkpointId, at: r.at })),
        ...(batch === undefined ? {} : { batch })
      }
    })
  }
}

/** The error answer for what a request threw: its code, and whether the client may send the request again. */
export function errorAnswer (id: number, err: unknown): Answer {
  const message = errorText(errorMessage(err))
  if (err instanceof JobRejectedError) return { type: 'error-response', id, code: 'bad-request', message, retriable: false }
  if (err instanceof JobNotFoundError) return { type: 'error-response', id, code: 'not-found', message, retriable: false }
  const name = (err as Error | undefined)?.name
  if (name === 'DatasetRejectedError') return { type: 'error-response', id, code: 'bad-request', message, retriable: false }
  // another commit came first: the writer may read the dataset again and retry
  if (name === 'DatasetConflictError') return { type: 'error-response', id, code: 'bad-request', message, retriable: true }
  if (name === 'DatasetNotFoundError') return { type: 'error-response', id, code: 'not-found', message, retriable: false }
  if (err instanceof NoLeaderError) return { type: 'error-response', id, code: 'no-leader', message, retriable: true }
  // the Raft node stepped down before it appended the entry: nothing was proposed, so any request may be sent again
  if (name === 'NotLeaderError') return { type: 'error-response', id, code: 'no-leader', message, retriable: true }
  // the entry may still commit: a request that is idempotent (a submission with its job id) may be sent again
  if (name === 'LeadershipLostError') return { type: 'error-response', id, code: 'no-leader', message, retriable: true }
  if (err instanceof ForbiddenReportError || err instanceof StaleLeaderError || err instanceof ForgedCommandError) {
    return { type: 'error-response', id, code: 'forbidden', message, retriable: false }
  }
  // a term this peer has not caught up with: the JobManager's next command may be accepted
  if (err instanceof UnknownTermError) return { type: 'error-response', id, code: 'forbidden', message, retriable: true }
  if (err instanceof RemoteError) return { type: 'error-response', id, code: err.code as 'internal', message, retriable: err.retriable }
  return { type: 'error-response', id, code: 'internal', message, retriable: false }
}
