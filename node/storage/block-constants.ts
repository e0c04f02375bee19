/**
 * Defaults and limits of the block store and the `/meshflow/blocks/1` protocol. The block
 * size limit itself is the wire format's (`MAX_BLOCK_BYTES` in protocol/constants.ts).
 */
import { MAX_BLOCK_BYTES } from '../../protocol/constants.ts'

/** Chunk size of large values: as large as a block may be, so a value needs few blocks. */
export const DEFAULT_CHUNK_BYTES = MAX_BLOCK_BYTES

/**
 * Most entries in one manifest block. A CID is 36 bytes, 38 with its CBOR header, so 16384
 * entries take ~608 KiB: well under a block, and one flat manifest spans 16 GiB of 1 MiB
 * chunks. Larger values get manifests of manifests.
 */
export const MAX_MANIFEST_ENTRIES = 16_384

/** Largest value `getLarge` assembles in memory by default; stream bigger ones with `readLarge`. */
export const DEFAULT_MAX_LARGE_VALUE_BYTES = 1024 * 1024 * 1024

/** Chunks of a large value read ahead of the one being consumed (overlaps fetches). */
export const DEFAULT_READ_AHEAD = 4

/**
 * Most block writes gathered into one RocksDB commit (group commit), and most bytes: a
 * burst of puts costs one flush, while one commit stays bounded.
 */
export const MAX_WRITE_BATCH_BLOCKS = 64
export const MAX_WRITE_BATCH_BYTES = 16 * 1024 * 1024
/**
 * Most writes of any kind in one commit: re-stamps and deletions carry no block, so many
 * more of them share a commit (garbage collection deletes thousands at a time).
 */
export const MAX_WRITE_BATCH_OPS = 1024

/**
 * Requests one stream carries at once, in each direction: a client has at most this many
 * unanswered; a server works on at most this many and reads no further frames meanwhile
 * (so a fast requester is slowed, not buffered). Bounds a stream's memory to about this
 * many blocks.
 */
export const DEFAULT_MAX_CONCURRENT_REQUESTS = 8

/** Most CIDs in one `has-request`. */
export const MAX_HAS_CIDS = 1024

/** Streams of `/meshflow/blocks/1` per connection: normally one per direction. */
export const BLOCK_STREAM_LIMITS = { maxInboundStreams: 32, maxOutboundStreams: 32 } as const

/** How long one peer may take to answer one block request before the next is asked. */
export const DEFAULT_BLOCK_REQUEST_TIMEOUT_MS = 10_000

/** How long opening a stream to a peer may take. */
export const DEFAULT_BLOCK_DIAL_TIMEOUT_MS = 5_000

/**
 * A put of a block already held refreshes its stamp only when the stamp is at least this
 * old: re-puts in a burst (every checkpoint puts its unchanged chunks again) cost one small
 * write a minute, not one each. Garbage collection adds it to its grace period.
 */
export const DEFAULT_RESTAMP_AFTER_MS = 60_000

/**
 * Blocks stored more recently than this are never garbage-collected: a checkpoint being
 * written is not a root yet, so its new blocks are reachable from nothing for a while.
 */
export const DEFAULT_GC_GRACE_MS = 10 * 60_000

/** Reachable blocks the collector reads at once while marking (local reads or fetches). */
export const DEFAULT_GC_READ_CONCURRENCY = 8

/** Deletions the collector has queued at once (the store commits up to 1024 writes without data at once). */
export const GC_DELETE_BATCH = 1024

/** The repair loop runs this long after the last membership change it saw. */
export const DEFAULT_REPAIR_DEBOUNCE_MS = 2000

/** The repair loop checks every block held this often, whatever the membership did. */
export const DEFAULT_REPAIR_INTERVAL_MS = 10 * 60_000

/** How often the repair loop looks at the members for a change it was not told of. */
export const DEFAULT_MEMBERSHIP_POLL_MS = 1000


/** How often a peer re-hashes every block it holds (a scrub pass): daily. */
export const DEFAULT_SCRUB_PASS_INTERVAL_MS = 24 * 3_600_000

/** Bytes per second a scrub reads at most: modest, so it never competes with jobs for the disk. */
export const DEFAULT_SCRUB_BYTES_PER_SECOND = 4 * 1024 * 1024

/** The first scrub pass starts this long after the peer (so start-up is not slowed by it). */
export const DEFAULT_SCRUB_FIRST_DELAY_MS = 60_000
