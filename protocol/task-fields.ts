/**
 * The optional fields of a dataset scan's task, shared by the jobs response
 * (`client-codec.ts`), the log's deployments (`log-codec.ts`) and the registry snapshot:
 * which partitions of the dataset the subtask reads, and whether the peer it was placed on
 * held a replica of all of them when it was scheduled (DESIGN §5, data locality).
 *
 * @example
 * const t = { vertex: 'dataset-sales-1a2b3c4d', subtask: 0, peer, ...scanFields('client', o, 'tasks[0]') }
 * wireScanFields(t)   // { partitions: [0, 2], local: true }, or {} for a task that scans nothing
 */
import { array, at, bool, describe, fail, field, type WireObject } from './validation.ts'

/** Most partitions one task lists: a dataset has at most 128 (one per key group). */
export const MAX_TASK_PARTITIONS = 128

/** The keys scanFields reads. */
export const SCAN_TASK_KEYS: readonly string[] = Object.freeze(['partitions', 'local'])

/** What a task says about the dataset partitions it scans. */
export interface ScanTaskFields {
  /** The dataset partitions the subtask reads, ascending. */
  readonly partitions?: readonly number[]
  /** Whether its peer held a replica of every partition it reads when it was placed. */
  readonly local?: boolean
}

/** The scan fields of a task object, checked: `partitions` ascending indexes, `local` a boolean. */
export function scanFields (protocol: string, o: WireObject, path: string): ScanTaskFields {
  const out: { partitions?: number[], local?: boolean } = {}
  if (field(o, 'partitions') !== undefined) {
    const list = array(protocol, o, 'partitions', path, MAX_TASK_PARTITIONS)
    const partitions: number[] = []
    list.forEach((v, i) => {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v >= MAX_TASK_PARTITIONS) {
        fail(protocol, at(at(path, 'partitions'), i), `must be a partition index in 0..${MAX_TASK_PARTITIONS - 1}, got ${describe(v)}`)
      }
      if (i > 0 && v <= partitions[i - 1]!) fail(protocol, at(at(path, 'partitions'), i), 'must be above the partition before it')
      partitions.push(v)
    })
    out.partitions = partitions
  }
  if (field(o, 'local') !== undefined) out.local = bool(protocol, o, 'local', path)
  return out
}

/** The scan fields of a task as they go on the wire: only those set. */
export function wireScanFields (t: ScanTaskFields): ScanTaskFields {
  return {
    ...(t.partitions === undefined ? {} : { partitions: [...t.partitions] }),
    ...(t.local === undefined ? {} : { local: t.local })
  }
}
