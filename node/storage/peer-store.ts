/**
 * A peer's local store: one hyperdb database on RocksDB in `<dataDir>/db`, holding the
 * peer's identity and metadata, its Raft state and log, and (later) blocks. Writes are
 * committed with `flush()`; RocksDB makes them durable in its write-ahead log.
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
import { StoreOpenError } from './errors.ts'
import { StoreWriteLock } from './store-write-lock.ts'

const require = createRequire(import.meta.url)

let definition: unknown
function loadDefinition (): unknown {
  definition ??= require('./spec/hyperdb/index.js')
  return definition
}

export class PeerStore {
  readonly dir: string
  readonly db: HyperDBInstance
  /** Every insert-then-flush on `db` runs under this lock (see store-write-lock.ts). */
  readonly writeLock = new StoreWriteLock()
  #closed = false

  private constructor (dir: string, db: HyperDBInstance) {
    this.dir = dir
    this.db = db
  }

  /** Opens (creating if needed) the store under `dataDir`. */
  static async open (dataDir: string): Promise<PeerStore> {
    const dir = join(dataDir, 'db')
    try {
      mkdirSync(dir, { recursive: true })
      const db = HyperDB.rocks(dir, loadDefinition())
      await db.ready()
      return new PeerStore(dir, db)
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
