/**
 * How the JobManager's checkpoint coordinators reach the source subtasks: a trigger for this
 * peer goes straight to its TaskManager; one for another peer goes over `/meshflow/client/1`
 * carrying this leader's fencing token (DESIGN §5), which the TaskManager there checks.
 */
import { peerIdFromString } from '@libp2p/peer-id'
import type { Libp2p } from '@libp2p/interface'
import type { CheckpointKind } from '../runtime/checkpoint.ts'
import type { TaskManager } from './task-manager.ts'
import { clientRequest } from './client-request.ts'
import { NoLeaderError, RemoteError } from './errors.ts'
import { FORWARD_TIMEOUT_MS } from './constants.ts'
import type { FencingToken } from './raft/types.ts'

export interface CheckpointTriggersComponents {
  readonly selfId: string
  readonly host: Libp2p
  readonly isLeader: () => boolean
  /** This peer's Raft view, `(term, leaderId)`; undefined while no leader is known. */
  readonly fencingToken: () => FencingToken | undefined
  /** This peer's subtasks. */
  readonly tasks: Pick<TaskManager, 'trigger'>
}

/** A checkpoint trigger for the sources of one job attempt on one peer. */
export interface CheckpointTriggerRequest {
  readonly jobId: string
  readonly attempt: number
  readonly checkpointId: number
  readonly kind: CheckpointKind
}

export class CheckpointTriggers {
  readonly #c: CheckpointTriggersComponents
  #requestId = 0

  constructor (components: CheckpointTriggersComponents) {
    this.#c = components
  }

  /** Injects the barrier at `peer`'s sources of the attempt; `accepted` is false when it runs none. */
  async send (peer: string, request: CheckpointTriggerRequest): Promise<{ accepted: boolean, lastCheckpointId: number }> {
    if (peer === this.#c.selfId) return await this.#c.tasks.trigger(request.jobId, request.attempt, request)
    // fencing (DESIGN §5): the TaskManager acts on it only for the current term's leader
    const token = this.#c.isLeader() ? this.#c.fencingToken() : undefined
    if (token === undefined || token.leaderId !== this.#c.selfId) throw new NoLeaderError('This peer no longer leads: checkpoint trigger not sent')
    const answer = await clientRequest(this.#c.host, peerIdFromString(peer), { type: 'trigger-checkpoint', id: ++this.#requestId, term: token.term, leaderId: token.leaderId, ...request }, { signal: AbortSignal.timeout(FORWARD_TIMEOUT_MS) })
    if (answer.type !== 'trigger-checkpoint-response') throw new RemoteError('internal', `Unexpected answer ${answer.type} to a checkpoint trigger`, false)
    return { accepted: answer.accepted, lastCheckpointId: answer.lastCheckpointId }
  }
}
