/** Defaults of the mesh layer. */

/** How often a peer tells the others it is alive. */
export const DEFAULT_HEARTBEAT_INTERVAL_MS = 1000
/** A peer silent for this long is declared lost (DESIGN §5). */
export const DEFAULT_FAILURE_TIMEOUT_MS = 3000
/** How often a peer retries its bootstrap addresses while it is not connected to them. */
export const BOOTSTRAP_RETRY_MS = 1000

/**
 * Per-protocol stream limits. Control protocols keep one long-lived stream per peer pair
 * in each direction; so does the data protocol, whose stream carries every channel between
 * the two peers (a few more allow for a stream being replaced while the old one closes).
 */
export const CONTROL_STREAM_LIMITS = { maxInboundStreams: 8, maxOutboundStreams: 8 } as const
export const DATA_STREAM_LIMITS = { maxInboundStreams: 32, maxOutboundStreams: 32 } as const

/** The most bytes a private mesh's cipher XORs in one piece (bounded scratch memory). */
export const XOR_CHUNK_BYTES = 64 * 1024
/** How long the pnet nonce exchange of a new connection may take. */
export const PNET_NONCE_TIMEOUT_MS = 5000
/** Bytes a connection may send before the nonce exchange is read (a nonce is 24). */
export const PNET_HANDSHAKE_MAX_BUFFER = 64 * 1024

/**
 * Inbound connection limits (issue 9, item 4). libp2p's defaults (10 pending connections in
 * all, 10 s to upgrade each) let ten idle sockets lock every client and new peer out.
 * Pending means accepted but not yet through the pnet, noise and muxer handshakes.
 */
export const INBOUND_LIMITS = {
  /** Pending inbound connections in all, from every address together. */
  maxIncomingPendingConnections: 256,
  /** Pending inbound connections from one IP address; more are refused at once. */
  maxPendingPerAddress: 32,
  /** New inbound connections per IP address per second (libp2p's rate limiter; default 5). */
  inboundConnectionThreshold: 64,
  /** How long an inbound connection may take to finish its handshakes. */
  inboundUpgradeTimeoutMs: 10_000,
  /** Failed inbound handshakes from one address, within `failureWindowMs`, that get it denied. */
  maxFailedHandshakes: 20,
  failureWindowMs: 60_000,
  /** How long a denied address stays denied. */
  denyMs: 5 * 60_000,
  /** Most addresses whose failures are remembered (the oldest are forgotten first). */
  maxTrackedAddresses: 10_000
} as const

/** Channel elements in flight per data channel (the receiver's credit). */
export const DEFAULT_NETWORK_CAPACITY = 8
/** How long an arriving data channel waits for its consumer task to be deployed. */
export const REGISTRATION_TIMEOUT_MS = 30_000
/**
 * How many arriving data channels may wait for their consumer task at once, in all and from
 * one peer: a peer that opens channels no task will ever read cannot pile up streams and timers.
 */
export const MAX_WAITING_CHANNELS = 4096
export const MAX_WAITING_CHANNELS_PER_PEER = 1024
