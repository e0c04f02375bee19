/** Defaults of the mesh layer. */

/** How often a peer tells the others it is alive. */
export const DEFAULT_HEARTBEAT_INTERVAL_MS = 1000
/** A peer silent for this long is declared lost (DESIGN §5). */
export const DEFAULT_FAILURE_TIMEOUT_MS = 3000
/** How often a peer retries its bootstrap addresses while it is not connected to them. */
export const BOOTSTRAP_RETRY_MS = 1000

/**
 * Per-protocol stream limits. Control protocols keep one long-lived stream per peer pair
 * in each direction; data channels may open one stream per subtask pair.
 */
export const CONTROL_STREAM_LIMITS = { maxInboundStreams: 8, maxOutboundStreams: 8 } as const
export const DATA_STREAM_LIMITS = { maxInboundStreams: 1024, maxOutboundStreams: 1024 } as const
