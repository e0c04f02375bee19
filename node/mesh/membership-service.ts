/**
 * Who is in the mesh, and who is alive (DESIGN §5). When peers connect, each says `hello`
 * (addresses, labels, slots, role) on `/meshflow/membership/1`, then sends a heartbeat every
 * interval; a peer silent for longer than the failure timeout is declared lost, and one that
 * stops on purpose says `goodbye`. Peers found by mDNS are dialled.
 *
 * Events: `peer:join` (a peer was heard from for the first time, or again after being lost),
 * `peer:update` (its heartbeat changed its role, term or leader), `peer:lost` (silent past
 * the timeout) and `peer:left` (said goodbye).
 */
import type { Libp2p, PeerId } from '@libp2p/interface'
import { logger } from '@libp2p/logger'
import { MEMBERSHIP_CODEC } from '../../protocol/codec.ts'
import { createMessageHandler } from '../../protocol/message-handler.ts'
import type { Hello, MembershipMessage, PeerRole } from '../../protocol/membership.ts'
import { DEFAULT_HEARTBEAT_INTERVAL_MS, DEFAULT_FAILURE_TIMEOUT_MS, CONTROL_STREAM_LIMITS } from './constants.ts'
import { FailureDetector } from './failure-detector.ts'
import { MessageLinks } from './message-links.ts'
import { TypedEvents } from './typed-events.ts'
import { errorMessage } from '../../protocol/error-message.ts'

const log = logger('meshflow:mesh:membership')

/** What a peer tells the others about itself. */
export interface SelfInfo {
  readonly addrs: readonly string[]
  readonly labels: Readonly<Record<string, string>>
  readonly slots: number
  readonly freeSlots: number
  readonly version: string
  readonly startedAt: number
  readonly role: PeerRole
  readonly term: number | undefined
  readonly leaderId: string | undefined
  /** Repairing its Raft state (see `Hello.repairing`). */
  readonly repairing?: boolean
  /** Its Raft group and, while the group is being founded, the group's initial voters. */
  readonly group?: string | undefined
  readonly founding?: readonly string[] | undefined
}

export interface MemberInfo {
  readonly id: string
  addrs: readonly string[]
  labels: Readonly<Record<string, string>>
  slots: number
  freeSlots: number
  version: string
  startedAt: number
  role: PeerRole
  term: number | undefined
  leaderId: string | undefined
  /** It says it repairs its Raft state (see `Hello.repairing`). */
  repairing?: boolean
  /** The Raft group it says it belongs to, and the initial voters it announces (see RaftGroupInfo). */
  group: string | undefined
  founding: readonly string[] | undefined
  /** 'alive' while heard from within the timeout; 'lost' after; removed on goodbye. */
  state: 'alive' | 'lost'
  /** When it was declared lost (ms since the epoch). */
  lostAt: number | undefined
}

export interface MembershipEvents extends Record<string, unknown> {
  'peer:join': MemberInfo
  'peer:update': MemberInfo
  'peer:lost': MemberInfo
  'peer:left': MemberInfo
}

export interface MembershipServiceInit {
  readonly self: () => SelfInfo
  readonly heartbeatIntervalMs?: number
  readonly failureTimeoutMs?: number
  readonly now?: () => number
}

export class MembershipService extends TypedEvents<MembershipEvents> {
  readonly #node: Libp2p
  readonly #init: MembershipServiceInit
  readonly #detector: FailureDetector
  readonly #members = new Map<string, MemberInfo>()
  readonly #links: MessageLinks<MembershipMessage>
  readonly #helloSent = new Set<string>()
  readonly #now: () => number
  readonly #intervalMs: number
  readonly #tickMs: number
  #timer: ReturnType<typeof setInterval> | undefined
  #seq = 0
  #started = false
  #listeners: (() => void)[] = []

  constructor (node: Libp2p, init: MembershipServiceInit) {
    super()
    this.#node = node
    this.#init = init
    this.#now = init.now ?? Date.now
    this.#intervalMs = init.heartbeatIntervalMs ?? DEFAULT_HEARTBEAT_INTERVAL_MS
    this.#tickMs = Math.min(this.#intervalMs, 500)
    this.#detector = new FailureDetector({ timeoutMs: init.failureTimeoutMs ?? DEFAULT_FAILURE_TIMEOUT_MS })
    this.#links = new MessageLinks(node, MEMBERSHIP_CODEC, { maxQueued: 16, log })
  }

