/**
 * Limits and defaults of dataset segments (DESIGN §6).
 */
import { MAX_BLOCK_BYTES } from '../../../protocol/constants.ts'

/** The first bytes of every segment: "MFSG". */
export const SEGMENT_MAGIC = 0x4753464d

/** The segment format's version (byte 4). A reader refuses versions it does not know. */
export const SEGMENT_FORMAT_VERSION = 1

/**
 * Bytes a segment is cut at by default: it stays one block (MAX_BLOCK_BYTES, 1 MiB), so a
 * segment is read with one `get` and replicated as one unit. A writer may choose a larger
 * target; such segments are stored with `putLarge` (chunked) and read with `getLarge`.
 */
export const DEFAULT_SEGMENT_TARGET_BYTES = MAX_BLOCK_BYTES

/**
 * Most rows in one segment, whatever their size: bounds the work per segment (decoding,
 * selection vectors) and keeps pruning by statistics fine-grained.
 */
export const MAX_SEGMENT_ROWS = 1 << 20

/** Most columns in one dataset (the segment header keeps the count in 16 bits). */
export const MAX_COLUMNS = 4096

/** Longest column name, in UTF-8 bytes. */
export const MAX_COLUMN_NAME_BYTES = 1024

/**
 * A string column is dictionary-encoded when it has at most this share of distinct values
 * (distinct ≤ rows × share); else its values are stored one after the other.
 */
export const DICTIONARY_MAX_DISTINCT_SHARE = 0.5

/** Deepest nesting of and/or/not a push-down predicate may have. */
export const MAX_PREDICATE_DEPTH = 256
