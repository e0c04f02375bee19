/**
 * Limits and defaults of the file connector.
 */

/** Bytes read from a file per read call: large enough to amortise the syscall, small enough to bound memory. */
export const DEFAULT_CHUNK_BYTES = 64 * 1024

/** Longest line the source accepts; a longer one fails the reader instead of growing memory without bound. */
export const DEFAULT_MAX_LINE_BYTES = 16 * 1024 * 1024

/** Size after which the sink closes a part file and starts the next one. */
export const DEFAULT_ROLL_BYTES = 64 * 1024 * 1024

/** How many characters of the job id go into part-file names. */
export const JOB_ID_PREFIX_LENGTH = 8

/** Suffix of part files still being written (their names also start with a dot). */
export const IN_PROGRESS_SUFFIX = '.inprogress'

/** Suffix of part files pre-committed for a checkpoint and waiting for it to complete (hidden too). */
export const PENDING_SUFFIX = '.pending'

/** Hex characters of the random id of a writer instance in the names of its in-progress parts. */
export const INSTANCE_ID_LENGTH = 8

/**
 * A CSV, JSON Lines or text file larger than this is cut into byte ranges read by several
 * subtasks (one range per subtask of the source at most, none smaller than this).
 */
export const DEFAULT_SPLIT_BYTES = 8 * 1024 * 1024

/** Bytes per read while a file is scanned for the line starts its ranges begin at. */
export const SCAN_CHUNK_BYTES = 1024 * 1024
