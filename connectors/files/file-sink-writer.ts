/**
 * The writer of one `fileSink` subtask, a two-phase-commit SinkWriter (node/api/sink.ts).
 * A part file goes through three names, all in the output directory:
 *
 * 1. in progress: `.part-<job>-<subtask>-<instance>-<n>.<ext>.inprogress` — each batch is
 *    appended to it; it rolls to the next one when it reaches `rollBytes`. `<instance>` is
 *    random per writer, so a restarted attempt of the same job never touches the files of
 *    the attempt that failed.
 * 2. pre-committed: `.part-<job>-<subtask>-<checkpoint>-<seq>.<ext>.pending` —
 *    `prepareCommit(checkpointId)` fsyncs every part written so far and renames it here;
 *    `<checkpoint>` is the checkpoint id, or `end` for the end of input. The committable
 *    (a `PendingPart`) goes into the checkpoint.
 * 3. committed: `part-<job>-<subtask>-<checkpoint>-<seq>.<ext>` — `commit(parts)` renames
 *    them when the checkpoint completes. Only now do readers that skip dot-files see them.
 *
 * Visible names are unique per job, subtask and checkpoint, so a job resumed from a
 * savepoint into the same directory (a new job id) never overwrites. A pre-committed name
 * is reserved with an exclusive create before the rename, so two writers never pick the
 * same one. Stale hidden parts of a failed attempt are never committed: only the parts a
 * completed checkpoint lists are.
 *
 * Without checkpointing `finish()` does both phases at the end of bounded input.
 */
import { randomBytes } from 'node:crypto'
import { lstat, open, rename, rm, type FileHandle } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { FINAL_CHECKPOINT_ID, type SinkWriter } from '../../node/api/sink.ts'
import { IN_PROGRESS_SUFFIX, INSTANCE_ID_LENGTH, JOB_ID_PREFIX_LENGTH, PENDING_SUFFIX } from './constants.ts'
import { errorCode, FileConnectorError, InvalidCommittableError, PartFileExistsError, PartFileMissingError, writeErrorOf } from './errors.ts'
import type { RecordEncoder } from './record-encoder.ts'

/**
 * A pre-committed part file waiting to be committed: the file sink's committable. Plain
 * data (it goes into a checkpoint).
 */
export interface PendingPart {
  /** Where the part is now (hidden, `.pending`). */
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
  /** Names this writer's in-progress parts; random by default (tests fix it). */
  readonly instanceId?: string
}

interface OpenPart {
  readonly handle: FileHandle
  readonly hiddenPath: string
  bytes: number
}

/** A part closed and fsynced, still under its in-progress name. */
interface ClosedPart {
  readonly hiddenPath: string
  readonly bytes: number
}

