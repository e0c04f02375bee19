/**
 * What travels on a channel between two subtasks: record batches (data) and in-band
 * control elements (watermark, idleness status, end of input). Records always move in
 * batches; a batch carries the values and their event timestamps side by side.
 */

/** Marks a record without an event timestamp. */
export const NO_TIMESTAMP = Number.NEGATIVE_INFINITY
/** The watermark at the end of bounded input: every event-time window fires. */
export const MAX_WATERMARK = Number.POSITIVE_INFINITY
export const MIN_WATERMARK = Number.NEGATIVE_INFINITY

export interface RecordBatch {
  readonly type: 'records'
  readonly values: unknown[]
  /** `timestamps[i]` is the event time of `values[i]` (or NO_TIMESTAMP). */
  readonly timestamps: number[]
}

export interface WatermarkElement {
  readonly type: 'watermark'
  readonly timestamp: number
}

/** The producer became idle (excluded from the watermark minimum) or active again. */
export interface StatusElement {
  readonly type: 'status'
  readonly idle: boolean
}

/** The producer will send nothing more on this channel. */
export interface EndOfInputElement {
  readonly type: 'end'
}

/**
 * A checkpoint barrier: everything before it on the channel belongs to checkpoint
 * `checkpointId`, everything after it to the next one.
 */
export interface BarrierElement {
  readonly type: 'barrier'
  readonly checkpointId: number
}

export type ControlElement = WatermarkElement | StatusElement | EndOfInputElement | BarrierElement
export type StreamElement = RecordBatch | ControlElement

export const END_OF_INPUT: EndOfInputElement = Object.freeze({ type: 'end' })
export const IDLE: StatusElement = Object.freeze({ type: 'status', idle: true })
export const ACTIVE: StatusElement = Object.freeze({ type: 'status', idle: false })
