/**
 * Which Raft group a peer belongs to, and how a fresh mesh founds one (DESIGN §5).
 *
 * A group is named `<founder peer id>@<founding time in ms>`; the name is kept in the peer
 * store and announced in every membership hello and heartbeat, so two peers of one mesh that
 * belong to different groups notice it: each logs an error naming both groups and peers,
 * emits `conflict`, and lists the other group in its status. A leader never adds a peer of
 * another group to its configuration.
 *
 * Founding, without `--bootstrap-expect`: a fresh peer founds a one-voter group when, after
 * the bootstrap delay without joins, no peer it knows belongs to a group and its id is the
 * smallest of them all; the leader adds the others later.
 *
 * Founding with `--bootstrap-expect N` (Consul's rule): nothing happens until N fresh peers
 * have met. Then the smallest of the N smallest fresh ids (the founder) names the group and
 * its N initial voters and announces them (`founding` in its heartbeats). Every fresh peer
 * named there bootstraps with exactly that configuration (entry 1, term 1) and relays the
 * announcement itself; the founder bootstraps once a majority of the voters hold it. So
 * before anyone can campaign, at least two peers hold or relay the configuration, and
 * losing any one peer (the first leader included) leaves the others able to elect a leader.
 * A peer never founds a group with fewer than N voters, and a peer that sees an existing
 * group waits to be added to it.
 *
 * `--force-new-mesh` (etcd's `--force-new-cluster`): the peer restarts a group alone from its
 * own log under a new name, as its only voter; see `forceNew`.
 */
import { logger } from '@libp2p/logger'
import type { StatusWarning } from '../../protocol/client.ts'
import type { MemberInfo, MembershipService } from '../mesh/membership-service.ts'
import { TypedEvents } from '../mesh/typed-events.ts'
import type { PeerStore } from '../storage/peer-store.ts'
import { ForceNewMeshError } from './errors.ts'
import type { RaftNode } from './raft/raft-node.ts'

const log = logger('meshflow:cluster:raft-group')
const GROUP_KEY = 'raft-group'

export interface RaftGroupComponents {
  readonly selfId: string
  readonly raft: Pick<RaftNode, 'lastIndex' | 'term' | 'role' | 'leaderId' | 'configuration' | 'bootstrap' | 'forceConfiguration'>
  /** The membership view: who is alive, and what each peer announces. */
  readonly membership: Pick<MembershipService, 'members' | 'alive' | 'member'>
  readonly store: Pick<PeerStore, 'getMeta' | 'putMeta'>
  /** Called after this peer's group or configuration changed (role lines, announcements). */
  readonly changed: () => void
}

export interface RaftGroupInit {
  /** Form the first configuration with this many voters once as many fresh peers met. */
  readonly bootstrapExpect?: number | undefined
  /** How long the view must be free of joins before a fresh peer decides. */
  readonly bootstrapDelayMs: number
  /** Started with `--bootstrap` addresses: never found a group before meeting another peer. */
  readonly joinOnly: boolean
  readonly startedAt: number
  /** The data directory, for error messages. */
  readonly dataDir: string
  readonly now?: () => number
}

/** Peers of this mesh that belong to another Raft group. */
export interface GroupConflict {
  readonly group: string
  readonly otherGroup: string
  readonly peers: readonly string[]
  readonly message: string
}

export interface RaftGroupEvents extends Record<string, unknown> {
  conflict: GroupConflict
}

interface Founding {
  readonly group: string
  readonly voters: readonly string[]
  /** Voters seen announcing the group (this peer included once it bootstrapped). */
  readonly confirmed: Set<string>
  bootstrapped: boolean
}

/** A majority of `n` voters. */
export const majority = (n: number): number => Math.floor(n / 2) + 1

/** Whether a member says it belongs to a Raft group (or takes part in one: a term, a leader). */
function inGroup (m: MemberInfo): boolean {
  return m.group !== undefined || (m.term ?? 0) > 0 || m.leaderId !== undefined
}

export class RaftGroup extends TypedEvents<RaftGroupEvents> {
  readonly #c: RaftGroupComponents
  readonly #init: RaftGroupInit
  readonly #now: () => number
  #id: string | undefined
  #founding: Founding | undefined
  #lastJoinAt = 0
  /** `peer group` pairs already reported as conflicts. */
  readonly #reported = new Set<string>()

  constructor (components: RaftGroupComponents, init: RaftGroupInit) {
    super()
    this.#c = components
    this.#init = init
    this.#now = init.now ?? Date.now
  }

