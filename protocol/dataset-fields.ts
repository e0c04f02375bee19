/**
 * Checks for the dataset fields that the metadata log, the client protocol and the
 * manifest block share (DESIGN §6): dataset names, versions, and the limits of a catalog.
 *
 * @example
 * ```ts
 * datasetNameProblem('sales')     // undefined
 * datasetNameProblem('9lives')    // "must be a dataset name (a letter or _ first, then letters, digits, _ . or -; at most 128 characters), got the string \"9lives\""
 * ```
 */
import { stringValue, type StringRule } from './validation.ts'

/**
 * Dataset names: a letter or `_` first, then letters, digits, `_`, `.` or `-`, at most 128
 * characters in all. A name becomes part of paths (`meshflow dataset export`) and of SQL
 * later, so it stays an identifier.
 */
export const DATASET_NAME_RULE: StringRule = {
  min: 1,
  max: 128,
  pattern: /^[A-Za-z_][A-Za-z0-9_.-]{0,127}$/,
  expected: 'a dataset name (a letter or _ first, then letters, digits, _ . or -; at most 128 characters)'
}

/** Most partitions a dataset may have. */
export const MAX_DATASET_PARTITIONS = 4096

/**
 * Most segments one version of a dataset lists, over all its partitions: the manifest is
 * one plain block (≤ 1 MiB, so garbage collection follows its references), and a segment
 * entry takes ~100 bytes plus its statistics. Write larger segments (up to a block, or a
 * chunked value) rather than more of them.
 */
export const MAX_DATASET_SEGMENTS = 4096

/** Most datasets a `datasets-response` lists (and the catalog holds). */
export const MAX_DATASETS = 4096

/** Most versions of one dataset the catalog retains, whatever pins ask for. */
export const MAX_RETAINED_VERSIONS = 1024

/** Most columns of a dataset's schema. */
export const MAX_DATASET_COLUMNS = 1024

/** Longest column name. */
export const MAX_COLUMN_NAME_LENGTH = 256

/**
 * What is wrong with `name` as a dataset name, or undefined when it is a good one (the CLI
 * and the JobManager check a name before anything else).
 */
export function datasetNameProblem (name: unknown): string | undefined {
  try {
    stringValue('dataset', name, 'name', DATASET_NAME_RULE)
    return undefined
  } catch (err) {
    return (err as Error).message.replace(/^Malformed dataset message: field 'name' /, '')
  }
}
