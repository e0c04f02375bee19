/**
 * Raft's persistent state in the peer store: the current term and vote, the log, and the
 * latest snapshot. Each `save` and `saveSnapshot` is one hyperdb flush (one RocksDB write
 * batch), so a crash never leaves a vote without its term, half of an append, or a log
 * compacted behind a snapshot that was not written.
 *
 * The snapshot is one record of the `meta` collection (key `raft-snapshot`): its metadata
 * and the state machine's bytes, cbor-encoded together.
 */
import { decodeCbor, encodeCbor } from '../../protocol/cbor.ts'
import { decodeSnapshotMeta, wireMeta } from '../../protocol/raft-codec.ts'
import type { LogEntry, NodeId } from '../../protocol/raft.ts'
import type { Snapshot } from '../cluster/raft/types.ts'
import { CorruptRecordError } from './errors.ts'
import type { PeerStore } from './peer-store.ts'

export interface HardState {
  readonly term: number
  readonly votedFor: NodeId | undefined
}

const STATE = '@meshflow/raft-state'
const LOG = '@meshflow/raft-log'
const META = '@meshflow/meta'
const SNAPSHOT_KEY = 'raft-snapshot'

export class RaftLogStore {
  readonly #store: PeerStore

  constructor (store: PeerStore) {
    this.#store = store
  }

  async load (): Promise<{ hardState: HardState, entries: LogEntry[], snapshot?: Snapshot }> {
    const db = this.#store.db
    const state = await db.get(STATE, { key: 'hard' })
    const hardState: HardState = state === null || state === undefined
      ? { term: 0, votedFor: undefined }
      : { term: state.term, votedFor: state.votedFor ?? undefined }
    const entries: LogEntry[] = []
    for await (const record of db.find(LOG, {})) {
      let entry: LogEntry
      try {
        entry = decodeCbor('raft-log', record.data) as LogEntry
      } catch (err) {
        throw new CorruptRecordError(`Raft log entry ${record.index}`, { cause: err })
      }
      if (entry.index !== record.index || entry.term !== record.term) {
        throw new CorruptRecordError(`Raft log entry ${record.index} holds index ${entry.index} term ${entry.term}`)
      }
      const last = entries[entries.length - 1]
      if (last !== undefined && last.index + 1 !== entry.index) {
        throw new CorruptRecordError(`Raft log has a gap after entry ${last.index}`)
      }
      entries.push(entry)
    }
    const snapshot = await this.loadSnapshot()
    const first = entries[0]
    if (snapshot !== undefined && first !== undefined && first.index > snapshot.meta.index + 1) {
      throw new CorruptRecordError(`Raft log starts at entry ${first.index}, after a gap behind the snapshot at ${snapshot.meta.index}`)
    }
    if (snapshot === undefined && first !== undefined && first.index !== 1) {
      throw new CorruptRecordError(`Raft log starts at entry ${first.index} without a snapshot`)
    }
    return { hardState, entries, ...(snapshot === undefined ? {} : { snapshot }) }
  }

  /** The stored snapshot, validated. */
  async loadSnapshot (): Promise<Snapshot | undefined> {
    const record = await this.#store.db.get(META, { key: SNAPSHOT_KEY })
    if (record === null || record === undefined) return undefined
    try {
      const o = decodeCbor('raft-snapshot', new Uint8Array(record.value)) as { meta?: unknown, data?: unknown }
      const meta = decodeSnapshotMeta(o?.meta, 'meta')
      if (!(o.data instanceof Uint8Array)) throw new TypeError('Raft snapshot data is not a byte array')
      return { meta, data: new Uint8Array(o.data) }
    } catch (err) {
      throw new CorruptRecordError('Raft snapshot', { cause: err })
    }
  }

  /**
   * Writes the snapshot and drops the entries below `retainFrom` (every entry when
   * undefined), in one write batch.
   */
  async saveSnapshot (snapshot: Snapshot, retainFrom: number | undefined): Promise<void> {
    const db = this.#store.db
    const value = encodeCbor({ meta: wireMeta(snapshot.meta), data: snapshot.data })
    await this.#store.writeLock.run(async () => {
      await db.insert(META, { key: SNAPSHOT_KEY, value: Buffer.from(value.buffer, value.byteOffset, value.byteLength) })
      const doomed = await db.find(LOG, retainFrom === undefined ? {} : { lt: { index: retainFrom } }).toArray()
      for (const record of doomed) await db.delete(LOG, { index: record.index })
      await db.flush()
    })
  }

  /** Drops entries from `truncateFrom` on, appends `entries` and records the hard state. */
  async save (hardState: HardState | undefined, entries: readonly LogEntry[], truncateFrom: number | undefined): Promise<void> {
    const db = this.#store.db
    await this.#store.writeLock.run(async () => {
      if (truncateFrom !== undefined) {
        const doomed = await db.find(LOG, { gte: { index: truncateFrom } }).toArray()
        for (const record of doomed) await db.delete(LOG, { index: record.index })
      }
      for (const e of entries) {
        await db.insert(LOG, { index: e.index, term: e.term, data: encodeCbor(e) })
      }
      if (hardState !== undefined) {
        await db.insert(STATE, { key: 'hard', term: hardState.term, ...(hardState.votedFor === undefined ? {} : { votedFor: hardState.votedFor }) })
      }
      await db.flush()
    })
  }
}