  /** The group this peer belongs to; undefined while it has none. */
  get id (): string | undefined { return this.#id }

  /** What membership announces: the group (the founder's, while founding) and its initial voters while founding. */
  get announced (): { group: string | undefined, founding: readonly string[] | undefined } {
    const f = this.#founding
    return { group: this.#id ?? f?.group, founding: f?.voters }
  }

  /** Loads the group's name (a peer with an empty log has none). */
  async load (): Promise<void> {
    if (this.#c.raft.lastIndex === 0) return
    const bytes = await this.#c.store.getMeta(GROUP_KEY)
    if (bytes !== undefined) this.#id = new TextDecoder().decode(bytes)
  }

  /** A peer joined: founding decisions wait for the view to settle again. */
  joined (): void { this.#lastJoinAt = this.#now() }

  /**
   * `--force-new-mesh`: names a new group and, unless this peer is its only voter already,
   * makes it the only voter (every entry it holds is committed). Call once, after the Raft
   * node started and before the peer meets others.
   *
   * @throws {ForceNewMeshError} when this peer has no Raft log
   */
  async forceNew (options: { signal?: AbortSignal } = {}): Promise<void> {
    const raft = this.#c.raft
    if (raft.lastIndex === 0) throw new ForceNewMeshError(this.#init.dataDir)
    const old = this.#id
    await this.#setId(`${this.#c.selfId}@${this.#now()}`)
    const { voters } = raft.configuration
    if (!(voters.length === 1 && voters[0] === this.#c.selfId)) {
      await raft.forceConfiguration({ voters: [this.#c.selfId], learners: [] }, options)
    }
    log.error('--force-new-mesh: %s restarts Raft group %s from its own log as the only voter (was group %s with voters %s)',
      this.#c.selfId, this.#id, old ?? 'unnamed', voters.join(', '))
    this.#c.changed()
  }

  /** Whether the leader may add this member to its configuration: it is fresh or of this group. */
  accepts (id: string): boolean {
    const m = this.#c.membership.member(id)
    return m !== undefined && (m.group === undefined || m.group === this.#id)
  }

  /** One step, every membership review: founds or joins a group, names it, spots conflicts. */
  async review (): Promise<void> {
    if (this.#c.raft.lastIndex === 0) {
      if (this.#init.bootstrapExpect === undefined) await this.#foundAlone()
      else await this.#foundExpected(this.#init.bootstrapExpect)
      return
    }
    await this.#learnId()
    this.#confirm()
    this.#checkConflicts()
  }

  /** What `status` warns about, from this peer's view. */
  warnings (): StatusWarning[] {
    const out: StatusWarning[] = []
    const { raft, membership, selfId } = this.#c
    const alive = new Set([selfId, ...membership.alive])
    const voters = raft.configuration.voters
    // a learner never campaigns, so it may still name a leader that is gone
    const leader = raft.leaderId
    if (voters.length > 0 && (leader === undefined || !alive.has(leader))) {
      const lost = voters.filter(v => !alive.has(v))
      if (voters.length - lost.length < majority(voters.length)) {
        out.push({
          code: 'no-quorum',
          peers: lost,
          message: `no quorum: ${lost.length} of ${voters.length} voters lost (${lost.join(', ')}); no leader can be elected until enough of them return ` +
            '(if they are gone for good, restart one survivor with --force-new-mesh, a last resort)'
        })
      }
    }
    const expect = this.#init.bootstrapExpect
    if (raft.lastIndex === 0 && expect !== undefined && this.#founding === undefined) {
      const met = membership.members.filter(m => m.state === 'alive' && !inGroup(m)).map(m => m.id)
      out.push({ code: 'waiting-for-peers', peers: met, message: `no Raft group yet: ${met.length + 1} of ${expect} peers expected by --bootstrap-expect have met` })
    }
    for (const c of this.#conflicts()) out.push({ code: 'other-group', peers: c.peers, group: c.otherGroup, message: c.message })
    return out
  }

  async #setId (id: string): Promise<void> {
    await this.#c.store.putMeta(GROUP_KEY, new TextEncoder().encode(id))
    this.#id = id
  }

  #settled (): boolean {
    return this.#now() - Math.max(this.#init.startedAt, this.#lastJoinAt) >= this.#init.bootstrapDelayMs
  }

  #others (): MemberInfo[] { return this.#c.membership.members.filter(m => m.state === 'alive') }

  /** The rule without --bootstrap-expect (see the file comment). */
  async #foundAlone (): Promise<void> {
    const { raft, selfId } = this.#c
    if (raft.term > 0 || !this.#settled()) return
    const others = this.#others()
    if (this.#init.joinOnly && others.length === 0) return
    if (others.some(inGroup) || others.some(m => m.id < selfId)) return
    const group = `${selfId}@${this.#now()}`
    log('founding Raft group %s as its first voter', group)
    await this.#setId(group)
    await raft.bootstrap({ voters: [selfId], learners: [] })
    this.#c.changed()
  }

  /** The rule with --bootstrap-expect N (see the file comment). */
  async #foundExpected (n: number): Promise<void> {
    const { selfId } = this.#c
    const others = this.#others()
    const f = this.#founding
    if (f !== undefined) {
      // this peer founded the group: bootstrap once a majority of its voters holds it
      for (const m of others) if (m.group === f.group && f.voters.includes(m.id)) f.confirmed.add(m.id)
      if (f.confirmed.size + 1 >= majority(f.voters.length)) await this.#bootstrap(f)
      return
    }
    for (const m of others) {
      if (m.founding === undefined || m.group === undefined || !m.founding.includes(selfId)) continue
      if (m.founding.length !== n) {
        log.error('peer %s announces Raft group %s with %d initial voters, but this peer expects %d (--bootstrap-expect): every peer must expect the same number',
          m.id, m.group, m.founding.length, n)
        continue
      }
      log('joining Raft group %s founded with voters %s (announced by %s)', m.group, m.founding.join(', '), m.id)
      await this.#bootstrap({ group: m.group, voters: m.founding, confirmed: new Set([m.id]), bootstrapped: false })
      return
    }
    if (!this.#settled() || others.some(inGroup)) return
    const fresh = [selfId, ...others.map(m => m.id)].sort()
    if (fresh.length < n || fresh[0] !== selfId) return
    const voters = fresh.slice(0, n)
    this.#founding = { group: `${selfId}@${this.#now()}`, voters, confirmed: new Set(), bootstrapped: false }
    log('founding Raft group %s with initial voters %s (--bootstrap-expect %d)', this.#founding.group, voters.join(', '), n)
    this.#c.changed()
  }

  /** Writes the founding configuration as entry 1 (the same on every initial voter). */
  async #bootstrap (f: Founding): Promise<void> {
    this.#founding = f
    await this.#setId(f.group)
    await this.#c.raft.bootstrap({ voters: [...f.voters], learners: [] })
    f.bootstrapped = true
    f.confirmed.add(this.#c.selfId)
    this.#c.changed()
  }

  /** Stops relaying the founding once every initial voter announced the group or left the configuration. */
  #confirm (): void {
    const f = this.#founding
    if (f === undefined) return
    for (const m of this.#others()) if (m.group === f.group && f.voters.includes(m.id)) f.confirmed.add(m.id)
    const { voters, learners } = this.#c.raft.configuration
    if (f.voters.every(v => f.confirmed.has(v) || !(voters.includes(v) || learners.includes(v)))) {
      this.#founding = undefined
      this.#c.changed()
    }
  }

  /**
   * A peer that joined through the leader takes the name its leader announces: a leader
   * this peer follows is of its Raft group, whatever it is called, so names converge (a group
   * of older peers that had no name gets the one its first leader gives it).
   */
  async #learnId (): Promise<void> {
    const { raft, membership, selfId } = this.#c
    if (raft.role === 'leader') {
      if (this.#id !== undefined) return
      await this.#setId(`${selfId}@${this.#now()}`)
      this.#c.changed()
      return
    }
    const leader = raft.leaderId === undefined || raft.leaderId === selfId ? undefined : membership.member(raft.leaderId)
    if (leader?.group === undefined || leader.group === this.#id) return
    if (this.#id !== undefined) log('taking the name %s of the group of leader %s (was %s)', leader.group, leader.id, this.#id)
    await this.#setId(leader.group)
    this.#c.changed()
  }

  #conflicts (): GroupConflict[] {
    const self = this.#id
    if (self === undefined) return []
    const byGroup = new Map<string, string[]>()
    for (const m of this.#others()) {
      if (m.group === undefined || m.group === self) continue
      byGroup.set(m.group, [...byGroup.get(m.group) ?? [], m.id])
    }
    return [...byGroup].map(([otherGroup, peers]) => {
      peers.sort()
      const leaders = new Set(peers.map(id => this.#c.membership.member(id)?.leaderId).filter(l => l !== undefined))
      return {
        group: self,
        otherGroup,
        peers,
        message: `split mesh: ${peers.join(', ')} ${peers.length === 1 ? 'belongs' : 'belong'} to Raft group ${otherGroup}` +
          `${leaders.size === 0 ? '' : ` (leader ${[...leaders].join(', ')})`}, this peer ${this.#c.selfId} to group ${self}` +
          `${this.#c.raft.leaderId === undefined ? '' : ` (leader ${this.#c.raft.leaderId})`}; the groups never merge: stop the peers of one ` +
          'group, remove their data directories and start them again to join the other'
      }
    })
  }

  #checkConflicts (): void {
    for (const c of this.#conflicts()) {
      const fresh = c.peers.filter(p => !this.#reported.has(`${p} ${c.otherGroup}`))
      if (fresh.length === 0) continue
      for (const p of fresh) this.#reported.add(`${p} ${c.otherGroup}`)
      log.error('%s', c.message)
      this.emit('conflict', c)
    }
  }
}

/** `--bootstrap-expect N` must be a positive integer no larger than the voter count `maxVoters`. */
export function checkBootstrapExpect (n: number | undefined, maxVoters: number): void {
  if (n === undefined) return
  if (!Number.isInteger(n) || n < 1 || n > maxVoters) throw new RangeError(`Bootstrap expect must be an integer from 1 to the voter count (${maxVoters}), got ${n}`)
}
