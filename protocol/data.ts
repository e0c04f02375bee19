/**
 * Data messages (DESIGN §4): what travels between subtasks on different peers, as typed
 * messages. On the wire (`/meshflow/data/2`) a channel's `open-channel` travels as this
 * message's CBOR inside a mux frame, while elements, aborts and credits have compact binary
 * frames of their own (`data-mux.ts`, `element-codec.ts`); the other messages here remain
 * the typed model of the protocol (and what `DATA_CODEC` encodes).
 *
 * The messages mirror the in-memory stream elements of `node/runtime/stream-element.ts`
 * (`records`, `watermark`, `status`, `end`, `barrier`) with a `channel` added, so one stream can carry
 * several channels, plus the two messages only a network needs: `open-channel`, which names
 * the subtasks a channel connects, and `credit`, the receiver's grant for flow control.
 * The codec lives in `codec.ts`.
 *
 * Flow control is credit based, as in Flink's network stack: the receiver grants credits
 * (elements it has buffers for) and the sender never has more in flight than granted, so a
 * slow consumer backpressures its producers instead of filling memory.
 */

/** Marks a record without an event timestamp (same value as the runtime's `NO_TIMESTAMP`). */
export const WIRE_NO_TIMESTAMP = Number.NEGATIVE_INFINITY

/**
 * The first message for a channel, sent by the producer: which edge and subtasks the
 * channel number stands for on this stream. `attempt` fences channels of an earlier run
 * of the job (after a restart) from the current one.
 */
export interface OpenChannel {
  readonly type: 'open-channel'
  readonly channel: number
  readonly jobId: string
  readonly attempt: number
  readonly producerVertex: string
  readonly producerSubtask: number
  readonly consumerVertex: string
  readonly consumerSubtask: number
}

/** A batch of records: `timestamps[i]` is the event time of `values[i]` (or -Infinity). */
export interface WireRecordBatch {
  readonly type: 'records'
  readonly channel: number
  readonly values: readonly unknown[]
  readonly timestamps: readonly number[]
}

/** The producer's event-time watermark (+Infinity at the end of bounded input). */
export interface WireWatermark {
  readonly type: 'watermark'
  readonly channel: number
  readonly timestamp: number
}

/** The producer became idle (left out of the watermark minimum) or active again. */
export interface WireStatus {
  readonly type: 'status'
  readonly channel: number
  readonly idle: boolean
}

/** The producer will send nothing more on this channel. */
export interface WireEndOfInput {
  readonly type: 'end'
  readonly channel: number
}

/** A checkpoint barrier: what came before it on the channel belongs to checkpoint `checkpointId`. */
export interface WireBarrier {
  readonly type: 'barrier'
  readonly channel: number
  readonly checkpointId: number
}

/**
 * Sent by the producer instead of the rest of a channel when its subtasks failed: `reason`
 * says why, so the consumer's failure names the cause and not only a broken stream. Not
 * held back by credit (it is the channel's last message).
 */
export interface WireAbort {
  readonly type: 'abort'
  readonly channel: number
  readonly reason: string
}

/** Sent by the receiver: the producer may send `credits` more elements on `channel`. */
export interface CreditGrant {
  readonly type: 'credit'
  readonly channel: number
  readonly credits: number
}

/** What a producer sends for a channel: its stream elements. */
export type WireStreamElement = WireRecordBatch | WireWatermark | WireStatus | WireEndOfInput | WireBarrier
/** A data message (see above for how `/meshflow/data/2` carries each). */
export type DataMessage = OpenChannel | WireStreamElement | WireAbort | CreditGrant

/** The `type` of every data message. */
export type DataMessageType = DataMessage['type']
