/**
 * Errors of datasets in storage: manifests, schemas, segments and push-down predicates.
 * Match on `err.name`. Schema, row and predicate errors are the user's (a retry does not
 * help); a corrupt segment is the store's (another replica may be intact).
 */

/** A value as it appears in an error message: strings quoted, bigints with `n`, long ones cut. */
export function describeValue (value: unknown): string {
  let text: string
  if (typeof value === 'string') text = JSON.stringify(value)
  else if (typeof value === 'bigint') text = `${value}n`
  else if (value === undefined) text = 'undefined'
  else if (typeof value === 'number' || typeof value === 'boolean' || value === null) text = String(value)
  else if (value instanceof Date) text = `Date(${Number.isNaN(value.getTime()) ? 'invalid' : value.toISOString()})`
  else if (typeof value === 'object') text = Array.isArray(value) ? 'an array' : `an object (${Object.getPrototypeOf(value)?.constructor?.name ?? 'null prototype'})`
  else text = `a ${typeof value}`
  return text.length > 60 ? `${text.slice(0, 57)}...` : text
}

/** A schema is not valid: an empty or duplicate column name, an unknown type. */
export class InvalidSchemaError extends Error {
  /** The column at fault, when there is one. */
  readonly column: string | undefined
  constructor (message = 'Invalid dataset schema', column?: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'InvalidSchemaError'
    this.column = column
  }
}

/** A `--schema` text (`name:type,...`) does not parse. */
export class SchemaSpecError extends Error {
  constructor (message = 'Invalid schema spec', options?: ErrorOptions) {
    super(message, options)
    this.name = 'SchemaSpecError'
  }
}

/** A row does not fit the schema: a value of another type than its column's. */
export class RowTypeError extends Error {
  readonly column: string
  readonly row: number | undefined
  constructor (column: string, expected: string, value: unknown, row?: number, options?: ErrorOptions) {
    super(`${row === undefined ? 'Row' : `Row ${row}`}: column '${column}' expects ${expected}, got ${describeValue(value)}`, options)
    this.name = 'RowTypeError'
    this.column = column
    this.row = row
  }
}

/** A segment's bytes do not decode: a bad magic, a length out of range, truncated bytes. */
export class CorruptSegmentError extends Error {
  constructor (what = 'it does not decode', options?: ErrorOptions) {
    super(`Corrupt dataset segment: ${what}`, options)
    this.name = 'CorruptSegmentError'
  }
}

/** A scan names a column the schema does not have (with a did-you-mean when one is close). */
export class UnknownColumnError extends Error {
  readonly column: string
  constructor (column: string, known: readonly string[], suggestion?: string, options?: ErrorOptions) {
    super(`Unknown column '${column}'${suggestion === undefined ? '' : ` (did you mean '${suggestion}'?)`}; the columns are ${known.map(c => `'${c}'`).join(', ') || 'none'}`, options)
    this.name = 'UnknownColumnError'
    this.column = column
  }
}

/** A push-down predicate is malformed or compares a column with a value of another type. */
export class InvalidPredicateError extends Error {
  readonly column: string | undefined
  constructor (message = 'Invalid predicate', column?: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'InvalidPredicateError'
    this.column = column
  }
}

/** One row alone encodes to more bytes than a segment may hold. */
export class RowTooLargeError extends Error {
  constructor (row: number, bytes: number, limit: number, options?: ErrorOptions) {
    super(`Row ${row} alone encodes to ${bytes} bytes, more than a segment may hold (${limit})`, options)
    this.name = 'RowTooLargeError'
  }
}

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