export class FileSinkWriter<T> implements SinkWriter<T> {
  readonly dir: string
  readonly #extension: string
  readonly #encoder: RecordEncoder<T>
  readonly #rollBytes: number
  /** `part-<job>-<subtask>`: unique per job and subtask. */
  readonly #prefix: string
  /** `.part-<job>-<subtask>-<instance>`: unique per writer. */
  readonly #inProgressPrefix: string
  #seq = 0
  #current: OpenPart | undefined
  /** Closed parts not pre-committed yet (this writer owns them). */
  #closedParts: ClosedPart[] = []
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
    const job = safeName(init.jobId.slice(0, JOB_ID_PREFIX_LENGTH))
    this.#prefix = `part-${job.length > 0 ? job : 'job'}-${init.subtaskIndex}`
    const instance = safeName(init.instanceId ?? randomBytes(INSTANCE_ID_LENGTH / 2).toString('hex'))
    this.#inProgressPrefix = `.${this.#prefix}-${instance}`
  }

  /** Hidden (in-progress) paths of parts closed by a roll and not yet pre-committed. */
  get closedParts (): readonly string[] {
    return this.#closedParts.map(p => p.hiddenPath)
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

  /** The end of bounded input without checkpointing: commits everything written. */
  async finish (): Promise<void> {
    await this.commit(await this.prepareCommit())
  }

  /**
   * Closes and fsyncs the part being written and renames every part written so far to its
   * reserved pre-committed name for `checkpointId` (`end` when it is omitted or
   * FINAL_CHECKPOINT_ID), then fsyncs the directory. The caller owns the returned parts
   * (`close()` no longer removes them) and makes them visible with `commit`.
   *
   * @throws {FileWriteError} when the file system fails
   */
  async prepareCommit (checkpointId?: number): Promise<PendingPart[]> {
    const tag = checkpointTag(checkpointId)
    if (this.#writes > 0) await this.#tail
    await this.#closeCurrent()
    const prepared: PendingPart[] = []
    let seq = 0
    while (this.#closedParts.length > 0) {
      const part = this.#closedParts[0]!
      const reserved = await this.#reserve(tag, seq)
      seq = reserved.seq + 1
      try {
        await rename(part.hiddenPath, reserved.hiddenPath)
      } catch (err) {
        await rm(reserved.hiddenPath, { force: true }).catch(() => {})
        throw writeErrorOf(part.hiddenPath, err)
      }
      this.#closedParts.shift()
      prepared.push({ hiddenPath: reserved.hiddenPath, path: reserved.path, bytes: part.bytes })
    }
    if (prepared.length > 0) await syncDirectory(this.dir)
    return prepared
  }

  /**
   * Renames pre-committed parts to their visible names and fsyncs the directory.
   * Idempotent: a part whose hidden file is gone and whose visible file exists was
   * committed already (before a failure) and is skipped.
   *
   * @throws {InvalidCommittableError} if an element is not a PendingPart
   * @throws {PartFileExistsError} if a visible file of that name exists while the hidden part does too; it is kept
   * @throws {PartFileMissingError} if neither the hidden part nor the visible file exists (its data is lost)
   */
  async commit (committables: readonly unknown[]): Promise<void> {
    const parts = committables.map(toPendingPart)
    const dirs = new Set<string>()
    for (const part of parts) {
      const hiddenExists = await exists(part.hiddenPath)
      const visibleExists = await exists(part.path)
      if (!hiddenExists) {
        if (visibleExists) continue
        throw new PartFileMissingError(part.path, part.hiddenPath)
      }
      if (visibleExists) throw new PartFileExistsError(part.path)
      try {
        await rename(part.hiddenPath, part.path)
      } catch (err) {
        throw writeErrorOf(part.path, err)
      }
      dirs.add(dirname(part.path))
    }
    for (const dir of dirs) await syncDirectory(dir)
  }

  /**
   * Releases the open part. Without a commit (failure, cancel) it removes the hidden
   * parts it still owns, which nothing would ever commit; committed files and parts handed
   * out by `prepareCommit` are left alone (a completed checkpoint may still commit them).
   */
  async close (): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    if (this.#writes > 0) await this.#tail?.catch(() => {})
    const part = this.#current
    this.#current = undefined
    if (part !== undefined) {
      this.#closedParts.push({ hiddenPath: part.hiddenPath, bytes: part.bytes })
      await part.handle.close().catch(() => {})
    }
    const discard = this.#closedParts
    this.#closedParts = []
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

  /** Opens the next in-progress part, skipping numbers whose name is taken. */
  async #openPart (): Promise<OpenPart> {
    for (;;) {
      const hiddenPath = join(this.dir, `${this.#inProgressPrefix}-${this.#seq++}.${this.#extension}${IN_PROGRESS_SUFFIX}`)
      let handle: FileHandle
      try {
        // 'wx' fails if the file exists: two writers never share a part
        handle = await open(hiddenPath, 'wx')
      } catch (err) {
        if (errorCode(err) === 'EEXIST') continue
        throw writeErrorOf(hiddenPath, err)
      }
      const part: OpenPart = { handle, hiddenPath, bytes: 0 }
      this.#current = part
      return part
    }
  }

  /**
   * Reserves the first free pre-committed name of checkpoint `tag` from `seq` on: its
   * visible name must not exist, and its hidden name is created exclusively (an empty
   * placeholder the rename then replaces), so concurrent writers never get the same one.
   */
  async #reserve (tag: string, from: number): Promise<{ path: string, hiddenPath: string, seq: number }> {
    for (let seq = from; ; seq++) {
      const name = `${this.#prefix}-${tag}-${seq}.${this.#extension}`
      const path = join(this.dir, name)
      const hiddenPath = join(this.dir, `.${name}${PENDING_SUFFIX}`)
      if (await exists(path)) continue
      let handle: FileHandle
      try {
        handle = await open(hiddenPath, 'wx')
      } catch (err) {
        if (errorCode(err) === 'EEXIST') continue
        throw writeErrorOf(hiddenPath, err)
      }
      await handle.close()
      // committed by another writer between the check and the create: not ours to take
      if (await exists(path)) {
        await rm(hiddenPath, { force: true })
        continue
      }
      return { path, hiddenPath, seq }
    }
  }

  /** Makes the open part durable and closed. */
  async #closeCurrent (): Promise<void> {
    const part = this.#current
    if (part === undefined) return
    this.#current = undefined
    this.#closedParts.push({ hiddenPath: part.hiddenPath, bytes: part.bytes })
    try {
      await part.handle.sync()
    } catch (err) {
      throw writeErrorOf(part.hiddenPath, err)
    } finally {
      await part.handle.close()
    }
  }
}

/** The checkpoint's part of a part-file name: its id, or `end` for the end of input. */
function checkpointTag (checkpointId: number | undefined): string {
  if (checkpointId === undefined || checkpointId === FINAL_CHECKPOINT_ID) return 'end'
  if (!Number.isSafeInteger(checkpointId) || checkpointId < 0) {
    throw new FileConnectorError(`Checkpoint id must be a non-negative integer, got ${String(checkpointId)}`, 'internal')
  }
  return String(checkpointId)
}

function safeName (s: string): string {
  return s.replace(/[^\w-]/g, '_')
}

/** Validates a committable that came back from a checkpoint. */
function toPendingPart (value: unknown): PendingPart {
  const p = value as Partial<PendingPart> | null
  if (typeof p !== 'object' || p === null) throw new InvalidCommittableError(`expected { hiddenPath, path, bytes }, got ${p === null ? 'null' : typeof p}`)
  if (typeof p.hiddenPath !== 'string' || p.hiddenPath.length === 0) throw new InvalidCommittableError('hiddenPath must be a non-empty string')
  if (typeof p.path !== 'string' || p.path.length === 0) throw new InvalidCommittableError(`path of ${p.hiddenPath} must be a non-empty string`)
  if (typeof p.bytes !== 'number' || !Number.isSafeInteger(p.bytes) || p.bytes < 0) throw new InvalidCommittableError(`bytes of ${p.path} must be a non-negative integer`)
  return { hiddenPath: p.hiddenPath, path: p.path, bytes: p.bytes }
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
