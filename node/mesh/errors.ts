/**
 * Errors of the mesh layer. Match on `err.name`.
 */

/** A pre-shared key file is missing or not in the swarm.key format. */
export class InvalidPskError extends Error {
  constructor (message = 'Invalid pre-shared key', options?: ErrorOptions) {
    super(message, options)
    this.name = 'InvalidPskError'
  }
}

/** A listen or bootstrap address is not a valid multiaddr. */
export class InvalidAddressError extends Error {
  constructor (address: string, options?: ErrorOptions) {
    super(`Invalid multiaddr '${address}'`, options)
    this.name = 'InvalidAddressError'
  }
}

/** The pnet nonce exchange of a private mesh did not complete (closed, too slow or aborted). */
export class PnetHandshakeError extends Error {
  constructor (message = 'The pre-shared key handshake did not complete', options?: ErrorOptions) {
    super(message, options)
    this.name = 'PnetHandshakeError'
  }
}

/**
 * One direction of a pnet connection has used up its XSalsa20 keystream (2^32 blocks of
 * 64 bytes, 256 GiB): the connection is closed and the peers connect again with new nonces.
 */
export class KeystreamExhaustedError extends Error {
  constructor (message = 'The pre-shared key keystream of this connection is exhausted (256 GiB sent one way)', options?: ErrorOptions) {
    super(message, options)
    this.name = 'KeystreamExhaustedError'
  }
}

/**
 * libp2p rejected with an event instead of an error (a stream's 'close' while waiting for
 * 'drain' or a handshake); this carries what the event said, so the message is never
 * `[object Event]`.
 */
export class ConnectionEventError extends Error {
  constructor (message = 'The connection closed', options?: ErrorOptions) {
    super(message, options)
    this.name = 'ConnectionEventError'
  }
}

/** A network channel broke: names the other peer and the subtasks the channel joins. */
export class ChannelError extends Error {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'ChannelError'
  }
}

/** The producer of a data channel failed and said why (an `abort` message). */
export class ProducerFailedError extends Error {
  constructor (reason: string, options?: ErrorOptions) {
    super(`The producer failed: ${reason}`, options)
    this.name = 'ProducerFailedError'
  }
}

/** The consumer's peer refused a data channel (or dropped it): says why. */
export class ChannelRefusedError extends Error {
  constructor (reason: string, options?: ErrorOptions) {
    super(`The consumer's peer refused the channel: ${reason}`, options)
    this.name = 'ChannelRefusedError'
  }
}

/** A peer pair's data stream broke or carried something it must not: every channel on it fails. */
export class DataStreamError extends Error {
  constructor (message = 'The data stream failed', options?: ErrorOptions) {
    super(message, options)
    this.name = 'DataStreamError'
  }
}
