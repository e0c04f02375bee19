/**
 * The reader of one `fileSource` subtask: reads its files one after the other, in chunks
 * through a FileHandle, and decodes lines into records synchronously while whole lines
 * are buffered. Only a chunk read (or opening a file) makes `pollNext` return a promise:
 * one per 64 KiB, never one per record.
 */
import { open, type FileHandle } from 'node:fs/promises'
import type { SourceReader, SourceReaderContext } from '../../node/api/source.ts'
import { ColumnValueError, InvalidValueError, LineTooLongError, MalformedRecordError, readErrorOf } from './errors.ts'
import type { FileSplit, ResolvedFileSourceOptions } from './file-source.ts'
import { createLineDecoder, type LineDecoder, type LineFormat } from './line-decoder.ts'
import { LineSplitter } from './line-splitter.ts'
import { errorMessage } from '../../protocol/error-message.ts'

/** The file being read. */
interface OpenFile<T> {
  readonly id: string
  readonly path: string
  /** Number of the next line `splitter` returns. */
  line: number
  /** A range's end: the reader stops before the line starting at or after it. */
  readonly end: number | undefined
  /** Closed (and cleared) once the end of the file was read. */
  handle: FileHandle | undefined
  /** File offset of the next read. */
  position: number
  readonly splitter: LineSplitter
  readonly decoder: LineDecoder<T>
}

export class FileSourceReader<T> implements SourceReader<T, FileSplit> {
  readonly #options: ResolvedFileSourceOptions
  readonly #context: SourceReaderContext
  /** Splits not started yet, in order. */
  readonly #queue: FileSplit[] = []
  #current: OpenFile<T> | undefined
  /** The split being opened (it is in neither `#queue` nor `#current`). */
  #opening: FileSplit | undefined
  /** The open or read in flight. */
  #io: Promise<void> | undefined
  #closed = false

  constructor (options: ResolvedFileSourceOptions, context: SourceReaderContext) {
    this.#options = options
    this.#context = context
  }

  addSplits (splits: FileSplit[]): void {
    for (const s of splits) this.#queue.push({ id: s.id, path: s.path, offset: s.offset, line: s.line, ...(s.end === undefined ? {} : { end: s.end }) })
  }

  /**
   * Up to `max` records. Synchronous while whole lines are buffered; a promise while a
   * chunk is read. The batch may be empty (not `null`) when all the lines it looked at
   * were empty or went to the dead-letter output.
   */
  pollNext (max: number): T[] | null | Promise<T[] | null> {
    // a cancelled job reads no further chunk; the task notices the abort itself
    if (this.#closed || this.#context.signal.aborted) return null
    const out: T[] = []
    // lines looked at, records or not: bounds the work of one call
    let budget = max
    for (;;) {
      const f = this.#current
      if (f === undefined) {
        if (out.length > 0) return out
        const next = this.#queue.shift()
        if (next === undefined) return null
        return this.#then(this.#open(next), max)
      }
      budget = this.#drain(f, out, max, budget)
      if (out.length >= max || budget <= 0) return out
      if (f.splitter.done) {
        this.#current = undefined
        continue
      }
      if (pastEnd(f)) {
        // a range ends before the end of its file: close the file, then go on
        if (out.length > 0) return out
        this.#current = undefined
        return this.#then(closeFile(f), max)
      }
      // the next line is incomplete: read on
      if (f.splitter.pendingBytes > this.#options.maxLineBytes) throw new LineTooLongError(f.path, f.line, this.#options.maxLineBytes)
      if (out.length > 0) return out
      return this.#then(this.#fill(f), max)
    }
  }

  snapshotSplits (): FileSplit[] {
    const splits: FileSplit[] = []
    const f = this.#current
    if (f !== undefined && !f.splitter.done && !pastEnd(f)) {
      splits.push({ id: f.id, path: f.path, offset: f.splitter.offset, line: f.line, ...(f.end === undefined ? {} : { end: f.end }) })
    }
    if (this.#opening !== undefined) splits.push({ ...this.#opening })
    for (const s of this.#queue) splits.push({ ...s })
    return splits
  }

  async close (): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    // let a read in flight settle before its handle is closed; its error no longer matters
    await this.#io?.catch(() => {})
    const handle = this.#current?.handle
    this.#current = undefined
    if (handle !== undefined) await handle.close()
  }

  #then (io: Promise<void>, max: number): Promise<T[] | null> {
    this.#io = io
    return io.then(() => {
      this.#io = undefined
      return this.pollNext(max)
    })
  }

  /** Decodes buffered whole lines into `out`; returns the budget left. */
  #drain (f: OpenFile<T>, out: T[], max: number, budget: number): number {
    const { splitter, decoder } = f
    let line = f.line
    try {
      while (out.length < max && budget > 0) {
        if (f.end !== undefined && splitter.offset >= f.end) break
        if (!splitter.nextRange()) break
        const buf = splitter.buffer
        const start = splitter.rangeStart
        const stop = splitter.rangeStop
        const n = line
        line += splitter.lineCount
        budget--
        if (start === stop) continue
        let value: T | undefined | null = null
        const header = decoder.expectsHeader === true
        try {
          // from the bytes where the decoder can (typed CSV), else from the line's text
          if (!header && decoder.decodeBytes !== undefined) value = decoder.decodeBytes(buf, start, stop)
          if (value === null) value = decoder.decode(buf.toString('utf8', start, stop))
        } catch (err) {
          // a header that does not fit the schema spoils every row: never a dead letter
          if (header) throw new MalformedRecordError(decoder.format, f.path, n, errorMessage(err), { cause: err })
          this.#malformed(f, n, buf.toString('utf8', start, stop), err)
          continue
        }
        if (value !== undefined) out.push(value)
      }
    } finally {
      f.line = line
    }
    return budget
  }

  #malformed (f: OpenFile<T>, line: number, text: string, err: unknown): void {
    const reason = errorMessage(err)
    const tag = this.#options.deadLetter
    if (tag === undefined) {
      if (err instanceof ColumnValueError) throw new InvalidValueError(f.path, line, reason, err.column, { cause: err })
      throw new MalformedRecordError(f.decoder.format, f.path, line, reason, { cause: err })
    }
    this.#context.output(tag, { path: f.path, line, text, error: reason })
  }

