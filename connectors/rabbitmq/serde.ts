/**
 * Turning message bodies into records and back: `'json'`, `'string'` (UTF-8) and `'bytes'`
 * (the body as a Uint8Array) are built in; a function does anything else.
 */
import type { ConsumeMessage } from 'amqplib'

/** A body -> record function; it gets the whole message for its properties and headers. */
export type DeserializerFn<T> = (body: Uint8Array, message: ConsumeMessage) => T

/** How the source turns a message body into a record. */
export type Deserializer<T> = 'json' | 'string' | 'bytes' | DeserializerFn<T>

/** How the sink turns a record into a message body. */
export type Serializer<T> = 'json' | 'string' | 'bytes' | ((value: T) => Uint8Array | string)

const decoder = new TextDecoder('utf-8', { fatal: true })

/** The function a deserializer option stands for. */
export function deserializerFn<T> (d: Deserializer<T> | undefined): DeserializerFn<T> {
  if (typeof d === 'function') return d
  switch (d ?? 'json') {
    case 'json': return body => JSON.parse(decoder.decode(body)) as T
    case 'string': return body => decoder.decode(body) as T
    case 'bytes': return body => new Uint8Array(body) as T
    default: throw new TypeError(`deserializer must be 'json', 'string', 'bytes' or a function, got ${String(d)}`)
  }
}

/** The function a serializer option stands for; its result is the message body. */
export function serializerFn<T> (s: Serializer<T> | undefined): (value: T) => Buffer {
  if (typeof s === 'function') {
    return value => {
      const out = s(value)
      if (typeof out === 'string') return Buffer.from(out, 'utf8')
      if (out instanceof Uint8Array) return Buffer.from(out.buffer, out.byteOffset, out.byteLength)
      throw new TypeError(`the serializer returned ${typeof out}, expected a string or a Uint8Array`)
    }
  }
  switch (s ?? 'json') {
    case 'json': return value => {
      const json = JSON.stringify(value)
      if (json === undefined) throw new TypeError(`${typeof value} is not JSON-serializable`)
      return Buffer.from(json, 'utf8')
    }
    case 'string': return value => {
      if (typeof value !== 'string') throw new TypeError(`serializer 'string' got a ${typeof value}`)
      return Buffer.from(value, 'utf8')
    }
    case 'bytes': return value => {
      if (!(value instanceof Uint8Array)) throw new TypeError(`serializer 'bytes' got a ${typeof value}, expected a Uint8Array`)
      return Buffer.from(value.buffer, value.byteOffset, value.byteLength)
    }
    default: throw new TypeError(`serializer must be 'json', 'string', 'bytes' or a function, got ${String(s)}`)
  }
}
