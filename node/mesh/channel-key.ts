/**
 * How a network data channel is named: on the wire (`ChannelKey`, part of `open-channel`),
 * in maps (`keyOf`) and in errors (`channelError`).
 */
import type { OpenChannel } from '../../protocol/data.ts'
import { errorMessage } from '../../protocol/error-message.ts'
import { ChannelError } from './errors.ts'

/**
 * Names one channel of one job attempt on the wire: the job, its attempt, the edge
 * (`producerVertex` is the producer vertex id and the edge's index, as several edges may
 * join two vertices) and the two subtasks.
 */
export type ChannelKey = Omit<OpenChannel, 'type' | 'channel'>

/** The producer and consumer subtasks a channel joins, for messages. */
export function describeChannel (k: ChannelKey): string {
  return `${k.producerVertex.replace(/#\d+$/, '')}[${k.producerSubtask}] -> ${k.consumerVertex}[${k.consumerSubtask}]`
}

/** A ChannelError naming the other peer and the subtasks of the channel. */
export function channelError (direction: 'to' | 'from', peer: string, key: ChannelKey, err: unknown): ChannelError {
  return new ChannelError(`Network channel ${direction} peer ${peer} (${describeChannel(key)}) failed: ${errorMessage(err)}`, { cause: err })
}

/** A map key for a channel of a job attempt. */
export function keyOf (k: ChannelKey): string {
  return `${k.jobId}/${k.attempt}/${k.producerVertex}/${k.producerSubtask}/${k.consumerVertex}/${k.consumerSubtask}`
}