  get selfId (): string { return this.#node.peerId.toString() }

  /** Every peer known, alive or lost (not this one). */
  get members (): readonly MemberInfo[] { return [...this.#members.values()] }

  /** Ids of the peers alive now (not this one). */
  get alive (): string[] { return this.#detector.alive }

  member (id: string): MemberInfo | undefined { return this.#members.get(id) }

  async start (): Promise<void> {
    if (this.#started) return
    this.#started = true
    await this.#node.handle(MEMBERSHIP_CODEC.protocol, createMessageHandler(MEMBERSHIP_CODEC, (message, ctx) => {
      const remote = (ctx.connection as { remotePeer: PeerId } | undefined)?.remotePeer.toString()
      if (remote !== undefined && message.peerId !== remote) {
        throw new Error(`Membership message claims to come from ${message.peerId} on a connection from ${remote}`)
      }
      this.#onMessage(message)
    }, { log }), { ...CONTROL_STREAM_LIMITS, runOnLimitedConnection: false })

    const onConnect = (e: CustomEvent<PeerId>): void => { this.#sendHello(e.detail.toString()) }
    const onDisconnect = (e: CustomEvent<PeerId>): void => {
      const id = e.detail.toString()
      this.#helloSent.delete(id)
      this.#links.drop(id)
    }
    const onDiscovery = (e: CustomEvent<{ id: PeerId }>): void => {
      const peer = e.detail.id
      if (peer.equals(this.#node.peerId) || this.#node.getConnections(peer).length > 0) return
      // best effort: mDNS finds peers of other meshes too, whose dials may fail
      void this.#node.dial(peer, { signal: AbortSignal.timeout(3000) }).catch(err => { log('dial of discovered %p failed: %s', peer, errorMessage(err)) })
    }
    this.#node.addEventListener('peer:connect', onConnect)
    this.#node.addEventListener('peer:disconnect', onDisconnect)
    this.#node.addEventListener('peer:discovery', onDiscovery)
    this.#listeners = [
      () => { this.#node.removeEventListener('peer:connect', onConnect) },
      () => { this.#node.removeEventListener('peer:disconnect', onDisconnect) },
      () => { this.#node.removeEventListener('peer:discovery', onDiscovery) }
    ]
    for (const peer of this.#node.getPeers()) this.#sendHello(peer.toString())
    this.#lastTick = this.#now()
    this.#timer = setInterval(() => { this.#tick() }, this.#tickMs)
  }

  /** Says goodbye to every peer, then stops. */
  async stop (reason = 'stopped'): Promise<void> {
    if (!this.#started) return
    this.#started = false
    if (this.#timer !== undefined) clearInterval(this.#timer)
    this.#timer = undefined
    // every peer we greeted, also one we think lost: a stall of our own loop can make us
    // declare a live peer lost, and it must still learn at once that we leave
    for (const id of new Set([...this.#detector.alive, ...this.#helloSent])) this.#links.send(id, { type: 'goodbye', peerId: this.selfId, reason })
    // let the goodbyes leave before the streams close (bounded: a dead peer must not hold us)
    await this.#links.flush(1000)
    for (const remove of this.#listeners) remove()
    this.#listeners = []
    await this.#links.stop()
    await this.#node.unhandle(MEMBERSHIP_CODEC.protocol)
  }

  /** Sends a heartbeat to every peer now (after a role change, say) instead of waiting. */
  announce (): void {
    for (const peer of this.#node.getPeers()) {
      const id = peer.toString()
      if (this.#helloSent.has(id)) this.#links.send(id, this.#heartbeat())
      else this.#sendHello(id)
    }
  }

  #hello (): Hello {
    const s = this.#init.self()
    return {
      type: 'hello',
      peerId: this.selfId,
      addrs: [...s.addrs],
      labels: { ...s.labels },
      slots: s.slots,
      freeSlots: s.freeSlots,
      version: s.version,
      startedAt: s.startedAt,
      role: s.role,
      ...(s.term === undefined ? {} : { term: s.term }),
      ...(s.leaderId === undefined ? {} : { leaderId: s.leaderId }),
      ...(s.repairing === true ? { repairing: true as const } : {}),
      ...(s.group === undefined ? {} : { group: s.group }),
      ...(s.founding === undefined || s.group === undefined ? {} : { founding: [...s.founding] })
    }
  }

  #heartbeat (): MembershipMessage {
    const s = this.#init.self()
    return {
      type: 'heartbeat',
      peerId: this.selfId,
      seq: ++this.#seq,
      freeSlots: s.freeSlots,
      role: s.role,
      ...(s.term === undefined ? {} : { term: s.term }),
      ...(s.leaderId === undefined ? {} : { leaderId: s.leaderId }),
      ...(s.repairing === true ? { repairing: true as const } : {}),
      ...(s.group === undefined ? {} : { group: s.group }),
      ...(s.founding === undefined || s.group === undefined ? {} : { founding: [...s.founding] })
    }
  }

  #sendHello (id: string): void {
    if (!this.#started || id === this.selfId) return
    this.#helloSent.add(id)
    this.#links.send(id, this.#hello())
  }

  #lastBeat = 0
  #lastTick = 0
  #tick (): void {
    const now = this.#now()
    // a tick more than a tick late ends a stall of our own loop: the silence we could not
    // hear does not count against the peers (their heartbeats may wait behind this tick)
    const late = now - this.#lastTick - this.#tickMs
    this.#lastTick = now
    if (late > this.#tickMs) {
      log('loop stalled for %d ms: not counted against the peers', Math.round(late))
      this.#detector.forgive(late)
    }
    if (now - this.#lastBeat >= this.#intervalMs) {
      this.#lastBeat = now
      for (const peer of this.#node.getPeers()) {
        const id = peer.toString()
        if (this.#helloSent.has(id)) this.#links.send(id, this.#heartbeat())
        else this.#sendHello(id)
      }
    }
    for (const id of this.#detector.expire(now)) {
      const m = this.#members.get(id)
      if (m === undefined) continue
      m.state = 'lost'
      m.lostAt = now
      log('peer %s lost', id)
      this.emit('peer:lost', m)
    }
  }

  #onMessage (message: MembershipMessage): void {
    const id = message.peerId
    if (id === this.selfId) return
    const now = this.#now()
    if (message.type === 'goodbye') {
      const m = this.#members.get(id)
      this.#detector.remove(id)
      this.#members.delete(id)
      if (m !== undefined) {
        log('peer %s left: %s', id, message.reason)
        this.emit('peer:left', m)
      }
      return
    }
    const joined = this.#detector.heard(id, now)
    let m = this.#members.get(id)
    if (message.type === 'hello') {
      if (m === undefined) {
        m = {
          id, addrs: message.addrs, labels: message.labels, slots: message.slots, freeSlots: message.freeSlots,
          version: message.version, startedAt: message.startedAt, role: message.role, term: message.term,
          leaderId: message.leaderId, repairing: message.repairing === true, group: message.group, founding: message.founding, state: 'alive', lostAt: undefined
        }
        this.#members.set(id, m)
      } else {
        Object.assign(m, {
          addrs: message.addrs, labels: message.labels, slots: message.slots, freeSlots: message.freeSlots,
          version: message.version, startedAt: message.startedAt, role: message.role, term: message.term, leaderId: message.leaderId,
          repairing: message.repairing === true,
          group: message.group, founding: message.founding
        })
      }
      // a peer that says hello expects one back (it may have restarted)
      if (!this.#helloSent.has(id)) this.#sendHello(id)
    } else {
      if (m === undefined) {
        // a heartbeat before any hello (we restarted): ask for a hello by sending ours
        this.#detector.remove(id)
        this.#sendHello(id)
        return
      }
      const changed = m.role !== message.role || m.term !== message.term || m.leaderId !== message.leaderId || m.freeSlots !== message.freeSlots ||
        m.group !== message.group || m.founding?.join() !== message.founding?.join()
      m.freeSlots = message.freeSlots
      m.role = message.role
      m.term = message.term
      m.leaderId = message.leaderId
      m.repairing = message.repairing === true
      m.group = message.group
      m.founding = message.founding
      if (changed && !joined) this.emit('peer:update', m)
    }
    if (joined || m.state === 'lost') {
      m.state = 'alive'
      m.lostAt = undefined
      log('peer %s joined', id)
      this.emit('peer:join', m)
    }
  }
}