  async #open (split: FileSplit): Promise<void> {
    this.#opening = split
    let handle: FileHandle
    try {
      handle = await open(split.path, 'r')
    } catch (err) {
      throw readErrorOf(split.path, err)
    }
    try {
      const decoder = createLineDecoder<T>(this.#options.format as LineFormat, this.#options.csv, this.#options.schema)
      if (decoder.expectsHeader === true && split.offset > 0) {
        await this.#readHeader(handle, split, decoder)
      }
      this.#current = {
        id: split.id,
        path: split.path,
        line: split.line,
        end: split.end,
        handle,
        position: split.offset,
        splitter: this.#splitter(split.offset),
        decoder
      }
      this.#opening = undefined
    } catch (err) {
      await handle.close()
      throw err
    }
  }

  /**
   * A reader resuming in the middle of a CSV file did not see the header: read it again
   * from the start, if it lies before the resume offset (else it is still ahead).
   */
  async #readHeader (handle: FileHandle, split: FileSplit, decoder: LineDecoder<T>): Promise<void> {
    const splitter = this.#splitter(0)
    let position = 0
    let line = 1
    for (;;) {
      const text = splitter.next()
      if (text !== undefined) {
        if (text.length === 0) {
          line += splitter.lineCount
          continue
        }
        if (splitter.offset > split.offset) return
        try {
          decoder.useHeader?.(text)
        } catch (err) {
          throw new MalformedRecordError('CSV', split.path, line, errorMessage(err), { cause: err })
        }
        return
      }
      if (splitter.done || position >= split.offset) return
      if (splitter.pendingBytes > this.#options.maxLineBytes) throw new LineTooLongError(split.path, line, this.#options.maxLineBytes)
      const chunk = await readChunk(handle, split.path, position, this.#options.chunkBytes)
      if (chunk === undefined) splitter.end()
      else {
        splitter.push(chunk)
        position += chunk.length
      }
    }
  }

  /** A splitter into lines, or for CSV into records (a quoted field may hold line breaks). */
  #splitter (offset: number): LineSplitter {
    const { format, csv } = this.#options
    return new LineSplitter(offset, format === 'csv' ? { quotedFields: { delimiter: csv.delimiter ?? ',' } } : {})
  }

  async #fill (f: OpenFile<T>): Promise<void> {
    const handle = f.handle!
    const chunk = await readChunk(handle, f.path, f.position, this.#options.chunkBytes)
    if (chunk === undefined) {
      f.handle = undefined
      f.splitter.end()
      await handle.close()
      return
    }
    f.position += chunk.length
    f.splitter.push(chunk)
  }
}

/** Whether a range's reader has read every line starting before its end. */
function pastEnd (f: OpenFile<unknown>): boolean {
  return f.end !== undefined && f.splitter.offset >= f.end
}

/** Closes the file of a range that ended before the end of the file. */
async function closeFile (f: OpenFile<unknown>): Promise<void> {
  const handle = f.handle
  f.handle = undefined
  await handle?.close()
}

/** The next chunk of a file at `position`, or undefined at its end. */
async function readChunk (handle: FileHandle, path: string, position: number, size: number): Promise<Buffer | undefined> {
  // a fresh buffer per read: the splitter keeps the chunk until its lines are read
  const buf = Buffer.allocUnsafe(size)
  let bytesRead: number
  try {
    ({ bytesRead } = await handle.read(buf, 0, size, position))
  } catch (err) {
    throw readErrorOf(path, err)
  }
  if (bytesRead === 0) return undefined
  return bytesRead === size ? buf : buf.subarray(0, bytesRead)
}
