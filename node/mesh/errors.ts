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
