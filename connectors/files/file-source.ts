/**
 * `fileSource`: a bounded source reading JSON Lines or CSV from a file or a directory.
 */
import { readdir, stat } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import type { Source, SourceSplit } from '../../node/api/source.ts'
import type { OutputTag } from '../../node/api/output-tag.ts'
import { InvalidArgumentError } from '../../node/api/errors.ts'
import { checkDelimiter } from './csv.ts'
import { DEFAULT_CHUNK_BYTES, DEFAULT_MAX_LINE_BYTES } from './constants.ts'
import { InvalidPathError, readErrorOf } from './errors.ts'
import { FileSourceReader } from './file-source-reader.ts'
import type { CsvReadOptions, FileFormat } from './line-decoder.ts'

/** A line that could not be decoded, as sent to the dead-letter side output. */
export interface DeadLetter {
  /** The file the line is in. */
  readonly path: string
  /** 1-based line number. */
  readonly line: number
  /** The line as read (without its terminator). */
  readonly text: string
  /** Why it could not be decoded. */
  readonly error: string
}

export interface FileSourceOptions {
  /** A file, or a directory whose files are all read (names starting with `.` or `_` are skipped). */
  readonly path: string
  readonly format: FileFormat
  readonly csv?: CsvReadOptions
  /**
   * Where malformed lines go. Without it a malformed line fails the job with an error
   * naming the file and line; with it the line is emitted to this side output and
   * reading goes on.
   */
  readonly deadLetter?: OutputTag<DeadLetter>
  /** Bytes per read (default 64 KiB). */
  readonly chunkBytes?: number
  /** Longest accepted line (default 16 MiB); bounds the reader's memory. */
  readonly maxLineBytes?: number
}

/**
 * One file. Its fields are its position, so a snapshot of the split is the reader's state
 * and a restored reader resumes at exactly the next unread line.
 */
export interface FileSplit extends SourceSplit {
  /** The file's absolute path (also the split id). */
  readonly path: string
  /** Byte offset of the next unread line. */
  readonly offset: number
  /** 1-based number of the line at `offset`. */
  readonly line: number
}

/** Options with defaults filled in, as the reader uses them. */
export interface ResolvedFileSourceOptions {
  readonly format: FileFormat
  readonly csv: CsvReadOptions
  readonly deadLetter: OutputTag<DeadLetter> | undefined
  readonly chunkBytes: number
  readonly maxLineBytes: number
}

/**
 * The files of `path` in name order: `path` itself when it is a file, else the regular
 * files of the directory (not recursive) whose names do not start with `.` or `_` — the
 * names the file sink gives to files it has not committed.
 *
 * @throws {FileNotFoundError} when `path` does not exist
 */
export async function listInputFiles (path: string): Promise<string[]> {
  const root = resolve(path)
  let info
  try {
    info = await stat(root)
  } catch (err) {
    throw readErrorOf(root, err)
  }
  if (info.isFile()) return [root]
  if (!info.isDirectory()) throw new InvalidPathError(root, 'is neither a file nor a directory')
  let entries
  try {
    entries = await readdir(root, { withFileTypes: true })
  } catch (err) {
    throw readErrorOf(root, err)
  }
  const files: string[] = []
  for (const e of entries) {
    if (e.name.startsWith('.') || e.name.startsWith('_')) continue
    const p = join(root, e.name)
    if (e.isFile()) files.push(p)
    else if (e.isSymbolicLink()) {
      // follow links; a dangling one is skipped like any non-file entry
      const target = await stat(p).catch(() => undefined)
      if (target?.isFile() === true) files.push(p)
    }
  }
  return files.sort()
}

function positiveInt (what: string, n: unknown): number {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`fileSource ${what} must be a positive integer, got ${String(n)}`)
  return n
}

/**
 * Reads JSON Lines (one JSON value per line) or CSV files as a bounded stream, one split
 * per file. Files are read in chunks with bounded memory; empty lines are skipped; CSV
 * values stay strings, and a quoted CSV field may hold line breaks (kept as written).
 *
 * @throws {InvalidArgumentError} on invalid options (at once)
 * @throws {FileNotFoundError} when the job starts and `path` does not exist
 * @throws {MalformedRecordError} while running, for a malformed line without `deadLetter`
 * @example
 * const bad = new OutputTag<DeadLetter>('bad-lines')
 * const sales = env.fromSource(fileSource<Sale>({ path: 'in/sales', format: 'jsonl', deadLetter: bad }),
 *                              WatermarkStrategy.noWatermarks(), 'sales')
 * sales.sideOutput(bad).print('bad')
 */
export function fileSource<T> (options: FileSourceOptions): Source<T, FileSplit> {
  if (typeof options?.path !== 'string' || options.path.length === 0) throw new InvalidArgumentError('fileSource needs a path')
  if (options.format !== 'jsonl' && options.format !== 'csv') throw new InvalidArgumentError(`fileSource format must be 'jsonl' or 'csv', got ${String(options.format)}`)
  const csv = options.csv ?? {}
  if (csv.delimiter !== undefined) checkDelimiter(csv.delimiter)
  if (csv.columns !== undefined && (!Array.isArray(csv.columns) || csv.columns.some(c => typeof c !== 'string'))) {
    throw new InvalidArgumentError('fileSource csv.columns must be an array of strings')
  }
  const resolved: ResolvedFileSourceOptions = {
    format: options.format,
    csv,
    deadLetter: options.deadLetter,
    chunkBytes: positiveInt('chunkBytes', options.chunkBytes ?? DEFAULT_CHUNK_BYTES),
    maxLineBytes: positiveInt('maxLineBytes', options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES)
  }
  const path = options.path
  return {
    bounded: true,
    async createSplits (): Promise<FileSplit[]> {
      const files = await listInputFiles(path)
      return files.map(p => ({ id: p, path: p, offset: 0, line: 1 }))
    },
    createReader: context => new FileSourceReader<T>(resolved, context)
  }
}
