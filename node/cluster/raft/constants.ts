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
