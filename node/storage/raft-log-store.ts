/**
 * Raft's persistent state in the peer store: the current term and vote, and the log.
 * Each `save` is one hyperdb flush (one RocksDB write batch), so a crash never leaves a
 * vote without its term or half of an append.
 */
import { decodeCbor, encodeCbor } from '../../protocol/cbor.ts'
import type { LogEntry, NodeId } from '../../protocol/raft.ts'
import { CorruptRecordError } from './errors.ts'
import type { PeerStore } from './peer-store.ts'

export interface HardState {
  readonly term: number
  readonly votedFor: NodeId | undefined
}

const STATE = '@meshflow/raft-state'
const LOG = '@meshflow/raft-log'

export class RaftLogStore {
  readonly #store: PeerStore

  constructor (store: PeerStore) {
    this.#store = store
  }

  async load (): Promise<{ hardState: HardState, entries: LogEntry[] }> {
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
    return { hardState, entries }
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
