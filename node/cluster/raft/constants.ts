/**
 * Defaults of the Raft core and its driver. A tick is the driver's unit of logical time;
 * every timeout of the core is counted in ticks so the core itself never reads a clock.
 */

/** Milliseconds between two ticks of a `RaftNode`. */
export const DEFAULT_TICK_MS = 50

/**
 * Minimum election timeout in ticks; each follower draws its timeout in
 * `[electionTicks, 2 * electionTicks)` (Raft §5.2), so 10 ticks of 50 ms give 500–1000 ms.
 */
export const DEFAULT_ELECTION_TICKS = 10

/** A leader sends AppendEntries (possibly empty) to every follower this often, in ticks. */
export const DEFAULT_HEARTBEAT_TICKS = 1

/** At most this many entries go into one AppendEntries message. */
export const DEFAULT_MAX_ENTRIES_PER_APPEND = 64

/**
 * Entries kept in the log behind a snapshot: a follower lagging by fewer catches up with
 * AppendEntries instead of the whole snapshot.
 */
export const DEFAULT_SNAPSHOT_MARGIN = 500

/** Bytes per InstallSnapshot chunk (the control frame limit is 4 MiB). */
export const DEFAULT_SNAPSHOT_CHUNK_BYTES = 256 * 1024

/** InstallSnapshot chunks sent beyond what the follower acknowledged: at most 1 MiB in flight by default. */
export const DEFAULT_SNAPSHOT_CHUNKS_IN_FLIGHT = 4

/**
 * A `RaftNode` with a state machine snapshots it every this many applied entries. One
 * entry per checkpoint per job at 1 s intervals makes this about one snapshot per 17
 * minutes per running job; a start then replays at most this plus the margin (1,500
 * entries, milliseconds), and a snapshot of the registry (tens of KB for 1,000 jobs, see
 * test/bench/control-snapshots.ts) is cheap next to 1,000 RocksDB log records.
 */
export const DEFAULT_SNAPSHOT_EVERY = 1000
