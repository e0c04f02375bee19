/**
 * A peer's local store: one hyperdb database on RocksDB in `<dataDir>/db`, holding the
 * peer's identity and metadata, its Raft state and log, and (later) blocks. Writes are
 * committed with `flush()`; RocksDB makes them durable in its write-ahead log.
 *
 * The store opens with RocksDB's absolute-consistency WAL recovery: every record of the
 * write-ahead log must pass its checksum, or the open fails (`RaftStateDamagedError`).
 * RocksDB's default, point-in-time recovery, would silently drop every record after the
 * first bad one, and a Raft voter that forgets entries or its vote breaks the guarantees
 * Raft depends on. `{ repair: true }` opens a damaged store anyway with point-in-time
 * recovery (what is before the damage survives); the caller then drops the Raft state
 * (`RaftLogStore.wipe`), which can no longer be trusted.
 *
 * @example
 * const store = await PeerStore.open('./data')
 * await store.putMeta('cluster-id', bytes)
 * await store.close()
 */
import { createRequire } from 'node:module'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import HyperDB, { type HyperDBInstance } from 'hyperdb'
import { RaftStateDamagedError, StoreOpenError } from './errors.ts'
import { StoreWriteLock } from './store-write-lock.ts'
import { errorMessage } from '../../protocol/error-message.ts'

const require = createRequire(import.meta.url)

/**
 * rocksdb-native as hyperdb resolves it: the same copy its engine uses, so the instance
 * handed to `HyperDB.rocks` is one it knows.
 */
const RocksDB = createRequire(require.resolve('hyperdb'))('rocksdb-native') as RocksDBModule

interface RocksDBModule {
  new (path: string, options: { walRecoveryMode: number, readOnly?: boolean }): { ready(): Promise<void>, close(): Promise<void> }
  readonly constants: { readonly walRecoveryMode: { readonly ABSOLUTE_CONSISTENCY: number, readonly POINT_IN_TIME: number } }
}

const WAL_MODES = RocksDB.constants.walRecoveryMode

/** Options of `PeerStore.open`. */
export interface PeerStoreOptions {
  /**
   * Open a store whose write-ahead log is damaged, keeping what is before the damage
   * (point-in-time recovery). For `meshflow node --repair` only: the caller must then drop
   * the Raft state.
   */
  readonly repair?: boolean
}

let definition: unknown
function loadDefinition (): unknown {
  definition ??= require('./spec/hyperdb/index.js')
  return definition
}

export class PeerStore {
  /** The data directory given to `open`. */
  readonly dataDir: string
  /** The RocksDB directory, `<dataDir>/db`. */
  readonly dir: string
  readonly db: HyperDBInstance
  /** Set when `open` had to recover a damaged write-ahead log (with `repair`): what RocksDB said. */
  readonly recoveredFrom: string | undefined
  /** Every insert-then-flush on `db` runs under this lock (see store-write-lock.ts). */
  readonly writeLock = new StoreWriteLock()
  #closed = false

  private constructor (dataDir: string, dir: string, db: HyperDBInstance, recoveredFrom: string | undefined) {
    this.dataDir = dataDir
    this.dir = dir
    this.db = db
    this.recoveredFrom = recoveredFrom
  }

  /**
   * Opens (creating if needed) the store under `dataDir`.
   *
   * @throws {RaftStateDamagedError} naming `dataDir` when the write-ahead log fails its
   * checksums (without `repair`)
   * @throws {StoreOpenError} when the directory cannot be opened (permissions, another
   * process holds it …)
   */
  static async open (dataDir: string, options: PeerStoreOptions = {}): Promise<PeerStore> {
    const dir = join(dataDir, 'db')
    let damage: string | undefined
    try {
      mkdirSync(dir, { recursive: true })
      return new PeerStore(dataDir, dir, await openRocks(dir, WAL_MODES.ABSOLUTE_CONSISTENCY), undefined)
    } catch (err) {
      damage = await damageOf(dir, err)
      if (damage === undefined) throw new StoreOpenError(dir, { cause: err })
      if (options.repair !== true) throw new RaftStateDamagedError(dataDir, `its write-ahead log cannot be recovered with absolute consistency: ${damage}`, { cause: err })
    }
    try {
      return new PeerStore(dataDir, dir, await openRocks(dir, WAL_MODES.POINT_IN_TIME), damage)
    } catch (err) {
      throw new StoreOpenError(dir, { cause: err })
    }
  }

  async getMeta (key: string): Promise<Uint8Array | undefined> {
    const record = await this.db.get('@meshflow/meta', { key })
    return record === null || record === undefined ? undefined : new Uint8Array(record.value)
  }

  async putMeta (key: string, value: Uint8Array): Promise<void> {
    await this.writeLock.run(async () => {
      await this.db.insert('@meshflow/meta', { key, value: Buffer.from(value.buffer, value.byteOffset, value.byteLength) })
      await this.db.flush()
    })
  }

  async close (): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    // let writes in progress finish before the database goes away
    await this.writeLock.run(async () => { await this.db.close() })
  }
}

async function openRocks (dir: string, walRecoveryMode: number): Promise<HyperDBInstance> {
  const db = HyperDB.rocks(new RocksDB(dir, { walRecoveryMode }), loadDefinition())
  try {
    await db.ready()
  } catch (err) {
    await db.close().catch(() => {})
    throw err
  }
  return db
}

/**
 * Why an absolute-consistency open of `dir` failed if it was damage, else undefined: the
 * store opens read-only with point-in-time recovery (as RocksDB's default would, silently)
 * but not with absolute consistency. A lock held by another process is not damage (a
 * read-only open takes no lock, so it is ruled out first).
 */
async function damageOf (dir: string, err: unknown): Promise<string | undefined> {
  const message = errorMessage(err)
  if (/\block\b|LOCK/.test(message)) return undefined
  const probe = new RocksDB(dir, { walRecoveryMode: WAL_MODES.POINT_IN_TIME, readOnly: true })
  try {
    await probe.ready()
  } catch {
    return undefined
  } finally {
    await probe.close().catch(() => {})
  }
  return message
}
