/** Defaults of the cluster layer (DESIGN §5). */

/** Peers beyond this many voters follow the log as non-voting learners. */
export const DEFAULT_MAX_VOTERS = 5
/** A fresh mesh waits this long for peers to show up before its first peer bootstraps Raft. */
export const DEFAULT_BOOTSTRAP_DELAY_MS = 1500
/** A voter lost for this long is removed from the configuration so a live learner can replace it. */
export const DEFAULT_REMOVE_LOST_AFTER_MS = 30_000
/** How often the leader reviews the configuration, and a fresh peer checks whether to bootstrap. */
export const MEMBERSHIP_REVIEW_MS = 250
/** Task slots a peer offers when not told otherwise. */
export const DEFAULT_SLOTS = 2
/** Task slots of an embedded mesh of one: any parallelism one process is asked for. */
export const EMBEDDED_SLOTS = 1024
/** How long a client request forwarded to the leader may take. */
export const FORWARD_TIMEOUT_MS = 5000
/** Versions of each dataset the catalog keeps besides those running jobs read (DESIGN §6). */
export const DEFAULT_RETAINED_DATASET_VERSIONS = 5
