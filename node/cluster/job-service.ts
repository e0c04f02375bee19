/**
 * Jobs on a peer: keeps the job registry up to date from the metadata log, runs this peer's
 * subtasks (TaskManager), does the JobManager's work while this peer leads, loads job code
 * by CID through the block store, and answers the job requests of `/meshflow/client/1`
 * (submit, jobs, cancel, await, task reports) — forwarding to the leader what only the
 * leader may do.
 */
import { join } from 'node:path'
import { peerIdFromString } from '@libp2p/peer-id'
import { logger } from '@libp2p/logger'
import type { Libp2p } from '@libp2p/interface'
import type { JobDefinition } from '../api/job.ts'
import type { LogEntry } from '../../protocol/raft.ts'
import type { ClientMessage, ClientRequest, JobInfo } from '../../protocol/client.ts'
import { MAX_RESTORE_HISTORY, MAX_SAVEPOINTS } from '../../protocol/constants.ts'
import { parseCid } from '../../protocol/cid.ts'
import { BlockStore } from '../storage/block-store.ts'
import { BlockService } from '../storage/block-service.ts'
import { BlockClient } from '../storage/block-client.ts'
import { BlockFetcher } from '../storage/block-fetcher.ts'
import { BlockReplicator } from '../storage/replication.ts'
import { ReplicationMaintainer } from '../storage/replication-maintainer.ts'
import { BlockScrubber } from '../storage/block-scrubber.ts'
import { BlockGarbageCollector } from '../storage/block-gc.ts'
import { decodeManifest, manifestReferences } from '../runtime/checkpoint-manifest.ts'
import { rendezvousOrder } from '../storage/rendezvous.ts'
import { writeLarge } from '../storage/chunking.ts'
import { JobCheckpoints } from './job-checkpoints.ts'
import type { PeerStore } from '../storage/peer-store.ts'
import { DataService } from '../mesh/data-service.ts'
import { JobRegistry, TERMINAL_STATES, type JobCommand, type JobRecord } from './job-registry.ts'
import { JobManager, JobNotFoundError, JobRejectedError } from './job-manager.ts'
import { TaskManager, type TaskReport } from './task-manager.ts'
import { bundleJob, importJobBundle } from './job-bundle.ts'
import { clientRequest } from './client-request.ts'
import { ForbiddenReportError, NoLeaderError, PeerStoppedError, RemoteError } from './errors.ts'
import { FORWARD_TIMEOUT_MS } from './constants.ts'
import { FencingGuard, ForgedCommandError, StaleLeaderError, UnknownTermError } from './fencing.ts'
import type { FencingToken } from './raft/types.ts'
import { reportProblem, submitterProblem } from './report-guard.ts'

/** How long storing or fetching one block over the mesh may take. */
const STORE_TIMEOUT_MS = 30_000
/** How often a peer collects the garbage among its blocks. */
const GC_INTERVAL_MS = 5 * 60_000
/** How long a savepoint request forwarded to the leader may take (the client waits as long). */
const SAVEPOINT_FORWARD_TIMEOUT_MS = 10 * 60_000

const log = logger('meshflow:cluster:jobs')

export interface JobServiceComponents {
  readonly selfId: string
  readonly host: Libp2p
  readonly store: PeerStore
  readonly dataDir: string
  readonly isLeader: () => boolean
  readonly leaderId: () => string | undefined
  /** Commits a command through this peer (it leads); the command is validated first. */
  readonly propose: (command: JobCommand) => Promise<unknown>
  /** This peer's Raft view, `(term, leaderId)`, for fencing; undefined while no leader is known. */
  readonly fencingToken: () => FencingToken | undefined
  /** Live peers, this one included. */
  readonly peers: () => readonly { id: string, labels: Readonly<Record<string, string>>, slots: number }[]
  /** Garbage-collection grace and re-stamp age of blocks, and the scrub's pace (see PeerInit.storage). */
  readonly storage?: {
    readonly gcGraceMs?: number, readonly restampAfterMs?: number,
    readonly scrubIntervalMs?: number, readonly scrubFirstDelayMs?: number, readonly scrubBytesPerSecond?: number
  }
}

type Answer = ClientMessage

