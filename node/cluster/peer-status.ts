/**
 * A peer's status (`meshflow status --json`) built from what the peer knows: itself, the
 * members its membership service tracks, and its Raft view.
 */
import type { MemberInfo } from '../mesh/membership-service.ts'
import type { PeerStatus } from './peer-types.ts'

/** What a status is built from. */
export interface PeerStatusSources {
  readonly self: PeerStatus['peers'][number]
  readonly members: readonly MemberInfo[]
  readonly leaderId: string | undefined
  readonly term: number
  readonly voters: readonly string[]
  readonly groupId: string | undefined
  readonly warnings: NonNullable<PeerStatus['warnings']>
}

/** The mesh as a peer sees it; peers sorted by id. */
export function buildPeerStatus (s: PeerStatusSources): PeerStatus {
  // A peer's own heartbeat can be a second old; where it disagrees with this peer's Raft
  // (a deposed leader that has not spoken since), the Raft view wins, so a status never
  // shows two leaders.
  const leader = s.leaderId
  const voters = new Set(s.voters)
  const roleOf = (m: MemberInfo): PeerStatus['peers'][number]['role'] => {
    if (m.state === 'lost') return 'lost'
    if (leader !== undefined && m.id === leader) return 'leader'
    if (m.role === 'leader') return voters.has(m.id) ? 'follower' : 'learner'
    return m.role
  }
  const others = s.members.map(m => ({
    id: m.id,
    addrs: [...m.addrs],
    labels: { ...m.labels },
    slots: m.slots,
    freeSlots: m.freeSlots,
    role: roleOf(m)
  }))
  return {
    leader: leader ?? null,
    term: s.term,
    peers: [s.self, ...others].sort((a, b) => a.id.localeCompare(b.id)),
    ...(s.groupId === undefined ? {} : { group: s.groupId }),
    voters: [...s.voters],
    ...(s.warnings.length === 0 ? {} : { warnings: [...s.warnings] })
  }
}
