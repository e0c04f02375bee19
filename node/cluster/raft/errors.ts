/**
 * Errors of the Raft core and its driver. Match on `err.name`.
 */
import type { NodeId } from '../../../protocol/raft.ts'
import type { ConfigChange } from './types.ts'

/**
 * A proposal (command, configuration change, leadership transfer) reached a node that is
 * not the leader. `leaderId` is the leader this node knows of, if any: retry there.
 */
export class NotLeaderError extends Error {
  readonly nodeId: NodeId
  readonly leaderId: NodeId | undefined
  constructor (nodeId: NodeId, leaderId: NodeId | undefined, options?: ErrorOptions) {
    super(`Raft node ${nodeId} is not the leader (${leaderId === undefined ? 'leader unknown' : `leader is ${leaderId}`})`, options)
    this.name = 'NotLeaderError'
    this.nodeId = nodeId
    this.leaderId = leaderId
  }
}

/**
 * A configuration change was asked for while another one is not committed yet, or before
 * the new leader committed an entry of its own term (thesis §4.1 and the single-server
 * change bug fix: one uncommitted change at a time). Retry once the earlier one commits.
 */
export class ConfigChangeInProgressError extends Error {
  readonly pendingIndex: number
  constructor (pendingIndex: number, options?: ErrorOptions) {
    super(`A Raft configuration change is in progress (entry ${pendingIndex} is not committed yet)`, options)
    this.name = 'ConfigChangeInProgressError'
    this.pendingIndex = pendingIndex
  }
}

/** A configuration change that does not apply to the current configuration. */
export class InvalidConfigChangeError extends Error {
  readonly change: ConfigChange
  constructor (change: ConfigChange, reason: string, options?: ErrorOptions) {
    super(`Invalid Raft configuration change '${change.type}' of peer ${change.id}: ${reason}`, options)
    this.name = 'InvalidConfigChangeError'
    this.change = change
  }
}

/**
 * The leader is handing leadership over to `transferee` (thesis §3.10) and refuses new
 * proposals meanwhile. Retry at the new leader.
 */
export class LeadershipTransferInProgressError extends Error {
  readonly transferee: NodeId
  constructor (transferee: NodeId, options?: ErrorOptions) {
    super(`Raft leadership is being transferred to ${transferee}: proposals are refused`, options)
    this.name = 'LeadershipTransferInProgressError'
    this.transferee = transferee
  }
}

/** A leadership transfer could not start or did not finish within an election timeout. */
export class LeadershipTransferError extends Error {
  readonly transferee: NodeId | undefined
  constructor (transferee: NodeId | undefined, reason: string, options?: ErrorOptions) {
    super(`Raft leadership transfer${transferee === undefined ? '' : ` to ${transferee}`} failed: ${reason}`, options)
    this.name = 'LeadershipTransferError'
    this.transferee = transferee
  }
}

/**
 * The node lost leadership before the proposed entry committed. The entry may still commit
 * under the next leader: the outcome is unknown, so a retry must be idempotent.
 */
export class LeadershipLostError extends Error {
  readonly index: number
  readonly term: number
  constructor (index: number, term: number, options?: ErrorOptions) {
    super(`Raft leadership of term ${term} was lost before entry ${index} committed; it may still commit`, options)
    this.name = 'LeadershipLostError'
    this.index = index
    this.term = term
  }
}

/** `bootstrap` on a node that already has a log or a term. */
export class BootstrapError extends Error {
  readonly nodeId: NodeId
  constructor (nodeId: NodeId, reason: string, options?: ErrorOptions) {
    super(`Raft node ${nodeId} cannot bootstrap: ${reason}`, options)
    this.name = 'BootstrapError'
    this.nodeId = nodeId
  }
}

/** The `RaftNode` is not started, or stopped while the call was waiting. */
export class RaftNodeStoppedError extends Error {
  readonly nodeId: NodeId
  constructor (nodeId: NodeId, options?: ErrorOptions) {
    super(`Raft node ${nodeId} is not running`, options)
    this.name = 'RaftNodeStoppedError'
    this.nodeId = nodeId
  }
}
