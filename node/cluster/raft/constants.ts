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
 * Entries kept in the log behind a snapshot: a follower lagging by fewer (a restart of a
 * few seconds on a busy mesh) catches up with AppendEntries instead of the whole snapshot.
 */
export const DEFAULT_SNAPSHOT_MARGIN = 1000

/** Bytes per InstallSnapshot chunk (the control frame limit is 4 MiB). */
export const DEFAULT_SNAPSHOT_CHUNK_BYTES = 256 * 1024

/** InstallSnapshot chunks sent beyond what the follower acknowledged: at most 1 MiB in flight by default. */
export const DEFAULT_SNAPSHOT_CHUNKS_IN_FLIGHT = 4

/**
 * A `RaftNode` with a state machine snapshots it every this many applied entries. Why
 * 10,000 (test/bench/control-snapshots.ts measures both sides): a start replays at most
 * this plus the margin, about 0.3 s, and the log between two snapshots stays near 1.5 MB;
 * while a registry of 1,000 jobs snapshots to about 550 KB in about 15 ms, so at one
 * entry per checkpoint per job (1,000 jobs at 1 s: 1,000 entries a second) a snapshot
 * every 10 s costs about 0.15% of a core and 55 KB/s of writes; every 1,000 entries would
 * cost ten times that for little shorter starts.
 */
export const DEFAULT_SNAPSHOT_EVERY = 10_000
