/**
 * The writer of one `fileSink` subtask. It appends each batch to a hidden part file
 * (`.part-<job>-<subtask>-<seq>.<ext>.inprogress`), rolls to the next part when one
 * reaches `rollBytes`, and keeps closed parts pending, still hidden, until they are
 * committed: renamed to `part-<job>-<subtask>-<seq>.<ext>`, which is when readers that
 * skip dot-files see them.
 *
 * Committing is two steps, as in Flink's two-phase-commit sinks: `prepareCommit()` closes
 * and fsyncs what was written and hands over the pending parts; `commit(parts)` renames
 * them. At the end of bounded input `finish()` does both. A checkpoint-driven commit will
 * call `prepareCommit()` on the barrier, keep the parts in the checkpoint, and `commit`
 * them once the checkpoint completes.
 */
import { lstat, open, rename, rm, type FileHandle } from 'node:fs/promises'
import { join } from 'node:path'
import type { SinkWriter } from '../../node/api/sink.ts'
import { IN_PROGRESS_SUFFIX, JOB_ID_PREFIX_LENGTH } from './constants.ts'
import { errorCode, PartFileExistsError, writeErrorOf } from './errors.ts'
import type { RecordEncoder } from './record-encoder.ts'

/** A closed, fsynced part file waiting to be committed. Plain data: it can go into a checkpoint. */
export interface PendingPart {
  /** Where the part is now (hidden). */
  readonly hiddenPath: string
  /** Where it goes on commit (visible). */
  readonly path: string
  readonly bytes: number
}

export interface FileSinkWriterInit<T> {
  /** The output directory (it exists). */
  readonly dir: string
  /** File name extension of part files, without the dot. */
  readonly extension: string
  readonly encoder: RecordEncoder<T>
  readonly rollBytes: number
  readonly jobId: string
  readonly subtaskIndex: number
}

interface OpenPart {
  readonly handle: FileHandle
  readonly hiddenPath: string
  readonly path: string
  bytes: number
}

export class FileSinkWriter<T> implements SinkWriter<T> {
  readonly dir: string
  readonly #extension: string
  readonly #encoder: RecordEncoder<T>
  readonly #rollBytes: number
  /** `part-<job>-<subtask>`: unique per job and subtask. */
  readonly #prefix: string
  #seq = 0
  #current: OpenPart | undefined
  /** Closed parts not handed to a commit yet. */
  #pending: PendingPart[] = []
  /** The last write; a write waits for the one before it. */
  #tail: Promise<void> | undefined
  /** Writes not settled yet. */
  #writes = 0
  #closed = false

  constructor (init: FileSinkWriterInit<T>) {
    this.dir = init.dir
    this.#extension = init.extension
    this.#encoder = init.encoder
    this.#rollBytes = init.rollBytes
    const job = init.jobId.slice(0, JOB_ID_PREFIX_LENGTH).replace(/[^\w-]/g, '_')
    this.#prefix = `part-${job.length > 0 ? job : 'job'}-${init.subtaskIndex}`
  }

  /** Parts closed and not yet handed to a commit (hidden). */
  get pendingParts (): readonly PendingPart[] {
    return this.#pending
  }

  /** The hidden path of the part being written, if any. */
  get inProgressPath (): string | undefined {
    return this.#current?.hiddenPath
  }

