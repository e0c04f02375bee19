/**
 * Stream elements as network channels carry them: opaque bytes behind the mux frame header
 * (`protocol/element-codec.ts`, `protocol/data-mux.ts`). Encoding and decoding are apart
 * from the channels, so bytes made on one thread can be forwarded by another (a worker
 * thread's output to the network, the network to a worker) without being decoded there.
 *
 * @example
 * ```ts
 * const bytes = encodeElement({ type: 'watermark', timestamp: 5 })
 * decodeElement(bytes) // { type: 'watermark', timestamp: 5 }
 * ```
 */
import { decodeElement as decodeWire, encodeElement as encodeWire, isEndElement } from '../../protocol/element-codec.ts'
import { END_OF_INPUT, ACTIVE, IDLE, type StreamElement } from '../runtime/stream-element.ts'

export { isEndElement }

/**
 * A runtime element as bytes. Control elements may share one constant array: never write
 * into the result.
 *
 * @throws when a record value cannot be encoded (a function, a symbol)
 */
export function encodeElement (element: StreamElement): Uint8Array {
  return encodeWire(element)
}

/**
 * Bytes from `encodeElement` (or off the wire) as a runtime element; end of input and
 * status are the runtime's shared constants.
 *
 * @throws {MalformedMessageError} for anything but a well-formed element
 */
export function decodeElement (bytes: Uint8Array): StreamElement {
  const m = decodeWire(bytes)
  switch (m.type) {
    case 'records': return m
    case 'status': return m.idle ? IDLE : ACTIVE
    case 'end': return END_OF_INPUT
    default: return m
  }
}
