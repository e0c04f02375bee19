/**
 * The types of the peer API (peer.ts): what `Peer.start` takes, the events a peer emits,
 * its status, and the handle of a submitted job.
 */
import type { StatusResponse } from '../../protocol/client.ts'
import type { PeerRole } from '../../protocol/membership.ts'
import type { LogEntry } from '../../protocol/raft.ts'
import type { MemberInfo } from '../mesh/membership-service.ts'
import type { GroupConflict } from './raft-group.ts'

export interface PeerInit {
  /** Multiaddrs to listen on (default `/ip4/0.0.0.0/tcp/0`). */
  readonly listen?: readonly string[]
  /** Peers to connect to; the `/p2p/<id>` part may be left out. */
  readonly bootstrap?: readonly string[]
  /** Where the peer keeps its identity, Raft log and blocks. */
  readonly dataDir: string
  /** Task slots offered to the JobManager (default 2; EMBEDDED_SLOTS when embedded). */
  readonly slots?: number
  /**
   * Worker threads that run this peer's subtasks (default: one per slot, or the machine's
   * cores for an embedded peer); 0 runs them on the main thread.
   */
  readonly threads?: number
  /**
   * How long the task threads of a cancelled or failed job may take to stop before they are
   * terminated (an operator stuck in a loop never sees the cancellation; default 30 s).
   */
  readonly taskCancelTimeoutMs?: number
  /**
   * Start the task threads with the peer and load these modules (URLs) in each, for a
   * command about to run a job that imports them (the embedded CLI): the first job then
   * does not wait for its threads to start.
   */
  readonly warmThreads?: readonly string[]
  /**
   * `--task-memory`: bytes each task slot (subtask k of every vertex) may hold before the
   * sorts, groupings and joins in it spill to `<dataDir>/spill` (default 256 MiB; see
   * parseMemorySize for text like '1g').
   */
  readonly taskMemory?: number
  /**
   * Bytes of decoded dataset columns the peer keeps for its scans, by segment CID (least
   * recently used go first; segments never change, so nothing is invalidated): a query
   * over data read before takes its columns from memory. The scans on the main thread (an
   * embedded SQL query, a pipeline declared in this process) have a cache of this size;
   * the task threads share another of this size evenly, one per thread (so a peer holds at
   * most twice this). Default an eighth of the machine's memory, at most 1 GiB
   * (DEFAULT_SEGMENT_CACHE_BYTES); 0 keeps none.
   */
  readonly segmentCacheBytes?: number
  readonly labels?: Readonly<Record<string, string>>
  /** Pre-shared key bytes (see `readPskFile`): peers without the same key are refused. */
  readonly psk?: Uint8Array
  /** mDNS discovery on the local network (default true). */
  readonly mdns?: boolean
  /** The first peers up to this count vote; later ones are learners (default 5). */
  readonly maxVoters?: number
  readonly heartbeatIntervalMs?: number
  /** A peer silent this long is lost (default 3000). */
  readonly failureTimeoutMs?: number
  readonly bootstrapDelayMs?: number
  /**
   * `--bootstrap-expect N`: form the first Raft configuration with N voters at once, once N
   * fresh peers have met (Consul's rule); never found a group with fewer.
   */
  readonly bootstrapExpect?: number
  /**
   * `--force-new-mesh`, a last resort after losing the quorum for good: restart the Raft
   * group from this peer's own log with this peer as its only voter (etcd's
   * `--force-new-cluster`). Others join it as fresh peers.
   */
  readonly forceNewMesh?: boolean
  readonly removeLostAfterMs?: number
  readonly raft?: {
    readonly tickMs?: number, readonly electionTicks?: number, readonly heartbeatTicks?: number
    /** Snapshot the job registry every this many applied log entries (default 1,000; 0: never). */
    readonly snapshotEvery?: number
    /** Log entries kept behind a snapshot for followers that lag a little (default 500). */
    readonly snapshotMargin?: number
  }
  /**
   * Block storage: the garbage collector's grace period (default 10 min) and how old a
   * block's stamp must be before a put re-stamps it (default 60 s). Tests shorten them.
   */
  readonly storage?: {
    readonly gcGraceMs?: number, readonly restampAfterMs?: number,
    /** How often the garbage collector runs (default 5 min). */
    readonly gcIntervalMs?: number,
    /** Copies of each block (default `min(3, peers)`). */
    readonly replicas?: number,
    /**
     * The scrub of local blocks: time between passes (default daily), before the first
     * (default 1 min) and the most bytes it reads per second (default 4 MiB).
     */
    readonly scrubIntervalMs?: number, readonly scrubFirstDelayMs?: number, readonly scrubBytesPerSecond?: number
  }
  /**
   * Drop this peer's Raft state (term, vote, log and configuration; not its identity or
   * blocks), also when its store's write-ahead log is damaged, and rejoin as a learner that
   * neither votes nor campaigns until it holds every committed entry again
   * (`meshflow node --repair`).
   */
  readonly repair?: boolean
  /**
   * Which jobs this peer, as a new JobManager, resumes when their TaskManagers restarted
   * under them (all of the job's processes were killed and came back; default: all). The
   * embedded `meshflow run --resume` resumes its own job only; a job refused fails.
   */
  readonly resumeInterrupted?: (job: { readonly id: string, readonly name: string }) => boolean
  /**
   * An embedded mesh of one (`meshflow run`, `StreamEnvironment.execute`): it runs every
   * operator itself, so placement constraints (`.placement({ tier: 'edge' })`) are not
   * matched against its labels, as a job at the edge also runs on a developer's machine.
   * Its other defaults change too: no listener (`listen: []`), no mDNS, `EMBEDDED_SLOTS`
   * slots, one task thread per core, and it founds its Raft group at once (no bootstrap delay).
   */
  readonly embedded?: boolean
}

export interface RoleChange {
  readonly role: PeerRole
  readonly term: number
  readonly leaderId: string | undefined
}

export interface PeerEvents extends Record<string, unknown> {
  'role-change': RoleChange
  'leader-change': { readonly leaderId: string | undefined, readonly term: number }
  'peer:join': MemberInfo
  'peer:leave': { readonly id: string, readonly reason: 'lost' | 'left' }
  'committed': LogEntry
  /** Peers of this mesh belong to another Raft group (reported once per peer and group). */
  'group-conflict': GroupConflict
}

export type PeerStatus = Omit<StatusResponse, 'type' | 'id'>

/** A job submitted through `peer.submit`. */
export interface JobHandle {
  readonly id: string
  /** Resolves when the job has finished, failed or been cancelled. */
  result(): Promise<{ state: string, error: string | undefined }>
  /** Cancels the job; resolves with its state. */
  cancel(): Promise<string>
  /**
   * Takes a savepoint named `name` (the job needs `enableCheckpointing`); with `stop` the
   * job then ends, `'drain'` firing every event-time window first.
   */
  savepoint(name: string, options?: { stop?: 'drain' | 'no-drain' }): Promise<{ name: string, checkpointId: number, cid: string }>
}