export class JobService {
  readonly #c: JobServiceComponents
  readonly registry = new JobRegistry()
  readonly blocks: BlockStore
  readonly data: DataService
  readonly #blockService: BlockService
  readonly #blockClient: BlockClient
  readonly #fetcher: BlockFetcher
  readonly replicator: BlockReplicator
  readonly #maintainer: ReplicationMaintainer
  /** Re-hashes the local blocks and replaces corrupt copies (its counts are in `status`). */
  readonly scrubber: BlockScrubber
  readonly #gc: BlockGarbageCollector
  #gcTimer: ReturnType<typeof setInterval> | undefined
  readonly #tasks: TaskManager
  readonly #manager: JobManager
  readonly #checkpoints: JobCheckpoints
  readonly #code = new Map<string, Promise<JobDefinition>>()
  readonly #fencing: FencingGuard
  #requestId = 0
  #stopped = false
  readonly #stopping = new AbortController()

  constructor (components: JobServiceComponents) {
    this.#c = components
    this.#fencing = new FencingGuard({ current: components.fencingToken })
    this.blocks = new BlockStore({ store: components.store }, components.storage?.restampAfterMs === undefined ? {} : { restampAfterMs: components.storage.restampAfterMs })
    this.#blockService = new BlockService({ host: components.host, blocks: this.blocks })
    this.#blockClient = new BlockClient({ host: components.host })
    this.#fetcher = new BlockFetcher({ blocks: this.blocks, client: this.#blockClient })
    this.data = new DataService(components.host)
    const members = (): string[] => components.peers().map(p => p.id)
    this.replicator = new BlockReplicator({ selfId: components.selfId, blocks: this.blocks, client: this.#blockClient, members })
    const storeBlock = async (bytes: Uint8Array): Promise<string> => (await this.replicator.put(bytes, { signal: AbortSignal.timeout(STORE_TIMEOUT_MS) })).toString()
    const fetchBlock = async (cid: string): Promise<Uint8Array> => await this.#fetcher.fetch(parseCid(cid), {
      from: rendezvousOrder(cid, members()).map(id => peerIdFromString(id)),
      signal: AbortSignal.timeout(STORE_TIMEOUT_MS)
    })
    this.#maintainer = new ReplicationMaintainer({ selfId: components.selfId, blocks: this.blocks, replicator: this.replicator, members })
    const s = components.storage
    this.scrubber = new BlockScrubber({ selfId: components.selfId, blocks: this.blocks, fetcher: this.#fetcher, members }, {
      ...(s?.scrubIntervalMs === undefined ? {} : { intervalMs: s.scrubIntervalMs }),
      ...(s?.scrubFirstDelayMs === undefined ? {} : { firstDelayMs: s.scrubFirstDelayMs }),
      ...(s?.scrubBytesPerSecond === undefined ? {} : { bytesPerSecond: s.scrubBytesPerSecond })
    })
    this.#gc = new BlockGarbageCollector({
      blocks: this.blocks,
      roots: () => this.gcRoots(),
      // manifests list their state chunks; every other root (job code) is a leaf or a putLarge value
      references: (_cid, bytes) => {
        try {
          return manifestReferences(decodeManifest(bytes))
        } catch {
          return []
        }
      },
      fetch: async (cid, o) => await this.#fetcher.fetch(cid, { from: rendezvousOrder(cid.toString(), members()).map(id => peerIdFromString(id)), ...o })
    }, components.storage?.gcGraceMs === undefined ? {} : { graceMs: components.storage.gcGraceMs })
    const loadJob = (job: Pick<JobRecord, 'codeCid' | 'codeHolders'>): Promise<JobDefinition> => this.#loadJob(job)
    this.#tasks = new TaskManager({
      selfId: components.selfId,
      data: this.data,
      loadJob,
      report: r => this.#report(r),
      fetchBlock,
      storeBlock,
      ack: async a => {
        const answer = await this.#toLeader({ type: 'checkpoint-ack', id: 0, peer: components.selfId, ...a, operators: a.operators.map(o => ({ ...o })) })
        return answer.type === 'checkpoint-ack-response' && answer.accepted
      },
      decline: async d => { await this.#toLeader({ type: 'checkpoint-decline', id: 0, peer: components.selfId, ...d, reason: d.reason.slice(0, 16_000) }) }
    })
    const manager: { current?: JobManager } = {}
    this.#checkpoints = new JobCheckpoints({
      registry: this.registry,
      isLeader: components.isLeader,
      propose: components.propose,
      graphOf: job => manager.current!.graphOf(job),
      storeBlock,
      triggerOn: async (peer, request) => {
        if (peer === components.selfId) return this.#tasks.trigger(request.jobId, request.attempt, request)
        // fencing (DESIGN §5): the TaskManager acts on it only for the current term's leader
        const token = components.isLeader() ? components.fencingToken() : undefined
        if (token === undefined || token.leaderId !== components.selfId) throw new NoLeaderError('This peer no longer leads: checkpoint trigger not sent')
        const answer = await clientRequest(this.#c.host, peerIdFromString(peer), { type: 'trigger-checkpoint', id: ++this.#requestId, term: token.term, leaderId: token.leaderId, ...request }, { signal: AbortSignal.timeout(FORWARD_TIMEOUT_MS) })
        if (answer.type !== 'trigger-checkpoint-response') throw new RemoteError('internal', `Unexpected answer ${answer.type} to a checkpoint trigger`, false)
        return { accepted: answer.accepted, lastCheckpointId: answer.lastCheckpointId }
      }
    })
    this.#manager = manager.current = new JobManager({
      selfId: components.selfId,
      registry: this.registry,
      isLeader: components.isLeader,
      propose: components.propose,
      loadJob,
      // a peer killed a moment ago is still "alive" until its heartbeats are missed (3 s),
      // but its connection is gone at once: never schedule (a restart) onto it
      peers: () => components.peers().filter(p => p.id === components.selfId || this.#connected(p.id)),
      checkpoints: this.#checkpoints,
      fetchBlock
    })
    // what the log says is acted on here; a bug in acting must not escape into the code
    // that applies the log (an EventTarget rethrows a listener's error as uncaught)
    this.registry.on('deployed', guarded('deploying', job => {
      this.#tasks.deploy(job)
      this.#checkpoints.sync()
    }))
    this.registry.on('restarting', guarded('restarting', job => {
      this.#tasks.cancel(job.id, `Job '${job.name}' is restarting`)
      this.#checkpoints.sync()
    }))
    this.registry.on('checkpoint', guarded('committing a checkpoint of', e => { this.#tasks.checkpointCompleted(e) }))
    this.registry.on('ended', guarded('ending', job => {
      this.#manager.forget(job.id)
      this.#tasks.cancel(job.id, `Job '${job.name}' ended: ${job.state}`)
      this.data.forgetJob(job.id)
      this.#checkpoints.sync()
    }))
  }

  async start (): Promise<void> {
    await this.#blockService.start()
    await this.data.start()
    await this.#maintainer.start()
    await this.scrubber.start()
    this.#gcTimer = setInterval(() => {
      this.#gc.collect().then(
        r => { log('garbage collection: kept %d blocks, deleted %d, unresolved %d', r.kept, r.deleted, r.unresolved.length) },
        err => { log('garbage collection: %s', err instanceof Error ? err.message : err) })
    }, GC_INTERVAL_MS)
    this.#gcTimer.unref()
  }

  /**
   * What this peer's garbage collector keeps (DESIGN §6): the code of jobs not ended, the
   * last RETAINED_CHECKPOINTS checkpoints of each such job and what its attempt restores,
   * and every savepoint.
   */
  gcRoots (): string[] {
    const roots = new Set<string>()
    for (const job of this.registry.jobs) {
      if (TERMINAL_STATES.has(job.state)) continue
      roots.add(job.codeCid)
      for (const c of job.retained) roots.add(c.cid)
      if (job.restore !== undefined) roots.add(job.restore.cid)
    }
    for (const s of this.registry.savepoints) roots.add(s.cid)
    return [...roots]
  }

  /** Runs the garbage collector now (tests, and `meshflow node` maintenance). */
  async collectGarbage (options: { signal?: AbortSignal } = {}): ReturnType<BlockGarbageCollector['collect']> {
    return await this.#gc.collect(options)
  }


  async stop (): Promise<void> {
    if (this.#stopped) return
    this.#stopped = true
    this.#stopping.abort(new PeerStoppedError())
    this.#manager.stop()
    this.#checkpoints.stop()
    if (this.#gcTimer !== undefined) clearInterval(this.#gcTimer)
    await this.#maintainer.stop()
    await this.scrubber.stop()
    await this.#tasks.stop()
    await this.data.stop()
    await this.#blockService.stop()
    await this.#blockClient.stop()
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
    this.registry.apply(entry)
    if (entry.type === 'command' && this.#c.isLeader()) {
      this.#manager.checkFinished().catch(err => { log('finishing jobs: %s', err instanceof Error ? err.message : err) })
    }
  }

  /** The failure detector declared `peer` lost. */
  peerLost (peer: string): void {
    this.#manager.peerLost(peer).catch(err => { log('failing the jobs of lost peer %s: %s', peer, err instanceof Error ? err.message : err) })
  }

  /**
   * A new leader picks up jobs whose peers all finished while there was none, restarts jobs
   * that lost peers, and coordinates the running jobs' checkpoints.
   */
  onLeader (): void {
    this.#manager.checkFinished().catch(err => { log('finishing jobs: %s', err instanceof Error ? err.message : err) })
    this.#manager.takeOver().catch(err => { log('taking over jobs: %s', err instanceof Error ? err.message : err) })
    this.#checkpoints.sync()
  }

  /** This peer stopped leading: its checkpoint coordinators stop. */
  onFollower (): void {
    this.#checkpoints.sync()
  }

  async #loadJob (job: Pick<JobRecord, 'codeCid' | 'codeHolders'>): Promise<JobDefinition> {
    let loading = this.#code.get(job.codeCid)
    if (loading === undefined) {
      loading = (async () => {
        const cid = parseCid(job.codeCid)
        // the submitter, the JobManager, then the code's replica holders
        const from = [...new Set([...job.codeHolders, ...(this.#c.leaderId() === undefined ? [] : [this.#c.leaderId()!]),
          ...rendezvousOrder(job.codeCid, this.#c.peers().map(p => p.id))])]
        const bytes = await this.#fetcher.fetchLarge(cid, { from, signal: AbortSignal.timeout(30_000) })
        return await importJobBundle(new TextDecoder().decode(bytes), { dir: join(this.#c.dataDir, 'jobs') })
      })()
      this.#code.set(job.codeCid, loading)
      loading.catch(() => { this.#code.delete(job.codeCid) })
    }
    return await loading
  }

  /** Reports to the JobManager, retrying while there is no leader (up to a minute). */
  async #report (r: TaskReport): Promise<void> {
    const deadline = Date.now() + 60_000
    for (;;) {
      try {
        const answer = await this.#toLeader({ type: 'task-report', id: 0, jobId: r.jobId, attempt: r.attempt, peer: this.#c.selfId, state: r.state, ...(r.error === undefined ? {} : { error: r.error.slice(0, 16_000) }) })
        if (answer.type === 'error-response' && answer.retriable) throw new RemoteError(answer.code, answer.message, true)
        return
      } catch (err) {
        const retriable = err instanceof NoLeaderError || (err instanceof RemoteError && err.retriable) || !(err instanceof RemoteError)
        if (!retriable || Date.now() > deadline || this.#stopped) throw err
        await new Promise(resolve => setTimeout(resolve, 200))
      }
    }
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
    switch (m.type) {
      case 'submit-job': {
        const jobId = await this.#manager.submit({
          name: m.name, codeCid: m.codeCid, args: m.args, parallelism: m.parallelism,
          maxParallelism: m.maxParallelism, submitter: m.submitter,
          fromSavepoint: m.fromSavepoint, allowNonRestoredState: m.allowNonRestoredState
        })
        return { type: 'submit-job-response', id: m.id, jobId }
      }
      case 'cancel-job':
        return { type: 'cancel-job-response', id: m.id, jobId: m.jobId, state: await this.#manager.cancel(m.jobId) }
      case 'trigger-savepoint': {
        const done = await this.#manager.savepoint(m.jobId, m.name, { stop: m.stop })
        return { type: 'savepoint-response', id: m.id, jobId: m.jobId, name: done.name, checkpointId: done.checkpointId, cid: done.cid }
      }
      case 'delete-savepoint':
        await this.#manager.deleteSavepoint(m.name)
        return { type: 'delete-savepoint-response', id: m.id, name: m.name }
      case 'task-report':
        await this.#manager.taskReport(m)
        return { type: 'task-report-ack', id: m.id }
      case 'checkpoint-ack':
        return { type: 'checkpoint-ack-response', id: m.id, accepted: this.#checkpoints.ack(m) }
      case 'checkpoint-decline':
        return { type: 'checkpoint-ack-response', id: m.id, accepted: this.#checkpoints.decline(m) }
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
            log.error('refused a checkpoint trigger for job %s from %s: %s', m.jobId, from ?? 'this peer', err instanceof Error ? err.message : err)
            throw err
          }
          return { type: 'trigger-checkpoint-response', id: m.id, ...this.#tasks.trigger(m.jobId, m.attempt, { checkpointId: m.checkpointId, kind: m.kind }) }
        }
        case 'checkpoint-ack':
        case 'checkpoint-decline':
        case 'task-report': {
          const problem = reportProblem(this.registry, m, from)
          if (problem !== undefined) {
            log.error('refused %s: %s', m.type, problem)
            throw new ForbiddenReportError(problem, from)
          }
          // a peer's own report goes to the leader itself: a forwarded one would arrive
          // from the forwarding peer, which may not speak for it
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
          return { type: 'savepoints-response', id: m.id, savepoints: this.registry.savepoints.slice(-MAX_SAVEPOINTS) }
        }
        case 'await-job':
          return await this.#await(m.id, m.jobId, options.signal)
        default:
          return undefined
      }
    } catch (err) {
      return errorAnswer(m.id, err)
    }
  }

  async #await (id: number, jobId: string, callerSignal?: AbortSignal): Promise<Answer> {
    // a waiter ends with the caller, or when this peer stops (it would never hear the end)
    const signal = callerSignal === undefined ? this.#stopping.signal : AbortSignal.any([callerSignal, this.#stopping.signal])
    let job = this.registry.job(jobId)
    if (job === undefined) throw new JobNotFoundError(jobId)
    if (!TERMINAL_STATES.has(job.state)) {
      // the waiter goes away with the client's stream, so nothing piles up behind long jobs;
      // it answers with the record the 'ended' event carries (the registry replaces records,
      // and may forget an ended job)
      job = await new Promise<JobRecord>((resolve, reject) => {
        const done = (): void => {
          off()
          signal?.removeEventListener('abort', aborted)
        }
        const aborted = (): void => { done(); reject(signal?.reason ?? new Error('Aborted')) }
        const off = this.registry.on('ended', j => { if (j.id === jobId) { done(); resolve(j) } })
        if (signal?.aborted === true) aborted()
        else signal?.addEventListener('abort', aborted, { once: true })
      })
    }
    return { type: 'job-result', id, jobId, state: job.state, ...(job.error === undefined ? {} : { error: job.error.slice(0, 16_000) }) }
  }

  /**
   * Submits a job from this peer: bundles the module, stores its code here and asks the
   * JobManager to run it; resolves with the job id once the job is recorded.
   */
  async submit (path: string, options: { name: string, parallelism: number, maxParallelism?: number, args?: Readonly<Record<string, string>>, fromSavepoint?: string, allowNonRestoredState?: boolean }): Promise<string> {
    const bundle = await bundleJob(path)
    // the code is stored here and on R peers, so the job restarts wherever this peer is gone
    const cid = await writeLarge({
      putMany: async blocks => {
        const cids = await this.blocks.putMany(blocks)
        await Promise.all(blocks.map(async b => await this.replicator.put(b, { signal: AbortSignal.timeout(STORE_TIMEOUT_MS) })))
        return cids
      }
    }, new TextEncoder().encode(bundle.code))
    const answer = await this.answer({
      type: 'submit-job',
      id: 0,
      name: options.name,
      codeCid: cid.toString(),
      args: { ...(options.args ?? {}) },
      parallelism: options.parallelism,
      ...(options.maxParallelism === undefined ? {} : { maxParallelism: options.maxParallelism }),
      submitter: this.#c.selfId,
      ...(options.fromSavepoint === undefined ? {} : { fromSavepoint: options.fromSavepoint }),
      ...(options.allowNonRestoredState === undefined ? {} : { allowNonRestoredState: options.allowNonRestoredState })
    })
    if (answer?.type === 'submit-job-response') return answer.jobId
    if (answer?.type === 'error-response') throw new RemoteError(answer.code, answer.message, answer.retriable)
    throw new RemoteError('internal', `Unexpected answer ${answer?.type ?? 'none'} to a submission`, false)
  }

  /**
   * Takes a savepoint of a running job through the JobManager; with `stop` the job ends
   * once the savepoint completed (`'drain'` fires every event-time window first).
   */
  async savepoint (jobId: string, name: string, options: { stop?: 'drain' | 'no-drain' } = {}): Promise<{ name: string, checkpointId: number, cid: string }> {
    const answer = await this.answer({ type: 'trigger-savepoint', id: 0, jobId, name, ...(options.stop === undefined ? {} : { stop: options.stop }) })
    if (answer?.type === 'savepoint-response') return { name: answer.name, checkpointId: answer.checkpointId, cid: answer.cid }
    if (answer?.type === 'error-response') throw new RemoteError(answer.code, answer.message, answer.retriable)
    throw new RemoteError('internal', `Unexpected answer ${answer?.type ?? 'none'} to a savepoint`, false)
  }

  /** Deletes a savepoint through the JobManager (its blocks become garbage). */
  async deleteSavepoint (name: string): Promise<void> {
    const answer = await this.answer({ type: 'delete-savepoint', id: 0, name })
    if (answer?.type === 'error-response') throw new RemoteError(answer.code, answer.message, answer.retriable)
  }

  /** Resolves when the job has finished, failed or been cancelled. */
  async result (jobId: string): Promise<{ state: string, error: string | undefined }> {
    const answer = await this.#await(0, jobId)
    if (answer.type !== 'job-result') throw new RemoteError('internal', `Unexpected answer ${answer.type}`, false)
    return { state: answer.state, error: answer.error }
  }

  /** Cancels a job through the JobManager; resolves with the job's state. */
  async cancel (jobId: string): Promise<string> {
    const answer = await this.answer({ type: 'cancel-job', id: 0, jobId })
    if (answer?.type === 'cancel-job-response') return answer.state
    if (answer?.type === 'error-response') throw new RemoteError(answer.code, answer.message, answer.retriable)
    throw new RemoteError('internal', `Unexpected answer ${answer?.type ?? 'none'} to a cancel`, false)
  }

  /**
   * Every job, in the shape of `meshflow jobs --json`, with its checkpoints and the latest
   * `MAX_RESTORE_HISTORY` (re)starts.
   */
  jobs (): JobInfo[] {
    return this.registry.jobs.map(j => {
      const latest = j.checkpoints.latest
      return {
        id: j.id,
        name: j.name,
        state: j.state,
        restarts: j.restarts,
        tasks: j.tasks.map(t => ({ vertex: t.vertex, subtask: t.subtask, peer: t.peer })),
        ...(j.error === undefined ? {} : { error: j.error.slice(0, 16_000) }),
        checkpoints: latest === undefined
          ? { completed: j.checkpoints.completed }
          : { completed: j.checkpoints.completed, latest: { id: latest.id, cid: latest.cid, at: latest.at } },
        restoreHistory: j.restoreHistory.slice(-MAX_RESTORE_HISTORY).map(r => ({ attempt: r.attempt, checkpointId: r.checkpointId, at: r.at }))
      }
    })
  }
}

function errorAnswer (id: number, err: unknown): Answer {
  const message = (err instanceof Error ? err.message : String(err)).slice(0, 16_000)
  if (err instanceof JobRejectedError) return { type: 'error-response', id, code: 'bad-request', message, retriable: false }
  if (err instanceof JobNotFoundError) return { type: 'error-response', id, code: 'not-found', message, retriable: false }
  if (err instanceof NoLeaderError) return { type: 'error-response', id, code: 'no-leader', message, retriable: true }
  if (err instanceof ForbiddenReportError || err instanceof StaleLeaderError || err instanceof ForgedCommandError) {
    return { type: 'error-response', id, code: 'forbidden', message, retriable: false }
  }
  // a term this peer has not caught up with: the JobManager's next command may be accepted
  if (err instanceof UnknownTermError) return { type: 'error-response', id, code: 'forbidden', message, retriable: true }
  if (err instanceof RemoteError) return { type: 'error-response', id, code: err.code as 'internal', message, retriable: err.retriable }
  return { type: 'error-response', id, code: 'internal', message, retriable: false }
}

/** Wraps a registry listener so that its failure is logged, never thrown into `apply`. */
function guarded<T extends { id: string } | { job: { id: string } }> (what: string, listener: (detail: T) => void): (detail: T) => void {
  return detail => {
    try {
      listener(detail)
    } catch (err) {
      const id = 'job' in detail ? detail.job.id : detail.id
      log.error('%s job %s failed: %s', what, id, err instanceof Error ? err.message : err)
    }
  }
}
