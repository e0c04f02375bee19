/**
 * Built-in (de)serializers of the Kafka connector: JSON, UTF-8 strings and raw bytes, or a
 * function for anything else.
 */
import { KafkaOptionsError } from './errors.ts'

/** A record as read from Kafka, handed to a deserializer function. */
export interface KafkaRecord {
  readonly topic: string
  readonly partition: number
  readonly offset: number
  /** Epoch milliseconds (the producer's or the broker's, per the topic's timestamp type). */
  readonly timestamp: number
  readonly key: Uint8Array | null
  readonly value: Uint8Array | null
  readonly headers: ReadonlyArray<readonly [string, Uint8Array | null]>
}

/** How the source turns a record into a value: `json` parses the value, `string` decodes it as UTF-8, `bytes` hands the raw value. */
export type KafkaDeserializer<T> = 'json' | 'string' | 'bytes' | ((record: KafkaRecord) => T)

/** How the sink turns a value into the record's bytes. */
export type KafkaSerializer<T> = 'json' | 'string' | 'bytes' | ((value: T) => Uint8Array | string)

const decoder = new TextDecoder('utf-8', { fatal: true })
const EMPTY = new Uint8Array(0)

/** A function from a record to a value; throws on a record it cannot read. */
export function deserializerOf<T> (d: KafkaDeserializer<T>): (record: KafkaRecord) => T {
  switch (d) {
    case 'json': return r => JSON.parse(decoder.decode(r.value ?? EMPTY)) as T
    case 'string': return r => decoder.decode(r.value ?? EMPTY) as T
    case 'bytes': return r => (r.value ?? EMPTY) as T
    default:
      if (typeof d !== 'function') throw new KafkaOptionsError(`deserializer must be 'json', 'string', 'bytes' or a function, got ${String(d)}`)
      return d
  }
}

/** A function from a value to the bytes of a record. */
export function serializerOf<T> (s: KafkaSerializer<T>): (value: T) => Buffer {
  switch (s) {
    case 'json': return v => {
      const text = JSON.stringify(v)
      if (text === undefined) throw new TypeError(`${typeof v} has no JSON form`)
      return Buffer.from(text)
    }
    case 'string': return v => {
      if (typeof v !== 'string') throw new TypeError(`serializer 'string' needs strings, got ${typeof v}`)
      return Buffer.from(v)
    }
    case 'bytes': return v => {
      if (!(v instanceof Uint8Array)) throw new TypeError(`serializer 'bytes' needs Uint8Array values, got ${typeof v}`)
      return Buffer.from(v.buffer, v.byteOffset, v.byteLength)
    }
    default: {
      if (typeof s !== 'function') throw new KafkaOptionsError(`serializer must be 'json', 'string', 'bytes' or a function, got ${String(s)}`)
      return v => toBuffer(s(v))
    }
  }
}

/** Bytes of a key or value given as a string or bytes. */
export function toBuffer (v: Uint8Array | string): Buffer {
  if (typeof v === 'string') return Buffer.from(v)
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength)
  throw new TypeError(`expected a string or a Uint8Array, got ${typeof v}`)
}
