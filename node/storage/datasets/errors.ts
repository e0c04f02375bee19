/**
 * Errors of datasets in storage. Match on `err.name`.
 */

/**
 * A block is not a well-formed dataset manifest: not CBOR, another type tag, or a field
 * that is missing, of the wrong type or out of range (the message names it).
 */
export class InvalidDatasetManifestError extends Error {
  constructor (message = 'The block is not a dataset manifest', options?: ErrorOptions) {
    super(message, options)
    this.name = 'InvalidDatasetManifestError'
  }
}

/**
 * A dataset version's manifest would not fit one plain block (1 MiB), or lists more
 * segments than a version may: garbage collection follows references only of plain blocks.
 */
export class DatasetManifestTooLargeError extends Error {
  constructor (message = 'The dataset manifest is larger than a block', options?: ErrorOptions) {
    super(message, options)
    this.name = 'DatasetManifestTooLargeError'
  }
}
