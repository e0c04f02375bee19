/**
 * The files an operator spills to: one folder per operator instance (made on first use
 * under the task's spill root, removed by `close`), holding runs — sequences of blocks,
 * each `[u32 little-endian length][cbor-x bytes of an array of entries]`.
 *
 * Codec: cbor-x in sequential mode with record structures, a fresh encoder per block (so a
 * block decodes alone) — measured against node:v8 serialize and cbor-x without records on
 * 200 k rows `[key, subtask, seq, {5 fields}]`: 2.4 M rows/s encode, 4.6 M rows/s decode,
 * 42 B/row, versus v8's 1.4/1.3 M rows/s and 77 B/row. The thread-batch-codec is not a byte
 * format (it hands columns to postMessage). What survives a spill is what survives a
 * shuffle between peers (cbor-x): plain data, Sets, Maps, Dates, bigints, typed arrays;
 * not prototypes, and -0 becomes 0.
 *
 * File I/O is synchronous on purpose: an operator's record path is synchronous (DESIGN §4),
 * tasks run on their own threads, and each call moves a whole block.
 *
 * @example
 * const files = new SpillFiles({ root: tmpdir(), name: 'sort' })
 * const run = files.create(); run.add([1, 'a']); const file = run.finish()
 * for (const e of readRun(file)) …
 * files.close()
 */
import { closeSync, mkdirSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { Decoder, Encoder } from 'cbor-x'
import { CorruptSpillFileError, SpillFileError } from './errors.ts'

/** The folder of a peer's data dir that its tasks spill to (emptied when the peer starts). */
export const SPILL_DIR = 'spill'

/** Entries per block: large enough for the codec's structures to pay, small enough to hold k of them while merging. */
export const BLOCK_ENTRIES = 1024

const HEADER = 4

export interface SpillFilesInit {
  /** The folder the operator's folder is made in (a peer's `spill/`, or the OS temp dir). */
  readonly root: string
  /** Part of the folder's name (the operator), for whoever finds it on disk. */
  readonly name: string
}

/** A finished run: its file and what it holds. */
export interface RunFile {
  readonly path: string
  readonly entries: number
  readonly bytes: number
}

function encoder (): Encoder {
  return new Encoder({ sequential: true, structures: [] } as ConstructorParameters<typeof Encoder>[0])
}

function decoder (): Decoder {
  return new Decoder({ sequential: true, structures: [] } as ConstructorParameters<typeof Decoder>[0])
}

/** The spill folder of one operator instance. */
export class SpillFiles {
  readonly #init: SpillFilesInit
  #dir: string | undefined
  #next = 0
  #closed = false
  readonly #open = new Set<RunWriter>()
  /** Bytes written to this folder's runs. */
  bytesWritten = 0
  /** Runs created. */
  runs = 0

  constructor (init: SpillFilesInit) {
    this.#init = init
  }

  /** The operator's folder, once something was spilled. */
  get dir (): string | undefined { return this.#dir }

  /** A new run to write (the folder is made on first use). */
  create (): RunWriter {
    if (this.#closed) throw new Error('The spill files are closed')
    if (this.#dir === undefined) {
      const safe = this.#init.name.replace(/[^A-Za-z0-9_-]+/g, '-').slice(0, 40)
      try {
        mkdirSync(this.#init.root, { recursive: true })
        this.#dir = mkdtempSync(join(this.#init.root, `${safe}-`))
      } catch (err) {
        throw new SpillFileError(join(this.#init.root, `${safe}-*`), 'create', err)
      }
    }
    const path = join(this.#dir, `run-${this.#next++}`)
    this.runs++
    const w = new RunWriter(path, n => { this.bytesWritten += n }, () => { this.#open.delete(w) })
    this.#open.add(w)
    return w
  }

  /** Closes open runs and removes the folder with every run in it. Safe to call twice. */
  close (): void {
    this.#closed = true
    for (const w of this.#open) w.abandon()
    this.#open.clear()
    if (this.#dir !== undefined) rmSync(this.#dir, { recursive: true, force: true })
    this.#dir = undefined
  }
}

/** A run being written: entries are gathered into blocks and appended. */
export class RunWriter {
  readonly path: string
  readonly #written: (bytes: number) => void
  readonly #done: () => void
  #fd: number
  #block: unknown[] = []
  #entries = 0
  #bytes = 0

  constructor (path: string, written: (bytes: number) => void, done: () => void) {
    this.path = path
    this.#written = written
    this.#done = done
    try {
      this.#fd = openSync(path, 'wx')
    } catch (err) {
      throw new SpillFileError(path, 'create', err)
    }
  }

  /** Entries added so far. */
  get entries (): number { return this.#entries }

  add (entry: unknown): void {
    this.#block.push(entry)
    this.#entries++
    if (this.#block.length >= BLOCK_ENTRIES) this.flush()
  }

  /** Writes the entries gathered so far as a block. */
  flush (): void {
    const block = this.#block
    if (block.length === 0) return
    this.#block = []
    const body = encoder().encode(block)
    const header = Buffer.allocUnsafe(HEADER)
    header.writeUInt32LE(body.length, 0)
    try {
      writeSync(this.#fd, header)
      let off = 0
      while (off < body.length) off += writeSync(this.#fd, body, off, body.length - off)
    } catch (err) {
      throw new SpillFileError(this.path, 'write', err)
    }
    this.#bytes += HEADER + body.length
    this.#written(HEADER + body.length)
  }

  /** Writes what is left and closes the file. */
  finish (): RunFile {
    this.flush()
    this.#close()
    return { path: this.path, entries: this.#entries, bytes: this.#bytes }
  }

  /** Closes the file without writing what is gathered (the folder is going). */
  abandon (): void {
    this.#block = []
    this.#close()
  }

  #close (): void {
    if (this.#fd < 0) return
    try {
      closeSync(this.#fd)
    } catch {}
    this.#fd = -1
    this.#done()
  }
}

function readFully (fd: number, buf: Uint8Array, path: string): number {
  let off = 0
  while (off < buf.length) {
    let n: number
    try {
      n = readSync(fd, buf, off, buf.length - off, null)
    } catch (err) {
      throw new SpillFileError(path, 'read', err)
    }
    if (n === 0) break
    off += n
  }
  return off
}

/**
 * The entries of a run, in the order they were added; reads one block at a time. Closes
 * the file at the end, or when the caller stops early (`return()`).
 */
export function * readRun (file: RunFile | string): Generator<unknown, void, undefined> {
  const path = typeof file === 'string' ? file : file.path
  let fd: number
  try {
    fd = openSync(path, 'r')
  } catch (err) {
    throw new SpillFileError(path, 'read', err)
  }
  try {
    const header = Buffer.allocUnsafe(HEADER)
    for (;;) {
      const h = readFully(fd, header, path)
      if (h === 0) return
      if (h < HEADER) throw new CorruptSpillFileError(path, 'a block header is cut short')
      const length = header.readUInt32LE(0)
      const body = Buffer.allocUnsafe(length)
      if (readFully(fd, body, path) < length) throw new CorruptSpillFileError(path, 'a block is cut short')
      const block = decoder().decode(body) as unknown
      if (!Array.isArray(block)) throw new CorruptSpillFileError(path, 'a block is not an array of entries')
      for (let i = 0; i < block.length; i++) yield block[i]
    }
  } finally {
    closeSync(fd)
  }
}
