/**
 * Which partition of a dataset a row belongs to (see `Partitioning` in
 * node/api/dataset-schema.ts). Hash partitioning uses the keyBy rule over the default 128
 * key groups, so partition p of a dataset with P partitions holds exactly the keys that
 * subtask p of a keyBy at parallelism P receives: a scan of it feeds keyed operators (and
 * joins with a dataset partitioned alike) without a shuffle. A null key goes to partition 0.
 *
 * @example
 * const partitionOf = partitioner({ kind: 'hash', column: 'store', partitions: 4 })
 * partitionOf({ store: 's1', amount: 3 })   // 0..3, the same on every peer
 */
import type { Partitioning } from '../../api/dataset-schema.ts'
import { DEFAULT_MAX_PARALLELISM, keyGroupOf, subtaskForKeyGroup } from '../../graph/key-groups.ts'

/** The most partitions a dataset may have: one per key group. */
export const MAX_PARTITIONS = DEFAULT_MAX_PARALLELISM

/** A function from a row to its partition index; round-robin rotates per call. */
export function partitioner (partitioning: Partitioning, start = 0): (row: Readonly<Record<string, unknown>>) => number {
  const n = partitioning.partitions
  if (!Number.isInteger(n) || n < 1 || n > MAX_PARTITIONS) throw new RangeError(`A dataset has 1 to ${MAX_PARTITIONS} partitions, got ${String(n)}`)
  if (partitioning.kind === 'round-robin') {
    let next = start % n
    return () => {
      const p = next
      next = next + 1 === n ? 0 : next + 1
      return p
    }
  }
  const column = partitioning.column
  return row => {
    const key = row[column]
    if (key === null || key === undefined) return 0
    return subtaskForKeyGroup(keyGroupOf(key, DEFAULT_MAX_PARALLELISM), n, DEFAULT_MAX_PARALLELISM)
  }
}
