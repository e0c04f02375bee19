/**
 * Which membership change the leader makes next (DESIGN §5): every live peer joins the
 * Raft configuration, first as a learner (it receives the log but does not vote); the
 * first peers, up to `maxVoters`, are promoted to voters once they have caught up with
 * the log. Voters that have been lost for `removeLostAfterMs` are removed, so a live
 * learner can take their place and the quorum stays reachable. One change at a time,
 * as single-server membership changes require (Raft thesis §4.1); the order is
 * deterministic (by peer id) so every leader makes the same choices.
 */
import type { NodeId, RaftConfiguration } from '../../protocol/raft.ts'
import type { ConfigChange } from './raft/types.ts'

export type { ConfigChange }

export interface VoterPolicyInput {
  readonly config: RaftConfiguration
  readonly leaderId: NodeId
  /** Peers heard from within the failure timeout (the leader included). */
  readonly live: ReadonlySet<NodeId>
  /** How long each member not in `live` has been lost, in ms. */
  readonly lostForMs: ReadonlyMap<NodeId, number>
  /** True when the learner's log has caught up with the leader's. */
  readonly caughtUp: (id: NodeId) => boolean
  readonly maxVoters: number
  /** Remove a voter lost for this long (default: never). */
  readonly removeLostAfterMs?: number
  /**
   * Members that say they lost their Raft state and are repairing it (`--repair`): a voter
   * among them is removed (so it is added back as a learner and caught up from scratch),
   * and a learner among them is not promoted.
   */
  readonly repairing?: ReadonlySet<NodeId>
}

export function nextConfigChange (input: VoterPolicyInput): ConfigChange | undefined {
  const { config, live, maxVoters, leaderId } = input
  const members = new Set([...config.voters, ...config.learners])

  const repairing = input.repairing ?? new Set<NodeId>()
  // a voter that lost its log must not stay one: the leader's record of what it holds is
  // wrong (Raft would never send it the entries it lost) and its vote is not safe to count
  const amnesiac = config.voters.filter(id => id !== leaderId && repairing.has(id) && live.has(id)).sort()[0]
  if (amnesiac !== undefined) return { type: 'remove', id: amnesiac }

  const newcomer = [...live].filter(id => !members.has(id)).sort()[0]
  if (newcomer !== undefined) return { type: 'add-learner', id: newcomer }

  const after = input.removeLostAfterMs
  if (after !== undefined) {
    const gone = [...config.voters, ...config.learners]
      .filter(id => id !== leaderId && !live.has(id) && (input.lostForMs.get(id) ?? 0) >= after)
      .sort()[0]
    if (gone !== undefined) return { type: 'remove', id: gone }
  }

  if (config.voters.length < maxVoters) {
    const ready = config.learners.filter(id => live.has(id) && !repairing.has(id) && input.caughtUp(id)).sort()[0]
    if (ready !== undefined) return { type: 'promote', id: ready }
  }
  return undefined
}
