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

// SQL: errors and types load with the API; a session (which starts a peer) on first use
export { SqlError, SqlSyntaxError, SqlUnknownTableError, SqlUnknownColumnError, SqlUnknownFunctionError, SqlTypeError, SqlAmbiguousColumnError, SqlAggregateError, SqlUnsupportedError, SqlPlanError, formatSqlError } from './sql/errors.ts'
export type { SqlType, SqlColumn } from './sql/sql-types.ts'
export type { SqlResult } from './sql/sql-result.ts'
/** @internal The job of `meshflow sql --mesh` (node/sql/jobs/sql-job.ts). */
export { buildSqlJob } from './sql/sql-job-build.ts'
import type { SqlSession as SqlSessionClass, SqlSessionOptions, SqlMeshOptions } from './sql/sql-session.ts'
export type { SqlSessionOptions, SqlMeshOptions } from './sql/sql-session.ts'
export type SqlSession = SqlSessionClass
export const SqlSession = {
  /** Opens a SQL session over the embedded peer's datasets in `dataDir` (see `node/sql/sql-session.ts`). */
  async open (options: SqlSessionOptions = {}): Promise<SqlSessionClass> {
    const { SqlSession } = await import('./sql/sql-session.ts')
    return await SqlSession.open(options)
  },
  /** Opens a SQL session on a mesh, through any of its peers (see `node/sql/sql-session.ts`). */
  async connect (options: SqlMeshOptions): Promise<SqlSessionClass> {
    const { SqlSession } = await import('./sql/sql-session.ts')
    return await SqlSession.connect(options)
  }
}
