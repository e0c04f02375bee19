/**
 * Record bodies to values and back: JSON, UTF-8 strings and raw bytes built in, a function
 * for anything else.
 */

/** Where a record came from, handed to a deserializer function. */
export interface KinesisRecordInfo {
  readonly stream: string
  readonly shardId: string
  readonly sequenceNumber: string
  readonly partitionKey: string
  /** When Kinesis received the record (ms since the epoch). */
  readonly arrivalTimestamp: number | undefined
}

/** How record bodies become values: `'json'` (default), `'string'` (UTF-8), `'bytes'`, or a function (throw to reject). */
export type KinesisDeserializer<T> = 'json' | 'string' | 'bytes' | ((data: Uint8Array, record: KinesisRecordInfo) => T)

/** How values become record bodies: `'json'` (default), `'string'`, `'bytes'` (a Uint8Array value), or a function. */
export type KinesisSerializer<T> = 'json' | 'string' | 'bytes' | ((value: T) => Uint8Array | string)

const decoder = new TextDecoder('utf-8', { fatal: true })
const encoder = new TextEncoder()

/** The function a deserializer option stands for. */
export function toDeserialize<T> (d: KinesisDeserializer<T> | undefined): (data: Uint8Array, record: KinesisRecordInfo) => T {
  switch (d) {
    case undefined:
    case 'json': return data => JSON.parse(decoder.decode(data)) as T
    case 'string': return data => decoder.decode(data) as T
    case 'bytes': return data => data as T
    default: return d
  }
}

/** The function a serializer option stands for. */
export function toSerialize<T> (s: KinesisSerializer<T> | undefined): (value: T) => Uint8Array {
  switch (s) {
    case undefined:
    case 'json': return value => {
      const text = JSON.stringify(value)
      if (text === undefined) throw new TypeError(`${typeof value} is not JSON`)
      return encoder.encode(text)
    }
    case 'string': return value => encoder.encode(String(value))
    case 'bytes': return value => {
      if (!(value instanceof Uint8Array)) throw new TypeError(`serializer 'bytes' needs Uint8Array values, got ${typeof value}`)
      return value
    }
    default: return value => {
      const out = s(value)
      return typeof out === 'string' ? encoder.encode(out) : out
    }
  }
}
