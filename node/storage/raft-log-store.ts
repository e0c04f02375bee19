/**
 * Raft's persistent state in the peer store: the current term and vote, the log, and the
 * latest snapshot. Each `save` and `saveSnapshot` is one hyperdb flush (one RocksDB write
 * batch), so a crash never leaves a vote without its term, half of an append, or a log
 * compacted behind a snapshot that was not written.
 *
 * The snapshot is one record of the `meta` collection (key `raft-snapshot`): its metadata
 * and the state machine's bytes, cbor-encoded together.
 *
 * `load` checks that the state holds together (the snapshot decodes; every entry decodes,
 * sits under its own index and term; the log is contiguous from index 1, or from at most
 * one past the snapshot; terms never decrease and none is above the current term) and
 * throws `RaftStateDamagedError` naming the data directory otherwise; the write-ahead log's
 * own checksums are RocksDB's (see peer-store.ts).
 *
 * Repair (`meshflow node --repair`): `wipe` drops term, vote, snapshot and log (the
 * configuration is in the log and the snapshot) in one write and marks the peer as
 * repairing. A repairing peer neither votes nor campaigns (it may have voted, or
 * acknowledged entries, before it lost them) until it holds every committed entry again;
 * then `finishRepair` clears the mark.
 */
import { decodeCbor, encodeCbor } from '../../protocol/cbor.ts'
import { decodeSnapshotMeta, wireMeta } from '../../protocol/raft-codec.ts'
import type { LogEntry, NodeId } from '../../protocol/raft.ts'
import type { Snapshot } from '../cluster/raft/types.ts'
import { CorruptRecordError, RaftStateDamagedError } from './errors.ts'
import type { PeerStore } from './peer-store.ts'
import { errorMessage } from '../../protocol/error-message.ts'

export interface HardState {
  readonly term: number
  readonly votedFor: NodeId | undefined
}

const STATE = '@meshflow/raft-state'
const LOG = '@meshflow/raft-log'
const META = '@meshflow/meta'
/** Meta key present while the peer repairs its Raft state (see the module comment). */
const REPAIR_META = 'raft-repair'
const SNAPSHOT_KEY = 'raft-snapshot'

export class RaftLogStore {
  readonly #store: PeerStore

  constructor (store: PeerStore) {
    this.#store = store
  }

  /**
   * The saved hard state, snapshot and log.
   *
   * @throws {RaftStateDamagedError} naming the data directory and what is damaged
   */
  async load (): Promise<{ hardState: HardState, entries: LogEntry[], snapshot?: Snapshot }> {
    const damaged = (detail: string, cause?: unknown): RaftStateDamagedError =>
      new RaftStateDamagedError(this.#store.dataDir, detail, cause === undefined ? undefined : { cause })
    const db = this.#store.db
    let state: { term: number, votedFor?: string | null } | null | undefined
    try {
      state = await db.get(STATE, { key: 'hard' })
    } catch (err) {
      throw damaged(`the term and vote cannot be read: ${errorMessage(err)}`, err)
    }
    const hardState: HardState = state === null || state === undefined
      ? { term: 0, votedFor: undefined }
      : { term: state.term, votedFor: state.votedFor ?? undefined }
    let snapshot: Snapshot | undefined
    try {
      snapshot = await this.loadSnapshot()
    } catch (err) {
      throw damaged(`the snapshot cannot be read: ${errorMessage((err as { cause?: unknown }).cause ?? err)}`, err)
    }
    const entries: LogEntry[] = []
    try {
      for await (const record of db.find(LOG, {})) {
        let entry: LogEntry
        try {
          entry = decodeCbor('raft-log', record.data) as LogEntry
        } catch (err) {
          throw damaged(`log entry ${record.index} does not decode`, err)
        }
        if (entry.index !== record.index || entry.term !== record.term) {
          throw damaged(`log entry ${record.index} holds index ${entry.index} term ${entry.term}`)
        }
        const last = entries[entries.length - 1]
        if (last === undefined) {
          // a compacted log starts at most one past its snapshot (a margin may be kept behind it)
          if (snapshot === undefined && entry.index !== 1) throw damaged(`the log has no entry 1 and no snapshot (it starts at ${entry.index})`)
          if (snapshot !== undefined && entry.index > snapshot.meta.index + 1) throw damaged(`the log starts at entry ${entry.index}, after a gap behind the snapshot at ${snapshot.meta.index}`)
        } else if (entry.index !== last.index + 1) {
          throw damaged(`the log has no entry ${last.index + 1}`)
        }
        if (last !== undefined && entry.term < last.term) throw damaged(`log entry ${entry.index} has term ${entry.term}, below the term ${last.term} of the entry before`)
        if (entry.term > hardState.term) throw damaged(`log entry ${entry.index} has term ${entry.term}, above the current term ${hardState.term}`)
        entries.push(entry)
      }
    } catch (err) {
      if (err instanceof RaftStateDamagedError) throw err
      throw damaged(`the log cannot be read: ${errorMessage(err)}`, err)
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

  /**
   * Drops the whole Raft state (term, vote, snapshot, every log entry, so the configuration too) and
   * marks the peer as repairing, in one write. Leaves everything else in the store (the
   * identity, the blocks). Resolves with the number of log entries dropped.
   */
  async wipe (): Promise<number> {
    const db = this.#store.db
    return await this.#store.writeLock.run(async () => {
      let dropped = 0
      for await (const record of db.find(LOG, {})) {
        await db.delete(LOG, { index: record.index })
        dropped++
      }
      await db.delete(STATE, { key: 'hard' })
      await db.delete(META, { key: SNAPSHOT_KEY })
      await db.insert(META, { key: REPAIR_META, value: Buffer.from([1]) })
      await db.flush()
      return dropped
    })
  }

  /** Whether the peer is repairing its Raft state (since `wipe`, until `finishRepair`). */
  async isRepairing (): Promise<boolean> {
    return await this.#store.getMeta(REPAIR_META) !== undefined
  }

  /**
   * Ends a repair once the peer holds every committed entry again. When the stored term is
   * `term` with no vote, records `leaderId` as this term's vote: the leader has won the
   * term already, and the vote the peer may have cast in it before its state was lost can
   * then not be followed by a second one for another candidate after a restart.
   */
  async finishRepair (term: number, leaderId: NodeId): Promise<void> {
    const db = this.#store.db
    await this.#store.writeLock.run(async () => {
      const state = await db.get(STATE, { key: 'hard' })
      if (state !== null && state !== undefined && state.term === term && (state.votedFor ?? undefined) === undefined) {
        await db.insert(STATE, { key: 'hard', term, votedFor: leaderId })
      }
      await db.delete(META, { key: REPAIR_META })
      await db.flush()
    })
  }
}
