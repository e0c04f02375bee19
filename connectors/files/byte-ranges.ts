/**
 * Cutting a large line-format file into byte ranges, so that several subtasks read one file
 * in parallel (Flink's file source splits files the same way). A range starts at a line
 * start and carries that line's number, so errors name the right line and a restored
 * reader resumes exactly; the range ends where the next one starts.
 *
 * A CSV line break may sit inside a quoted field, where a range cannot start; rather than
 * guess, a CSV file with any double quote is kept whole (one split), and so is a file no
 * larger than `splitBytes`.
 *
 * @example
 * await byteRanges('/in/big.csv', { size: 96 << 20, parts: 2, splitBytes: 8 << 20, csv: true })
 * // [{ offset: 0, line: 1 }, { offset: 50331671, line: 1398102 }]
 */
import { open } from 'node:fs/promises'
import { SCAN_CHUNK_BYTES } from './constants.ts'
import { readErrorOf } from './errors.ts'

const NEWLINE = 0x0a
const QUOTE = 0x22

/** Where a range starts: a byte offset at a line start and the 1-based number of that line. */
export interface RangeStart {
  readonly offset: number
  readonly line: number
}

export interface ByteRangeOptions {
  /** The file's size in bytes. */
  readonly size: number
  /** The most ranges wanted (the source's parallelism). */
  readonly parts: number
  /** No range is smaller than this (but the last). */
  readonly splitBytes: number
  /** CSV: a double quote anywhere keeps the file whole. */
  readonly csv: boolean
  readonly signal?: AbortSignal
}

/**
 * The starts of the ranges of `path`, the first at offset 0; a single start when the file
 * is kept whole. Reads the file once (lines are counted for the line numbers; a CSV file is
 * read to its end to look for quotes).
 *
 * @throws {FileReadError} when the file cannot be read
 */
export async function byteRanges (path: string, options: ByteRangeOptions): Promise<RangeStart[]> {
  const { size, splitBytes, csv } = options
  const parts = Math.min(options.parts, Math.floor(size / splitBytes))
  const whole = [{ offset: 0, line: 1 }]
  if (parts < 2) return whole
  const targets = Array.from({ length: parts - 1 }, (_, i) => Math.floor(size * (i + 1) / parts))
  const starts: RangeStart[] = [...whole]
  let handle
  try {
    handle = await open(path, 'r')
  } catch (err) {
    throw readErrorOf(path, err)
  }
  try {
    const buf = Buffer.allocUnsafe(SCAN_CHUNK_BYTES)
    let position = 0
    let line = 1
    let t = 0
    for (;;) {
      options.signal?.throwIfAborted()
      // past the last target only a CSV file is read on, for its quotes
      if (t >= targets.length && !csv) break
      let bytesRead: number
      try {
        ({ bytesRead } = await handle.read(buf, 0, buf.length, position))
      } catch (err) {
        throw readErrorOf(path, err)
      }
      if (bytesRead === 0) break
      const chunk = buf.subarray(0, bytesRead)
      if (csv && chunk.indexOf(QUOTE) !== -1) return whole
      if (t < targets.length) {
        for (let i = chunk.indexOf(NEWLINE); i !== -1; i = chunk.indexOf(NEWLINE, i + 1)) {
          line++
          const next = position + i + 1
          if (next >= size) break
          if (next >= targets[t]!) {
            starts.push({ offset: next, line })
            while (t < targets.length && targets[t]! <= next) t++
            if (t >= targets.length) break
          }
        }
      }
      position += bytesRead
    }
    return starts
  } finally {
    await handle.close()
  }
}
