/**
 * Raft for the control plane (DESIGN §5): `RaftCore` is the deterministic algorithm,
 * `RaftNode` drives it with a timer, a `RaftStorage` and a `RaftTransport`.
 *
 * @example
 * import { RaftNode, MemoryRaftStorage } from './node/cluster/raft/index.ts'
 * const nodes = new Map<string, RaftNode>()
 * const transport = { send: (env) => { setTimeout(() => nodes.get(env.to)?.receive(env), 1) } }
 * for (const id of ['a', 'b', 'c']) nodes.set(id, new RaftNode({ storage: new MemoryRaftStorage(), transport }, { id, tickMs: 10 }))
 * for (const node of nodes.values()) { await node.start(); await node.bootstrap({ voters: ['a', 'b', 'c'], learners: [] }) }
 * // ... once one of them leads:
 * const leader = [...nodes.values()].find(n => n.role === 'leader')
 * await leader?.propose({ op: 'hello' })
 * for (const node of nodes.values()) await node.stop()
 */
export { RaftCore } from './raft-core.ts'
export type { RaftCoreComponents, RaftCoreInit, TickOptions } from './raft-core.ts'
export { RaftNode } from './raft-node.ts'
export type { RaftNodeComponents, RaftNodeInit, RaftNodeEvents, RaftNodeOptions, RaftTransport } from './raft-node.ts'
export { MemoryRaftStorage } from './raft-storage.ts'
export type { RaftStorage, RaftStorageOptions } from './raft-storage.ts'
export { RaftLog } from './raft-log.ts'
export { RaftRoles } from './types.ts'
export type {
  ConfigChange, FencingToken, FollowerProgress, HardState, PersistentState, ProposalPosition,
  RaftRole, Ready, SoftState, LogEntry, NodeId, RaftConfiguration, RaftEnvelope,
  RaftStateMachine, Snapshot, SnapshotMeta, SnapshotWrite
} from './types.ts'
export {
  NotLeaderError, ConfigChangeInProgressError, InvalidConfigChangeError, LeadershipTransferInProgressError,
  LeadershipTransferError, LeadershipLostError, BootstrapError, RaftNodeStoppedError
} from './errors.ts'
export {
  DEFAULT_TICK_MS, DEFAULT_ELECTION_TICKS, DEFAULT_HEARTBEAT_TICKS, DEFAULT_MAX_ENTRIES_PER_APPEND,
  DEFAULT_SNAPSHOT_EVERY, DEFAULT_SNAPSHOT_MARGIN, DEFAULT_SNAPSHOT_CHUNK_BYTES, DEFAULT_SNAPSHOT_CHUNKS_IN_FLIGHT
} from './constants.ts'
