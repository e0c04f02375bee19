/**
 * The writer of one `fileSink` subtask, a two-phase-commit SinkWriter (node/api/sink.ts).
 * A part file goes through three names, all in the output directory:
 *
 * 1. in progress: `.part-<job>-<subtask>-<instance>-<n>.<ext>.inprogress` — each batch is
 *    appended to it (a format that cannot be appended to, Parquet, keeps the part's records
 *    in memory and writes the whole file when the part closes); it rolls to the next one
 *    when it reaches `rollBytes` (bytes in memory included), or on the first write (or
 *    `rollIfOlder`) once it is older than `rollMs`. `<instance>` is random per writer, so a
 *    restarted attempt of the same job never touches the files of the attempt that failed.
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
 * completed checkpoint lists are. They are removed once a checkpoint of the current attempt
 * has completed, and at the end of input (rules in part-cleanup.ts): `prepareCommit` adds a
 * `CleanupRequest` to the committables, and the writer that made it cleans up in `commit`.
 *
 * Without checkpointing `finish()` does both phases at the end of bounded input.
 */
import { randomBytes } from 'node:crypto'
import { lstat, open, readdir, rename, rm, type FileHandle } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { logger } from '@libp2p/logger'
import { FINAL_CHECKPOINT_ID, type SinkWriter } from '../../node/api/sink.ts'
import { IN_PROGRESS_SUFFIX, INSTANCE_ID_LENGTH, JOB_ID_PREFIX_LENGTH, PENDING_SUFFIX } from './constants.ts'
import { errorCode, FileConnectorError, InvalidCommittableError, PartFileExistsError, PartFileMissingError, writeErrorOf } from './errors.ts'
import { claimName, planCleanup, safeName, sinkTag, type PartNamespace } from './part-cleanup.ts'
import type { RecordEncoder } from './record-encoder.ts'
import { errorMessage } from '../../protocol/error-message.ts'

const log = logger('meshflow:connectors:files:sink')

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

/**
 * Asks the writer that made it to remove stale hidden parts once the checkpoint holding it
 * has completed (see part-cleanup.ts). Plain data; any other writer ignores it.
 */
export interface CleanupRequest {
  /** The random token of the writer that made it. */
  readonly cleanupBy: string
  /** Made at the end of input: the writer's claim goes too. */
  readonly final: boolean
}

/** What the file sink's `prepareCommit` returns and its `commit` takes. */
export type FileSinkCommittable = PendingPart | CleanupRequest

export interface FileSinkWriterInit<T> {
  /** The output directory (it exists). */
  readonly dir: string
  /** File name extension of part files, without the dot. */
  readonly extension: string
  readonly encoder: RecordEncoder<T>
  readonly rollBytes: number
  /** A part older than this (ms since it was opened) is closed on the next write or `rollIfOlder` (default: never). */
  readonly rollMs?: number | undefined
  /** The clock of `rollMs` (default Date.now; tests inject one). */
  readonly now?: (() => number) | undefined
  readonly jobId: string
  readonly subtaskIndex: number
  /** The sink's parallelism: this writer also cleans the parts of subtasks at or above it (default: only its own). */
  readonly parallelism?: number
  /** The sink operator's id: two sinks of one job sharing a directory never clean each other's parts. */
  readonly operatorId?: string
  /** Names this writer's in-progress parts; random by default (tests fix it). */
  readonly instanceId?: string
}

