/**
 * Limits of the meshflow wire format. Every decoder checks its input against these, so a
 * peer can bound the memory one frame or one message costs it before trusting the sender.
 * Senders must stay within them too: a frame over a limit is refused by the receiver.
 */

/** The prefix of every meshflow protocol id (`/meshflow/<name>/<version>`). */
export const PROTOCOL_PREFIX = '/meshflow'

/** Largest frame on a control protocol (raft, membership, client): 4 MiB. */
export const MAX_CONTROL_FRAME_BYTES = 4 * 1024 * 1024
/** Largest frame on the data protocol (one record batch): 16 MiB. */
export const MAX_DATA_FRAME_BYTES = 16 * 1024 * 1024
/** Largest block in the block store (DESIGN §6): 1 MiB; larger values are chunked. */
export const MAX_BLOCK_BYTES = 1024 * 1024
/** Largest frame on the blocks protocol: one block plus room for its envelope. */
export const MAX_BLOCKS_FRAME_BYTES = MAX_BLOCK_BYTES + 64 * 1024
/**
 * Longest varint length prefix accepted in front of a frame. 8 bytes hold 56 bits, far above
 * every frame limit; a longer prefix can only be garbage (or an endless run of 0x80 bytes).
 */
export const MAX_LENGTH_PREFIX_BYTES = 8
/**
 * How many framed bytes `writeFrames` gathers into one `send()`. Measured on loopback
 * (DESIGN §2): ~135 MB/s with 64 KiB writes against ~20 MB/s with 1 KiB writes.
 */
export const WRITE_BATCH_BYTES = 64 * 1024

/** Longest peer id (a libp2p peer id string is ~52 characters). */
export const MAX_PEER_ID_LENGTH = 128
/** Longest Raft group id (`<founder peer id>@<founding time>`). */
export const MAX_GROUP_ID_LENGTH = 256
/** Longest multiaddr string. */
export const MAX_MULTIADDR_LENGTH = 1024
/** Most multiaddrs a peer may advertise. */
export const MAX_ADDRS = 64
/** Most labels per peer (`--label k=v`). */
export const MAX_LABELS = 64
/** Longest label key. */
export const MAX_LABEL_KEY_LENGTH = 128
/** Longest label value. */
export const MAX_LABEL_VALUE_LENGTH = 1024
/** Longest version string in a hello. */
export const MAX_VERSION_LENGTH = 64
/** Most slots a peer may declare. */
export const MAX_SLOTS = 65_536
/** Longest human-readable message (errors, reasons). */
export const MAX_MESSAGE_LENGTH = 16 * 1024
/** Longest identifier on the wire that is not a peer id (job ids, vertex ids, error codes). */
export const MAX_ID_LENGTH = 256

/** Most entries one AppendEntries may carry; the leader sends the rest in later rounds. */
export const MAX_ENTRIES_PER_APPEND = 1024
/** Largest chunk of one InstallSnapshot message (senders use 256 KiB). */
export const MAX_SNAPSHOT_CHUNK_BYTES = 1024 * 1024
/** Largest Raft snapshot a follower accepts (it buffers one in memory while it arrives). */
export const MAX_SNAPSHOT_BYTES = 256 * 1024 * 1024
/** Most members (voters plus learners) in a Raft configuration. */
export const MAX_CONFIGURATION_MEMBERS = 1024
/** Most peers in a status response. */
export const MAX_STATUS_PEERS = 4096

/** Longest job name. */
export const MAX_JOB_NAME_LENGTH = 1024
/** Most arguments of a submitted job. */
export const MAX_JOB_ARGS = 256
/** Longest job argument name. */
export const MAX_JOB_ARG_KEY_LENGTH = 256
/** Longest job argument value. */
export const MAX_JOB_ARG_VALUE_LENGTH = 4096
/** Largest max parallelism (number of key groups) of a job, as in Flink. */
export const MAX_PARALLELISM = 32_768
/** Most jobs in a jobs response. */
export const MAX_JOBS = 4096
/** Most tasks per job in a jobs response. */
export const MAX_JOB_TASKS = 65_536

/** Most records in one data batch. */
export const MAX_RECORDS_PER_BATCH = 65_536
/** Largest channel number on a data stream (channels are u32). */
export const MAX_CHANNEL = 0xffff_ffff
/** Most credits one grant may add. */
export const MAX_CREDITS = 1_000_000
/** Largest subtask index. */
export const MAX_SUBTASK = 32_767

/**
 * Deepest nesting of a user value (a record, a Raft command). Also bounds the recursion of
 * the validator, so a hostile frame cannot exhaust the stack.
 */
export const MAX_VALUE_DEPTH = 64

/** Longest savepoint name. */
export const MAX_SAVEPOINT_NAME_LENGTH = 200
/** Most savepoints in a savepoints response. */
export const MAX_SAVEPOINTS = 4096
/** Most (re)starts of a job a jobs response lists (the latest ones). */
export const MAX_RESTORE_HISTORY = 100
/** Most operators (one chain) in one checkpoint acknowledgement. */
export const MAX_CHECKPOINT_OPERATORS = 1024
/** Most keyed-state chunk CIDs of one operator in one checkpoint acknowledgement. */
export const MAX_KEYED_CHUNKS = 10_000
/** Most list-state elements in one checkpoint acknowledgement, over all its operators. */
export const MAX_LIST_STATE_ELEMENTS = 100_000
