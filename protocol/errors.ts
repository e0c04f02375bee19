/**
 * Errors of the wire format. Match on `err.name`: an error from another copy of this module
 * (or re-thrown across a worker) is not `instanceof` these classes.
 */

/**
 * A frame's payload is not a well-formed message of its protocol: not CBOR, an unknown
 * `type`, a field of the wrong type or out of range, or a field that should not be there.
 * The peer that sent it is buggy or hostile; the stream it came on is aborted.
 */
export class MalformedMessageError extends Error {
  /** The protocol whose decoder refused the message (`raft`, `membership`, …). */
  readonly protocol: string
  /** The path of the offending field (`message.entries[2].term`), or `''` for the whole payload. */
  readonly field: string

  constructor (protocol: string, field: string, problem: string, options?: ErrorOptions) {
    const where = field === '' ? ' the payload' : ` field '${field}'`
    super(`Malformed ${protocol} message:${where} ${problem}`, options)
    this.name = 'MalformedMessageError'
    this.protocol = protocol
    this.field = field
  }
}

/** A frame's length prefix announces more bytes than the protocol allows. */
export class FrameTooLargeError extends Error {
  /** The announced length in bytes (a lower bound when the prefix itself was too long). */
  readonly length: number
  /** The limit it exceeded. */
  readonly maxBytes: number

  constructor (length: number, maxBytes: number, message = `Frame of ${length} bytes exceeds the limit of ${maxBytes} bytes`, options?: ErrorOptions) {
    super(message, options)
    this.name = 'FrameTooLargeError'
    this.length = length
    this.maxBytes = maxBytes
  }
}

/** The stream ended inside a frame: in its length prefix or before all its bytes came. */
export class TruncatedFrameError extends Error {
  /** Bytes the frame needed (its length prefix plus payload when known). */
  readonly expected: number
  /** Bytes that arrived. */
  readonly received: number

  constructor (expected: number, received: number, message = `Stream ended inside a frame: expected ${expected} bytes, received ${received}`, options?: ErrorOptions) {
    super(message, options)
    this.name = 'TruncatedFrameError'
    this.expected = expected
    this.received = received
  }
}

/** A string or byte sequence is not a meshflow block CID (CIDv1, raw codec, sha2-256). */
export class InvalidCidError extends Error {

  constructor (message = 'Invalid CID', options?: ErrorOptions) {
    super(message, options)
    this.name = 'InvalidCidError'
  }
}

/** Whether `err` is one of the errors a decoder or frame decoder throws on bad input. */
export function isWireFormatError (err: unknown): err is MalformedMessageError | FrameTooLargeError | TruncatedFrameError {
  const name = (err as { name?: unknown } | null)?.name
  return name === 'MalformedMessageError' || name === 'FrameTooLargeError' || name === 'TruncatedFrameError'
}
