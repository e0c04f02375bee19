/**
 * meshflow's public programmatic API.
 *
 * @example
 * import { StreamEnvironment } from 'meshflow'
 * const env = StreamEnvironment.create({ parallelism: 2 })
 * const out = env.fromCollection(['a', 'b', 'a']).keyBy(w => w).reduce((a, b) => a + b).collect()
 * await env.execute('words')
 */
export * from './api/index.ts'
export { OperatorError, JobExecutionError, JobCancelledError, StateRestoreError, CheckpointAbortedError } from './runtime/errors.ts'
export { keyGroupOf, subtaskForKeyGroup, DEFAULT_MAX_PARALLELISM } from './graph/key-groups.ts'

// The peer API loads libp2p, RocksDB and the Raft layer only when a peer starts, so a job
// that imports 'meshflow' stays quick to load.
import type { Peer as PeerClass, PeerInit } from './cluster/peer.ts'
export type { PeerInit, PeerEvents, PeerStatus, RoleChange, JobHandle } from './cluster/peer.ts'
export type Peer = PeerClass
export const Peer = {
  /** Starts a peer of a mesh (see `node/cluster/peer.ts`). */
  async start (init: PeerInit): Promise<PeerClass> {
    const { Peer } = await import('./cluster/peer.ts')
    return await Peer.start(init)
  }
}
