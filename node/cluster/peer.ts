/**
 * A peer of a meshflow mesh: the programmatic form of `meshflow node`. It opens its store,
 * joins the libp2p mesh, takes part in the Raft group that elects the JobManager (the
 * leader), tracks membership and liveness, and answers client requests.
 *
 * @example
 * const peer = await Peer.start({ listen: ['/ip4/127.0.0.1/tcp/7000'], dataDir: './data', slots: 2, labels: { tier: 'edge' } })
 * peer.on('role-change', ({ role, term }) => console.log(role, term))
 * console.log(peer.status())
 * await peer.stop()
 */
import { basename, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { PeerId } from '@libp2p/interface'
import { logger } from '@libp2p/logger'
import { peerIdFromString } from '@libp2p/peer-id'
import { CLIENT_CODEC, RAFT_CODEC } from '../../protocol/codec.ts'
import { createMessageHandler } from '../../protocol/message-handler.ts'
import type { ClientMessage } from '../../protocol/client.ts'
import type { PeerRole } from '../../protocol/membership.ts'
import type { RaftEnvelope } from '../../protocol/raft.ts'
import type { LogCommand } from '../../protocol/log.ts'
import { decodeLogCommand } from '../../protocol/log-codec.ts'
import { errorMessage } from '../../protocol/error-message.ts'
import { PeerStore } from '../storage/peer-store.ts'
import { RaftLogStore } from '../storage/raft-log-store.ts'
import { loadOrCreatePrivateKey } from '../mesh/identity.ts'
import { createMeshHost, parseMultiaddr, type MeshLibp2p } from '../mesh/mesh-host.ts'
import { BootstrapDialer } from '../mesh/bootstrap-dialer.ts'
import { MembershipService } from '../mesh/membership-service.ts'
import type { JobHandle, PeerEvents, PeerInit, PeerStatus } from './peer-types.ts'
import type { SavepointRecord } from './job-registry.ts'
import { MessageLinks } from '../mesh/message-links.ts'
import { TypedEvents } from '../mesh/typed-events.ts'
import { CONTROL_STREAM_LIMITS } from '../mesh/constants.ts'
import { RaftNode } from './raft/raft-node.ts'
import { NotLeaderError } from './raft/errors.ts'
import { nextConfigChange } from './voter-policy.ts'
import { checkBootstrapExpect, RaftGroup } from './raft-group.ts'
import { slotsUsed } from './scheduler.ts'
import { clientRequest } from './client-request.ts'
import { JobService } from './job-service.ts'
import { RaftRepair } from './raft-repair.ts'
import { buildPeerStatus } from './peer-status.ts'
import { exchangePeers } from './peer-exchange.ts'
import { decodeRegistrySnapshot, encodeRegistrySnapshot } from './job-registry-snapshot.ts'
import { NoLeaderError, PeerStoppedError, RemoteError } from './errors.ts'
import {
  DEFAULT_BOOTSTRAP_DELAY_MS, DEFAULT_MAX_VOTERS, EMBEDDED_SLOTS, DEFAULT_REMOVE_LOST_AFTER_MS, DEFAULT_SLOTS,
  FORWARD_TIMEOUT_MS, MEMBERSHIP_REVIEW_MS
} from './constants.ts'

const log = logger('meshflow:cluster:peer')
const VERSION = '0.1.0'

export type { PeerInit, RoleChange, PeerEvents, PeerStatus, JobHandle } from './peer-types.ts'

export class Peer extends TypedEvents<PeerEvents> {
  readonly id: string
  readonly #init: PeerInit
  readonly #store: PeerStore
  readonly #host: MeshLibp2p
  readonly #raft: RaftNode
  readonly #raftLinks: MessageLinks<RaftEnvelope>
  readonly #membership: MembershipService
  readonly #dialer: BootstrapDialer
  readonly #jobs: JobService
  readonly #startedAt = Date.now()
  /** Which Raft group this peer belongs to; founds one in a fresh mesh. */
  readonly #group: RaftGroup
  #review: ReturnType<typeof setInterval> | undefined
  #reviewing = false
  #role: PeerRole = 'learner'
  #stopped = false
  #requestId = 0
  readonly #raftStore: RaftLogStore
  /** Set while this peer repairs its Raft state (`--repair`, see raft-repair.ts). */
  #repair: RaftRepair | undefined

  private constructor (init: PeerInit, store: PeerStore, host: MeshLibp2p, raftStore: RaftLogStore, repairing: boolean) {
    super()
    this.#init = init
    this.#store = store
    this.#host = host
    this.id = host.peerId.toString()
    this.#raftLinks = new MessageLinks(host, RAFT_CODEC, { maxQueued: 4096 })
    this.#raftStore = raftStore
    this.#repair = repairing
      ? new RaftRepair({
        store: raftStore,
        term: () => this.#raft.term,
        leaderId: () => this.#raft.leaderId,
        done: () => {
          this.#repair = undefined
          this.#updateRole()
          this.#membership.announce()
        }
      })
      : undefined
    this.#raft = new RaftNode({
      storage: raftStore,
      transport: {
        send: envelope => {
          // a repairing peer does not campaign: its vote requests never leave
          if (this.#repair !== undefined && !this.#repair.sends(envelope)) return
          this.#raftLinks.send(envelope.to, envelope)
        }
      },
      // the Raft state machine is the job registry: snapshots hold it, a restore replaces it
      stateMachine: {
        snapshot: () => encodeRegistrySnapshot(this.#jobs.registry.snapshot()),
        restore: (bytes, index) => { this.#jobs.registry.restore(decodeRegistrySnapshot(bytes, index)) }
      }
    }, {
      id: this.id,
      ...(init.raft?.tickMs === undefined ? {} : { tickMs: init.raft.tickMs }),
      ...(init.raft?.electionTicks === undefined ? {} : { electionTicks: init.raft.electionTicks }),
      ...(init.raft?.heartbeatTicks === undefined ? {} : { heartbeatTicks: init.raft.heartbeatTicks }),
      ...(init.raft?.snapshotEvery === undefined ? {} : { snapshotEvery: init.raft.snapshotEvery }),
      ...(init.raft?.snapshotMargin === undefined ? {} : { snapshotMargin: init.raft.snapshotMargin })
    })
    this.#membership = new MembershipService(host, {
      self: () => ({
        addrs: this.multiaddrs,
        labels: init.labels ?? {},
        slots: this.slots,
        freeSlots: this.freeSlots,
        version: VERSION,
        startedAt: this.#startedAt,
        role: this.#role,
        term: this.#raft.term,
        leaderId: this.#raft.leaderId,
        repairing: this.#repair !== undefined,
        ...this.#group.announced
      }),
      ...(init.heartbeatIntervalMs === undefined ? {} : { heartbeatIntervalMs: init.heartbeatIntervalMs }),
      ...(init.failureTimeoutMs === undefined ? {} : { failureTimeoutMs: init.failureTimeoutMs })
    })
    this.#group = new RaftGroup({
      selfId: this.id,
      raft: this.#raft,
      membership: this.#membership,
      store,
      changed: () => {
        this.#updateRole()
        this.#membership.announce()
      }
    }, {
      bootstrapExpect: init.bootstrapExpect,
      bootstrapDelayMs: init.bootstrapDelayMs ?? DEFAULT_BOOTSTRAP_DELAY_MS,
      joinOnly: (init.bootstrap ?? []).length > 0,
      startedAt: this.#startedAt,
      dataDir: init.dataDir
    })
    this.#dialer = new BootstrapDialer(host, { addresses: (init.bootstrap ?? []).map(parseMultiaddr) })
    this.#jobs = new JobService({
      selfId: this.id,
      ...(init.resumeInterrupted === undefined ? {} : { resumeInterrupted: init.resumeInterrupted }),
      ...(init.embedded === true ? { ignorePlacement: true } : {}),
      // a task thread per slot; an embedded peer's slots are many: one per core (the default)
      ...(init.threads !== undefined ? { threads: init.threads } : init.embedded === true ? {} : { threads: Math.max(1, this.slots) }),
      ...(init.taskCancelTimeoutMs === undefined ? {} : { taskCancelTimeoutMs: init.taskCancelTimeoutMs }),
      ...(init.taskMemory === undefined ? {} : { taskMemory: init.taskMemory }),
      ...(init.segmentCacheBytes === undefined ? {} : { segmentCacheBytes: init.segmentCacheBytes }),
      host,
      store,
      dataDir: init.dataDir,
      isLeader: () => this.#raft.role === 'leader',
      leaderId: () => this.#raft.leaderId,
      propose: async command => await this.#proposeHere(command, AbortSignal.timeout(FORWARD_TIMEOUT_MS)),
      fencingToken: () => this.#raft.fencingToken,
      ...(init.storage === undefined ? {} : { storage: init.storage }),
      peers: () => [
        { id: this.id, labels: init.labels ?? {}, slots: this.slots, startedAt: this.#startedAt },
        ...this.#membership.members.filter(m => m.state === 'alive').map(m => ({ id: m.id, labels: m.labels, slots: m.slots, startedAt: m.startedAt }))
      ]
    })
  }

  /** Starts a peer: opens its store, listens, joins the mesh and the Raft group. */
  static async start (given: PeerInit): Promise<Peer> {
    // an embedded mesh of one has defaults of its own (see PeerInit.embedded)
    const init: PeerInit = given.embedded === true
      ? { listen: [], mdns: false, slots: EMBEDDED_SLOTS, bootstrapDelayMs: 0, ...given }
      : given
    for (const b of init.bootstrap ?? []) parseMultiaddr(b)
    const slots = init.slots ?? DEFAULT_SLOTS
    if (!Number.isInteger(slots) || slots < 0) throw new RangeError(`Slots must be a non-negative integer, got ${slots}`)
    if (init.threads !== undefined && (!Number.isInteger(init.threads) || init.threads < 0)) throw new RangeError(`Threads must be a non-negative integer, got ${init.threads}`)
    checkBootstrapExpect(init.bootstrapExpect, init.maxVoters ?? DEFAULT_MAX_VOTERS)
    const store = await PeerStore.open(init.dataDir, { repair: init.repair === true })
    let host: MeshLibp2p | undefined
    try {
      const raftStore = new RaftLogStore(store)
      if (init.repair === true) {
        const dropped = await raftStore.wipe()
        log.error('repair: dropped the Raft state in %s (%d log entries%s); rejoining as a learner', init.dataDir, dropped,
          store.recoveredFrom === undefined ? '' : `, write-ahead log recovered up to its damage: ${store.recoveredFrom}`)
      }
      const repairing = await raftStore.isRepairing()
      const privateKey = await loadOrCreatePrivateKey(store)
      host = await createMeshHost({
        privateKey,
        ...(init.listen === undefined ? {} : { listen: init.listen }),
        ...(init.mdns === undefined ? {} : { mdns: init.mdns }),
        ...(init.psk === undefined ? {} : { psk: init.psk })
      })
      const peer = new Peer(init, store, host, raftStore, repairing)
      await peer.#start()
      return peer
    } catch (err) {
      await Promise.resolve(host?.stop()).catch(() => {})
      await store.close().catch(() => {})
      throw err
    }
  }

  get slots (): number { return this.#init.slots ?? DEFAULT_SLOTS }
  /** Slots not taken by a running job's subtasks (slot sharing: one per parallel pipeline). */
  get freeSlots (): number {
    return Math.max(0, this.slots - (this.#jobs.registry.slotsInUse(slotsUsed).get(this.id) ?? 0))
  }
  get multiaddrs (): string[] { return this.#host.getMultiaddrs().map(String) }
  get role (): PeerRole { return this.#role }
  get term (): number { return this.#raft.term }
  get leaderId (): string | undefined { return this.#raft.leaderId }
  get isLeader (): boolean { return this.#raft.role === 'leader' }
  /** The libp2p node, for protocols layered on the mesh. */
  get host (): MeshLibp2p { return this.#host }
  get membership (): MembershipService { return this.#membership }
  /** `(term, leaderId)` for JobManager commands; undefined while no leader is known. */
  get fencingToken (): { term: number, leaderId: string } | undefined { return this.#raft.fencingToken }
  /** Committed log entries (from index 1) in this peer's log. */
  get commitIndex (): number { return this.#raft.commitIndex }
  /** Index of the latest Raft snapshot (0 without one) and the first index left in the log. */
  get raftLog (): { snapshotIndex: number, firstIndex: number } { return { snapshotIndex: this.#raft.snapshotIndex, firstIndex: this.#raft.firstIndex } }

  async #start (): Promise<void> {
    if (this.#init.warmThreads !== undefined) this.#jobs.warmThreads(this.#init.warmThreads)
    await this.#host.handle(RAFT_CODEC.protocol, createMessageHandler(RAFT_CODEC, (envelope, ctx) => {
      const remote = (ctx.connection as { remotePeer: PeerId } | undefined)?.remotePeer.toString()
      if (envelope.from !== remote || envelope.to !== this.id) {
        throw new Error(`Raft message from ${envelope.from} to ${envelope.to} arrived on a connection from ${remote ?? '?'}`)
      }
      if (this.#repair !== undefined && !this.#repair.admits(envelope)) return
      this.#raft.receive(envelope)
    }, { log }), { ...CONTROL_STREAM_LIMITS })
    await this.#host.handle(CLIENT_CODEC.protocol, createMessageHandler(CLIENT_CODEC, async (message, ctx) => {
      // the remote peer id is authenticated by the connection's noise handshake
      const from = (ctx.connection as { remotePeer: PeerId } | undefined)?.remotePeer.toString()
      await ctx.send(await this.#answer(message, ctx.signal, from))
    }, { log }), { ...CONTROL_STREAM_LIMITS })

    this.#raft.addEventListener('state-change', () => { this.#updateRole() })
    this.#raft.addEventListener('leader-change', e => { this.emit('leader-change', e.detail) })
    this.#raft.addEventListener('committed', e => {
      this.#repair?.committed(e.detail)
      this.#jobs.apply(e.detail)
      this.emit('committed', e.detail)
    })
    this.#raft.addEventListener('error', e => { log.error('raft stopped on an error: %e', e.detail) })
    this.#group.on('conflict', c => { this.emit('group-conflict', c) })
    this.#membership.on('peer:join', m => {
      this.#group.joined()
      this.emit('peer:join', m)
      // runs in the background; a failure only means fewer shortcuts to other peers
      void exchangePeers(this.#host, this.id, m.id, ++this.#requestId) // never throws: failures are logged
    })
    this.#membership.on('peer:lost', m => {
      this.#jobs.peerLost(m.id)
      this.emit('peer:leave', { id: m.id, reason: 'lost' })
    })
    this.#membership.on('peer:left', m => {
      this.#raftLinks.drop(m.id)
      this.#jobs.peerLost(m.id)
      this.emit('peer:leave', { id: m.id, reason: 'left' })
    })

    await this.#jobs.start()
    await this.#raft.start()
    this.#jobs.replayedThrough(this.#raft.lastIndex)
    await this.#group.load()
    if (this.#init.forceNewMesh === true) await this.#group.forceNew({ signal: AbortSignal.timeout(FORWARD_TIMEOUT_MS) })
    this.#updateRole()
    await this.#membership.start()
    this.#dialer.start()
    this.#review = setInterval(() => { void this.#reviewMembership() }, MEMBERSHIP_REVIEW_MS)
    void this.#reviewMembership() // settles by itself (logs its failures); a lone peer founds its group at once
  }

  #updateRole (): void {
    const raftRole = this.#raft.role
    const config = this.#raft.configuration
    const role: PeerRole = raftRole === 'leader'
      ? 'leader'
      : raftRole === 'candidate' || raftRole === 'pre-candidate'
        ? 'candidate'
        : config.voters.includes(this.id) && this.#repair === undefined ? 'follower' : 'learner'
    const changed = role !== this.#role
    this.#role = role
    if (changed) {
      if (role === 'leader') this.#jobs.onLeader()
      else this.#jobs.onFollower()
      this.emit('role-change', { role, term: this.#raft.term, leaderId: this.#raft.leaderId })
      this.#membership.announce()
    }
  }

  /**
   * Every review interval: a fresh mesh's first peer bootstraps the Raft group; the leader
   * adds newcomers as learners and promotes them to voters up to the voter count.
   */
  async #reviewMembership (): Promise<void> {
    if (this.#reviewing || this.#stopped) return
    this.#reviewing = true
    try {
      this.#updateRole()
      // a repairing peer belongs to a group already (its log is gone, not its group): it
      // founds nothing and waits for its leader
      if (this.#repair === undefined) await this.#group.review()
      if (this.#raft.role !== 'leader') return
      const config = this.#raft.configuration
      // peers of another Raft group are never taken in (the group reports them as a conflict)
      const live = new Set([this.id, ...this.#membership.alive.filter(id => this.#group.accepts(id))])
      const lostForMs = new Map<string, number>()
      const now = Date.now()
      for (const m of this.#membership.members) if (m.state === 'lost' && m.lostAt !== undefined) lostForMs.set(m.id, now - m.lostAt)
      const change = nextConfigChange({
        config,
        leaderId: this.id,
        live,
        lostForMs,
        caughtUp: id => this.#raft.isCaughtUp(id),
        maxVoters: this.#init.maxVoters ?? DEFAULT_MAX_VOTERS,
        removeLostAfterMs: this.#init.removeLostAfterMs ?? DEFAULT_REMOVE_LOST_AFTER_MS,
        repairing: new Set(this.#membership.members.filter(m => m.repairing === true).map(m => m.id))
      })
      if (change === undefined) return
      log('configuration change: %s %s', change.type, change.id)
      await this.#raft.changeConfiguration(change, { signal: AbortSignal.timeout(FORWARD_TIMEOUT_MS) })
      this.#updateRole()
    } catch (err) {
      log('membership review: %s', errorMessage(err))
    } finally {
      this.#reviewing = false
    }
  }

  /** Whether this peer is repairing its Raft state (started with `repair`, not caught up yet). */
  get repairing (): boolean { return this.#repair !== undefined }

  /** The mesh as this peer sees it, in the shape of `meshflow status --json`. */
  status (): PeerStatus {
    return buildPeerStatus({
      self: {
        id: this.id,
        addrs: this.multiaddrs,
        labels: { ...(this.#init.labels ?? {}) },
        slots: this.slots,
        freeSlots: this.freeSlots,
        role: this.#role,
        scrub: this.#jobs.scrubber.stats
      },
      members: this.#membership.members,
      leaderId: this.#raft.leaderId,
      term: this.#raft.term,
      voters: this.#raft.configuration.voters,
      groupId: this.#group.id,
      warnings: this.#group.warnings()
    })
  }

  /**
   * Commits a validated command to the metadata log; this peer leads. Clients never reach
   * this with a command of their own (DESIGN §9): the JobManager builds every command.
   *
   * @throws {MalformedMessageError} when the command is not a valid log command
   */
  async #proposeHere (command: LogCommand, signal: AbortSignal): Promise<{ index: number, term: number }> {
    return await this.#raft.propose(decodeLogCommand(command), { signal })
  }

  /**
   * Commits a marker entry (one that changes nothing) to the metadata log through the leader
   * (forwarded when this peer does not lead): proves that the log accepts writes. Retries
   * while an election runs, up to `timeoutMs`.
   */
  async mark (text: string, options: { signal?: AbortSignal, timeoutMs?: number } = {}): Promise<{ index: number, term: number }> {
    const signal = AbortSignal.any([AbortSignal.timeout(options.timeoutMs ?? FORWARD_TIMEOUT_MS), ...(options.signal === undefined ? [] : [options.signal])])
    for (;;) {
      if (this.#stopped) throw new PeerStoppedError()
      try {
        if (this.#raft.role === 'leader') return await this.#proposeHere({ op: 'marker', text }, signal)
        const leader = this.#raft.leaderId
        if (leader === undefined) throw new NoLeaderError()
        const answer = await clientRequest(this.#host, peerIdFromString(leader), { type: 'mark-request', id: ++this.#requestId, text }, { signal })
        if (answer.type !== 'mark-response') throw new RemoteError('internal', `Unexpected answer ${answer.type}`, false)
        return { index: answer.index, term: answer.term }
      } catch (err) {
        const retriable = err instanceof NoLeaderError || err instanceof NotLeaderError || (err instanceof RemoteError && err.retriable)
        if (!retriable || signal.aborted) throw signal.aborted ? new NoLeaderError('No leader committed the marker in time', { cause: err }) : err
        await this.#leaderChangeOr(100)
      }
    }
  }

  /** Resolves at the next leader change, or after `ms`. */
  async #leaderChangeOr (ms: number): Promise<void> {
    await new Promise<void>(resolve => {
      const timer = setTimeout(done, ms)
      const off = this.on('leader-change', done)
      function done (): void {
        clearTimeout(timer)
        off()
        resolve()
      }
    })
  }

  /**
   * Submits a job module to the mesh through this peer and returns a handle to it.
   *
   * @example
   * const handle = await peer.submit(new URL('./job.ts', import.meta.url), { parallelism: 4 })
   * const { state } = await handle.result()
   */
  async submit (job: string | URL, options: {
    parallelism?: number, maxParallelism?: number, name?: string, args?: Readonly<Record<string, string>>,
    /** Restores the state of this savepoint (by operator uid, at any parallelism). */
    fromSavepoint?: string, allowNonRestoredState?: boolean
  } = {}): Promise<JobHandle> {
    const path = job instanceof URL ? fileURLToPath(job) : job
    const name = options.name ?? basename(dirname(path)) + '/' + basename(path)
    const jobs = this.#jobs
    const id = await jobs.submit(path, {
      name,
      parallelism: options.parallelism ?? 1,
      ...(options.maxParallelism === undefined ? {} : { maxParallelism: options.maxParallelism }),
      ...(options.args === undefined ? {} : { args: options.args }),
      ...(options.fromSavepoint === undefined ? {} : { fromSavepoint: options.fromSavepoint }),
      ...(options.allowNonRestoredState === undefined ? {} : { allowNonRestoredState: options.allowNonRestoredState })
    })
    return {
      id,
      result: async () => await jobs.result(id),
      cancel: async () => await jobs.cancel(id),
      savepoint: async (name, o = {}) => await jobs.savepoint(id, name, o)
    }
  }

  /** Every savepoint of the mesh, oldest first. */
  savepoints (): SavepointRecord[] { return this.#jobs.registry.savepoints }

  /** Deletes a savepoint (`meshflow savepoint --delete NAME`). */
  async deleteSavepoint (name: string): Promise<void> { await this.#jobs.deleteSavepoint(name) }

  /** The jobs of the mesh as this peer knows them (`meshflow jobs --json`). */
  jobs (): ReturnType<JobService['jobs']> { return this.#jobs.jobs() }

  /** The peer's job service (registry, block store, data plane). */
  get jobService (): JobService { return this.#jobs }

  async #answer (message: ClientMessage, signal: AbortSignal | undefined, from: string | undefined): Promise<ClientMessage> {
    const jobAnswer = await this.#jobs.answer(message, { signal, from })
    if (jobAnswer !== undefined) return jobAnswer
    switch (message.type) {
      case 'status-request':
        return { type: 'status-response', id: message.id, ...this.status() }
      case 'mark-request':
        try {
          const { index, term } = await this.mark(message.text)
          return { type: 'mark-response', id: message.id, index, term }
        } catch (err) {
          const retriable = err instanceof NoLeaderError || (err instanceof RemoteError && err.retriable)
          return { type: 'error-response', id: message.id, code: retriable ? 'no-leader' : 'internal', message: errorMessage(err), retriable }
        }
      default:
        return { type: 'error-response', id: 'id' in message ? message.id : 0, code: 'bad-request', message: `Peers do not accept '${message.type}' messages`, retriable: false }
    }
  }

  /**
   * Stops the peer. A leader first hands leadership to another voter, so the mesh has a
   * JobManager again at once; then the peer says goodbye and closes everything. Safe to
   * call twice.
   */
  async stop (): Promise<void> {
    if (this.#stopped) return
    this.#stopped = true
    if (this.#review !== undefined) clearInterval(this.#review)
    this.#review = undefined
    if (this.#raft.role === 'leader' && this.#raft.configuration.voters.length > 1) {
      try {
        const to = await this.#raft.transferLeadership(undefined, { signal: AbortSignal.timeout(2000) })
        log('handed leadership to %s', to)
      } catch (err) {
        log('leadership transfer failed: %s', errorMessage(err))
      }
    }
    this.#dialer.stop()
    await this.#jobs.stop()
    await this.#membership.stop('stopped')
    await this.#raft.stop()
    await this.#raftLinks.stop()
    await this.#host.stop()
    await this.#store.close()
  }
}
