/**
 * Errors of a peer's local store. Match on `err.name`.
 */

/** The data directory cannot be opened (missing permissions, another process holds it …). */
export class StoreOpenError extends Error {
  constructor (dir: string, options?: ErrorOptions) {
    super(`Cannot open the store in ${dir}`, options)
    this.name = 'StoreOpenError'
  }
}

/** A stored record does not decode: the store is corrupt or from an incompatible version. */
export class CorruptRecordError extends Error {
  constructor (what: string, options?: ErrorOptions) {
    super(`Corrupt record in the store: ${what}`, options)
    this.name = 'CorruptRecordError'
  }
}