  /** Encodes the whole batch and appends it with one write; the promise settles when it is written. */
  write (values: T[]): Promise<void> | undefined {
    if (values.length === 0) return undefined
    if (this.#closed) throw new Error('FileSinkWriter.write after close()')
    const text = this.#encoder.encode(values)
    // the engine awaits each write; chain anyway so that parts are never written concurrently
    const previous = this.#writes > 0 ? this.#tail : undefined
    this.#writes++
    const done = previous === undefined
      ? this.#append(text)
      : previous.then(() => this.#append(text), (err: unknown) => { this.#writes--; throw err })
    this.#tail = done
    return done
  }

  /** The end of bounded input: commits everything written. */
  async finish (): Promise<void> {
    await this.commit(await this.prepareCommit())
  }

  /**
   * Closes and fsyncs the part being written and hands over every pending part; the
   * caller now owns them (`close()` no longer removes them) and makes them visible with
   * `commit`. Parts stay hidden until then.
   */
  async prepareCommit (): Promise<PendingPart[]> {
    if (this.#writes > 0) await this.#tail
    await this.#closeCurrent()
    const parts = this.#pending
    this.#pending = []
    return parts
  }

  /**
   * Renames prepared parts to their visible names and fsyncs the directory. Safe to repeat
   * after a failure: a part already visible (and no longer hidden) counts as committed.
   *
   * @throws {PartFileExistsError} if a visible file of that name exists already; it is kept
   */
  async commit (parts: readonly PendingPart[]): Promise<void> {
    for (const part of parts) {
      if (await exists(part.path)) {
        if (!(await exists(part.hiddenPath))) continue
        throw new PartFileExistsError(part.path)
      }
      try {
        await rename(part.hiddenPath, part.path)
      } catch (err) {
        throw writeErrorOf(part.path, err)
      }
    }
    if (parts.length > 0) await syncDirectory(this.dir)
  }

  /**
   * Releases the open part. Without a commit (failure, cancel) it removes the hidden
   * parts it still owns, which nothing would ever commit; committed files and parts handed
   * to `prepareCommit` are left alone.
   */
  async close (): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    if (this.#writes > 0) await this.#tail?.catch(() => {})
    const part = this.#current
    this.#current = undefined
    if (part !== undefined) {
      this.#pending.push({ hiddenPath: part.hiddenPath, path: part.path, bytes: part.bytes })
      await part.handle.close().catch(() => {})
    }
    const discard = this.#pending
    this.#pending = []
    for (const p of discard) await rm(p.hiddenPath, { force: true })
  }

  async #append (text: string): Promise<void> {
    try {
      let part = this.#current
      let data = text
      if (part === undefined) {
        part = await this.#openPart()
        data = this.#encoder.header() + text
      }
      const buf = Buffer.from(data, 'utf8')
      await writeAll(part.handle, buf, part.hiddenPath)
      part.bytes += buf.length
      if (part.bytes >= this.#rollBytes) await this.#closeCurrent()
    } finally {
      this.#writes--
    }
  }

  /** Opens the next hidden part, skipping numbers whose hidden or visible name is taken. */
  async #openPart (): Promise<OpenPart> {
    for (;;) {
      const name = `${this.#prefix}-${this.#seq++}.${this.#extension}`
      const path = join(this.dir, name)
      const hiddenPath = join(this.dir, `.${name}${IN_PROGRESS_SUFFIX}`)
      if (await exists(path)) continue
      let handle: FileHandle
      try {
        // 'wx' fails if the file exists: two writers never share a part
        handle = await open(hiddenPath, 'wx')
      } catch (err) {
        if (errorCode(err) === 'EEXIST') continue
        throw writeErrorOf(hiddenPath, err)
      }
      const part: OpenPart = { handle, hiddenPath, path, bytes: 0 }
      this.#current = part
      return part
    }
  }

  /** Makes the open part durable and pending. */
  async #closeCurrent (): Promise<void> {
    const part = this.#current
    if (part === undefined) return
    this.#current = undefined
    this.#pending.push({ hiddenPath: part.hiddenPath, path: part.path, bytes: part.bytes })
    try {
      await part.handle.sync()
    } catch (err) {
      throw writeErrorOf(part.hiddenPath, err)
    } finally {
      await part.handle.close()
    }
  }
}

async function writeAll (handle: FileHandle, buf: Buffer, path: string): Promise<void> {
  let offset = 0
  try {
    while (offset < buf.length) {
      const { bytesWritten } = await handle.write(buf, offset, buf.length - offset)
      offset += bytesWritten
    }
  } catch (err) {
    throw writeErrorOf(path, err)
  }
}

async function exists (path: string): Promise<boolean> {
  try {
    await lstat(path)
    return true
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return false
    throw writeErrorOf(path, err)
  }
}

/** Makes renames in `dir` durable. Not every platform can open a directory: then skip. */
async function syncDirectory (dir: string): Promise<void> {
  let handle: FileHandle
  try {
    handle = await open(dir, 'r')
  } catch {
    return
  }
  try {
    await handle.sync()
  } catch (err) {
    const code = errorCode(err)
    if (code !== 'EINVAL' && code !== 'EISDIR' && code !== 'EPERM') throw writeErrorOf(dir, err)
  } finally {
    await handle.close()
  }
}
