/**
 * Errors of the file connector. Match on `err.name`. Every error says whose fault it is
 * (`domain`: the user's data or configuration, the external file system, or ours) and
 * whether running the same thing again can help (`retriable`), as Arroyo's connector
 * errors do.
 */
import { errorMessage } from '../../protocol/error-message.ts'

/** Whose fault an error is. */
import { ConnectorError, type ErrorDomain } from '../../node/api/connector-error.ts'

export type { ErrorDomain }

/** Base of every file connector error. */
export class FileConnectorError extends ConnectorError {
  constructor (message = 'File connector failed', domain: ErrorDomain = 'internal', retriable = false, options?: ErrorOptions) {
    super(message, domain, retriable, options)
    this.name = 'FileConnectorError'
  }
}

/** The source's path (or a file listed in it) does not exist. The user's; retrying does not help. */
export class FileNotFoundError extends FileConnectorError {
  readonly path: string
  constructor (path: string, options?: ErrorOptions) {
    super(`File or directory not found: ${path}`, 'user', false, options)
    this.name = 'FileNotFoundError'
    this.path = path
  }
}

/** A path exists but cannot be used as asked (not a file or directory, no permission). The user's. */
export class InvalidPathError extends FileConnectorError {
  readonly path: string
  constructor (path: string, reason = 'cannot be used', options?: ErrorOptions) {
    super(`Path ${path} ${reason}`, 'user', false, options)
    this.name = 'InvalidPathError'
    this.path = path
  }
}

/**
 * A line of an input file is not a valid record: bad JSON, or a CSV row that cannot be
 * parsed or has the wrong number of fields. The user's data; retrying reads the same line.
 */
export class MalformedRecordError extends FileConnectorError {
  readonly path: string
  /** 1-based line number in the file. */
  readonly line: number
  /** What is wrong with the line, without the file and line. */
  readonly reason: string

  constructor (format: 'JSON' | 'CSV' | 'text', path: string, line: number, reason: string, options?: ErrorOptions) {
    super(`Malformed ${format} in ${path} line ${line}: ${reason}`, 'user', false, options)
    this.name = 'MalformedRecordError'
    this.path = path
    this.line = line
    this.reason = reason
  }
}

/**
 * A value does not convert to its column's type (typed reading by a schema). Thrown by the
 * converters without a file or line; the source wraps it into an InvalidValueError.
 */
export class ColumnValueError extends FileConnectorError {
  readonly column: string
  readonly value: unknown
  constructor (column: string, value: unknown, reason: string, options?: ErrorOptions) {
    super(`column '${column}': ${showValue(value)} ${reason}`, 'user', false, options)
    this.name = 'ColumnValueError'
    this.column = column
    this.value = value
  }
}

/**
 * A record of an input file has a value that does not fit the schema's column, or lacks a
 * column the schema names: `sales.csv:1042: column 'amount': 'abc' is not a number`. The
 * user's data (or schema); retrying reads the same value.
 */
export class InvalidValueError extends FileConnectorError {
  readonly path: string
  /** 1-based line number (for Parquet: the 1-based row in the file). */
  readonly line: number
  /** The column, when one is to blame. */
  readonly column: string | undefined
  /** What is wrong, without the file and line. */
  readonly reason: string
  constructor (path: string, line: number, reason: string, column?: string, options?: ErrorOptions) {
    super(`${path}:${line}: ${reason}`, 'user', false, options)
    this.name = 'InvalidValueError'
    this.path = path
    this.line = line
    this.column = column
    this.reason = reason
  }
}

/**
 * A Parquet file cannot be read or written as asked: a corrupt file, a column type meshflow
 * has no type for, a column the schema names that the file lacks, or a record that does not
 * fit the schema of the file being written. The user's data or schema.
 */
export class ParquetError extends FileConnectorError {
  readonly path: string
  constructor (path: string, reason: string, options?: ErrorOptions) {
    super(`Parquet ${path}: ${reason}`, 'user', false, options)
    this.name = 'ParquetError'
    this.path = path
  }
}

/** A value as an error message shows it: strings quoted, long ones cut. */
export function showValue (value: unknown): string {
  if (typeof value === 'string') return `'${value.length > 60 ? value.slice(0, 57) + '...' : value}'`
  if (typeof value === 'bigint') return `${value}n`
  if (typeof value === 'object' && value !== null) {
    const json = JSON.stringify(value) ?? String(value)
    return json.length > 60 ? json.slice(0, 57) + '...' : json
  }
  return String(value)
}

/** A line is longer than the source accepts (see `maxLineBytes`). The user's data. */
export class LineTooLongError extends FileConnectorError {
  readonly path: string
  readonly line: number
  constructor (path: string, line: number, maxLineBytes: number, options?: ErrorOptions) {
    super(`Line ${line} of ${path} is longer than ${maxLineBytes} bytes (raise maxLineBytes if it is a record)`, 'user', false, options)
    this.name = 'LineTooLongError'
    this.path = path
    this.line = line
  }
}