interface OpenPart {
  readonly handle: FileHandle
  readonly hiddenPath: string
  bytes: number
  /** When it was opened (the `now` clock). */
  readonly openedAt: number
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
  readonly #rollMs: number
  readonly #now: () => number
  /** `part-<job>-<subtask>`: unique per job and subtask. */
  readonly #prefix: string
  /** `.part-<job>-<subtask>-<instance>`: unique per writer. */
  readonly #inProgressPrefix: string
  readonly #namespace: PartNamespace
  /** Marks this writer's cleanup requests. */
  readonly #cleanupToken = randomBytes(16).toString('hex')
  /** The first pre-commit carried a cleanup request. */
  #cleanupRequested = false
  #claimed = false
  /** Hidden paths handed out by `prepareCommit` and not committed yet (still ours). */
  readonly #prepared = new Set<string>()
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
    this.#rollMs = init.rollMs ?? Number.POSITIVE_INFINITY
    this.#now = init.now ?? Date.now
    const short = safeName(init.jobId.slice(0, JOB_ID_PREFIX_LENGTH))
    const job = short.length > 0 ? short : 'job'
    this.#prefix = `part-${job}-${init.subtaskIndex}`
    const instance = safeName(init.instanceId ?? randomBytes(INSTANCE_ID_LENGTH / 2).toString('hex'))
    this.#inProgressPrefix = `.${this.#prefix}-${instance}`
    this.#namespace = {
      job,
      jobId: safeName(init.jobId),
      sink: sinkTag(init.operatorId),
      extension: init.extension,
      subtaskIndex: init.subtaskIndex,
      parallelism: init.parallelism ?? Number.POSITIVE_INFINITY
    }
  }

  /** The hidden file that claims this writer's part names for its job and sink (see part-cleanup.ts). */
  get claimPath (): string {
    return join(this.dir, claimName(this.#namespace))
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

  /**
   * Closes the part being written if it is older than `rollMs`, as a write would: for a
   * writer that gets no writes for a while (a partition directory nothing goes to).
   */
  async rollIfOlder (): Promise<void> {
    if (this.#writes > 0) await this.#tail
    const part = this.#current
    if (part !== undefined && this.#now() - part.openedAt >= this.#rollMs) await this.#closeCurrent()
  }

  /** The end of bounded input without checkpointing: commits everything written. */
  async finish (): Promise<void> {
    await this.commit(await this.prepareCommit())
  }

  /**
   * Closes and fsyncs the part being written and renames every part written so far to its
   * reserved pre-committed name for `checkpointId` (`end` when it is omitted or
   * FINAL_CHECKPOINT_ID), then fsyncs the directory. The caller owns the returned parts
   * (`close()` no longer removes them) and makes them visible with `commit`. The first
   * pre-commit of a writer, and the one at the end of input, also return a
   * `CleanupRequest`.
   *
   * @throws {FileWriteError} when the file system fails
   */
  async prepareCommit (checkpointId?: number): Promise<FileSinkCommittable[]> {
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
      this.#prepared.add(reserved.hiddenPath)
      prepared.push({ hiddenPath: reserved.hiddenPath, path: reserved.path, bytes: part.bytes })
    }
    if (prepared.length > 0) await syncDirectory(this.dir)
    const final = tag === 'end'
    if (!this.#cleanupRequested || final) {
      this.#cleanupRequested = true
      return [...prepared, { cleanupBy: this.#cleanupToken, final }]
    }
    return prepared
  }

  /**
   * Renames pre-committed parts to their visible names and fsyncs the directory.
   * Idempotent: a part whose hidden file is gone and whose visible file exists was
   * committed already (before a failure) and is skipped. Then, for a cleanup request this
   * writer made, removes the stale hidden parts of its namespace (never failing the commit
   * for it); requests of other writers are ignored.
   *
   * @throws {InvalidCommittableError} if an element is not a PendingPart
   * @throws {PartFileExistsError} if a visible file of that name exists while the hidden part does too; it is kept
   * @throws {PartFileMissingError} if neither the hidden part nor the visible file exists (its data is lost)
   */
  async commit (committables: readonly unknown[]): Promise<void> {
    const all = committables.map(toCommittable)
    const dirs = new Set<string>()
    for (const part of all) {
      if ('cleanupBy' in part) continue
      const hiddenExists = await exists(part.hiddenPath)
      const visibleExists = await exists(part.path)
      if (!hiddenExists) {
        if (visibleExists) {
          this.#prepared.delete(part.hiddenPath)
          continue
        }
        throw new PartFileMissingError(part.path, part.hiddenPath)
      }
      if (visibleExists) throw new PartFileExistsError(part.path)
      try {
        await rename(part.hiddenPath, part.path)
      } catch (err) {
        throw writeErrorOf(part.path, err)
      }
      this.#prepared.delete(part.hiddenPath)
      dirs.add(dirname(part.path))
    }
    for (const dir of dirs) await syncDirectory(dir)
    const requests = all.filter((c): c is CleanupRequest => 'cleanupBy' in c && c.cleanupBy === this.#cleanupToken)
    if (requests.length > 0) await this.#cleanup(requests.some(r => r.final))
  }

  /**
   * Removes the hidden parts of this writer's namespace that it does not own (a checkpoint
   * of this attempt completed: they can never be committed), and its claim when `final`.
   * Cleanup is best effort: a failure is logged and leaves hidden files, never output.
   */
  async #cleanup (final: boolean): Promise<void> {
    try {
      const parts = await readdir(this.dir)
      // listed after the parts: a claim is made before its writer's first part
      const claims = await readdir(this.dir)
      const live = new Set([...this.#prepared, ...this.#closedParts.map(p => p.hiddenPath)])
      if (this.#current !== undefined) live.add(this.#current.hiddenPath)
      const plan = planCleanup(parts, claims, this.#namespace, new Set([...live].map(p => basename(p))))
      if (plan.blockedBy !== undefined) {
        log('not removing stale parts of %s in %s: %s claims the same names', this.#prefix, this.dir, plan.blockedBy)
      }
      for (const name of plan.stale) await rm(join(this.dir, name), { force: true })
      if (plan.stale.length > 0) log('removed %d stale hidden parts of %s in %s', plan.stale.length, this.#prefix, this.dir)
      if (final && this.#claimed) {
        await rm(this.claimPath, { force: true })
        this.#claimed = false
      }
    } catch (err) {
      log.error('removing stale parts of %s in %s failed: %s', this.#prefix, this.dir, errorMessage(err))
    }
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
      if (part.bytes + (this.#encoder.bufferedBytes ?? 0) >= this.#rollBytes || this.#now() - part.openedAt >= this.#rollMs) await this.#closeCurrent()
    } finally {
      this.#writes--
    }
  }

  /** Opens the next in-progress part, skipping numbers whose name is taken. */
  async #openPart (): Promise<OpenPart> {
    await this.#claim()
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
      const part: OpenPart = { handle, hiddenPath, bytes: 0, openedAt: this.#now() }
      this.#current = part
      return part
    }
  }

  /** Creates this writer's claim before its first hidden part (see part-cleanup.ts). */
  async #claim (): Promise<void> {
    if (this.#claimed) return
    const path = this.claimPath
    try {
      await (await open(path, 'a')).close()
    } catch (err) {
      throw writeErrorOf(path, err)
    }
    this.#claimed = true
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
    try {
      // a format written whole (Parquet) writes the part now
      const whole = this.#encoder.finishPart?.()
      if (whole !== undefined) {
        await writeAll(part.handle, whole, part.hiddenPath)
        part.bytes += whole.length
      }
    } catch (err) {
      this.#closedParts.push({ hiddenPath: part.hiddenPath, bytes: part.bytes })
      await part.handle.close().catch(() => {})
      throw err
    }
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

/** Validates a committable that came back from a checkpoint. */
function toCommittable (value: unknown): FileSinkCommittable {
  const p = value as Partial<PendingPart> & Partial<CleanupRequest> | null
  if (typeof p !== 'object' || p === null) throw new InvalidCommittableError(`expected { hiddenPath, path, bytes }, got ${p === null ? 'null' : typeof p}`)
  if ('cleanupBy' in p) {
    if (typeof p.cleanupBy !== 'string' || typeof p.final !== 'boolean') throw new InvalidCommittableError('a cleanup request needs a string cleanupBy and a boolean final')
    return { cleanupBy: p.cleanupBy, final: p.final }
  }
  if (typeof p.hiddenPath !== 'string' || p.hiddenPath.length === 0) throw new InvalidCommittableError('hiddenPath must be a non-empty string')
  if (typeof p.path !== 'string' || p.path.length === 0) throw new InvalidCommittableError(`path of ${p.hiddenPath} must be a non-empty string`)
  if (typeof p.bytes !== 'number' || !Number.isSafeInteger(p.bytes) || p.bytes < 0) throw new InvalidCommittableError(`bytes of ${p.path} must be a non-negative integer`)
  return { hiddenPath: p.hiddenPath, path: p.path, bytes: p.bytes }
}

async function writeAll (handle: FileHandle, buf: Uint8Array, path: string): Promise<void> {
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
