/**
 * The lines `meshflow node` prints about itself and the mesh after its `listening` lines:
 * one per role change (with the term and, when known, the leader), and one per peer that
 * joins or leaves.
 *
 * @example
 * roleLine({ role: 'follower', term: 3, leaderId: '12D3KooW…' })
 * // 'role follower (TaskManager) term 3 leader 12D3KooW…'
 */
import type { RoleChange } from '../cluster/peer.ts'

/** `role leader (JobManager) term 3`, `role learner (TaskManager, non-voting) term 3 leader <id>` … */
export function roleLine ({ role, term, leaderId }: RoleChange): string {
  const leader = leaderId === undefined ? '' : ` leader ${leaderId}`
  switch (role) {
    case 'leader': return `role leader (JobManager) term ${term}`
    case 'follower': return `role follower (TaskManager) term ${term}${leader}`
    case 'learner': return `role learner (TaskManager, non-voting) term ${term}${leader}`
    case 'candidate': return `role candidate term ${term}`
    default: return `role ${String(role)} term ${term}${leader}`
  }
}

/** `peer joined <id>`, `peer lost <id>` (silent past the failure timeout), `peer left <id>` (said goodbye). */
export function peerLine (event: 'joined' | 'lost' | 'left', id: string): string {
  return `peer ${event} ${id}`
}