/**
 * A CSV line breaks RFC 4180 quoting. Thrown by `parseCsvLine`; the source wraps it into a
 * MalformedRecordError that names the file and line.
 */
export class CsvSyntaxError extends FileConnectorError {
  /** 1-based character position in the line. */
  readonly column: number
  constructor (reason: string, column: number, options?: ErrorOptions) {
    super(`${reason} at column ${column}`, 'user', false, options)
    this.name = 'CsvSyntaxError'
    this.column = column
  }
}

/** Reading a file failed in the file system (I/O error, too many open files …). External; may pass on retry. */
export class FileReadError extends FileConnectorError {
  readonly path: string
  constructor (path: string, options?: ErrorOptions) {
    super(`Reading ${path} failed: ${errorMessage(options?.cause)}`, 'external', true, options)
    this.name = 'FileReadError'
    this.path = path
  }
}

/** Writing, syncing or renaming a part file failed (disk full, I/O error …). External; may pass on retry. */
export class FileWriteError extends FileConnectorError {
  readonly path: string
  constructor (path: string, options?: ErrorOptions) {
    super(`Writing ${path} failed: ${errorMessage(options?.cause)}`, 'external', true, options)
    this.name = 'FileWriteError'
    this.path = path
  }
}

/**
 * Committing a part file would overwrite an existing visible file. Part names are unique
 * per job, subtask and checkpoint, so another writer uses the same job id prefix; nothing
 * is replaced.
 */
export class PartFileExistsError extends FileConnectorError {
  readonly path: string
  constructor (path: string, options?: ErrorOptions) {
    super(`Part file ${path} already exists; refusing to overwrite it`, 'external', false, options)
    this.name = 'PartFileExistsError'
    this.path = path
  }
}

/**
 * A committable of a completed checkpoint names a part file that is gone: neither the
 * pre-committed hidden part nor the visible file exists, so its records would be lost.
 * Something outside the job removed it; external, and retrying does not bring it back.
 */
export class PartFileMissingError extends FileConnectorError {
  readonly path: string
  readonly hiddenPath: string
  constructor (path: string, hiddenPath: string, options?: ErrorOptions) {
    super(`Part file ${path} cannot be committed: neither it nor its pre-committed ${hiddenPath} exists, its records are lost`, 'external', false, options)
    this.name = 'PartFileMissingError'
    this.path = path
    this.hiddenPath = hiddenPath
  }
}

/**
 * A committable handed to `commit` (from a checkpoint) is not a part this sink prepared.
 * Ours (or a checkpoint of another sink restored into this one); retrying does not help.
 */
export class InvalidCommittableError extends FileConnectorError {
  constructor (reason: string, options?: ErrorOptions) {
    super(`Invalid file sink committable: ${reason}`, 'internal', false, options)
    this.name = 'InvalidCommittableError'
  }
}

/** The `code` of a Node.js system error, if it is one. */
export function errorCode (err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code
  return typeof code === 'string' ? code : undefined
}

/** Maps a file-system error on `path` to the connector error that names it. */
export function readErrorOf (path: string, err: unknown): FileConnectorError {
  if (err instanceof FileConnectorError) return err
  switch (errorCode(err)) {
    case 'ENOENT': return new FileNotFoundError(path, { cause: err })
    case 'EACCES':
    case 'EPERM': return new InvalidPathError(path, 'is not readable (permission denied)', { cause: err })
    case 'EISDIR': return new InvalidPathError(path, 'is a directory, expected a file', { cause: err })
    case 'ENOTDIR': return new InvalidPathError(path, 'has a file where a directory was expected', { cause: err })
    default: return new FileReadError(path, { cause: err })
  }
}

/** Maps a file-system error while writing `path` to the connector error that names it. */
export function writeErrorOf (path: string, err: unknown): FileConnectorError {
  if (err instanceof FileConnectorError) return err
  switch (errorCode(err)) {
    case 'EACCES':
    case 'EPERM':
    case 'EROFS': return new InvalidPathError(path, 'is not writable', { cause: err })
    case 'ENOTDIR':
    case 'EEXIST': return new InvalidPathError(path, 'is not a directory', { cause: err })
    default: return new FileWriteError(path, { cause: err })
  }
}

/**
 * A synchronous Arrow or Parquet helper was called before the libraries were loaded.
 * Ours to document, the caller's to fix: `await loadParquet()` first.
 */
export class ParquetNotLoadedError extends FileConnectorError {
  constructor (what: string, options?: ErrorOptions) {
    super(`Parquet support is not loaded yet (${what}): await loadParquet() first`, 'user', false, options)
    this.name = 'ParquetNotLoadedError'
  }
}
