/**
 * Which hidden part files a file sink writer may remove, and when (the rules of
 * `FileSinkWriter`'s cleanup; pure functions over directory listings, so they are tested
 * without a job).
 *
 * A crashed attempt leaves hidden parts behind: `.inprogress` files it was writing and
 * `.pending` files it pre-committed for checkpoints that never completed. Flink's FileSink
 * hands such files to its committer as "files to clean up" inside the committables
 * (`FileWriterBucket.inProgressFileToCleanup`), so they are removed only once a checkpoint
 * of the restored job completed. We do the same: a writer puts a cleanup request into the
 * committables of its first checkpoint (and of the end of input), and acts on it only in
 * its own `commit` — when a checkpoint of the current attempt has completed. By then every
 * subtask of the attempt has opened and committed its share of the restored checkpoint's
 * committables (no subtask acknowledges a barrier before that), and no older attempt can
 * complete a checkpoint any more. So every hidden part of this job, sink and subtask that
 * the writer does not own itself can never be committed: it is removed. A cleanup request
 * restored from a checkpoint belongs to another writer and is ignored (a restore is not
 * such a moment: other subtasks may still be committing what the checkpoint names).
 *
 * Who cleans what: the writer of subtask `i` cleans the parts named with subtask `i`, and
 * those of subtasks that no longer exist (`s >= parallelism`, `s % parallelism == i`), so
 * the namespaces of concurrent cleaners never overlap. Only parts of the writer's own job
 * id are touched: a job restored from a savepoint has a new id and leaves the parts of the
 * job it came from alone (that one may still be running).
 *
 * Part names carry only the first characters of the job id, and two sinks of one job may
 * share a directory; neither is visible in a part's name. So before its first hidden part
 * a writer creates a claim, `.part-<job>-<subtask>.<full job id>.<sink>.<ext>.sink`, and a
 * cleanup removes nothing when a claim of another job or another sink falls into its
 * namespace. The claim is removed with the writer's last cleanup at the end of input.
 */
import { createHash } from 'node:crypto'
import { IN_PROGRESS_SUFFIX, PENDING_SUFFIX } from './constants.ts'

/** Suffix of a writer's claim on its part names (hidden too). */
export const CLAIM_SUFFIX = '.sink'

/** The names one writer writes and cleans. */
export interface PartNamespace {
  /** The job id prefix that part names carry (already made safe for a file name). */
  readonly job: string
  /** The full job id, safe for a file name. */
  readonly jobId: string
  /** Identifies the sink operator within the job. */
  readonly sink: string
  /** File name extension, without the dot. */
  readonly extension: string
  readonly subtaskIndex: number
  /** Parallelism of the sink; subtasks at or above it are orphans cleaned by `s % parallelism`. */
  readonly parallelism: number
}

/** What a cleanup found in a listing. */
export interface CleanupPlan {
  /** Names of hidden parts to remove. */
  readonly stale: readonly string[]
  /** Set when nothing may be removed: the claim of another job or sink in the namespace. */
  readonly blockedBy: string | undefined
}

/** Replaces what must not appear in a file name part. */
export function safeName (s: string): string {
  return s.replace(/[^\w-]/g, '_')
}

/** A short, stable tag of a sink operator's id (the same on every peer and attempt). */
export function sinkTag (operatorId: string | undefined): string {
  if (operatorId === undefined || operatorId.length === 0) return 'sink'
  return createHash('sha256').update(operatorId).digest('hex').slice(0, 8)
}

/** The name of the claim of `ns`'s writer. */
export function claimName (ns: PartNamespace): string {
  return `.part-${ns.job}-${ns.subtaskIndex}.${ns.jobId}.${ns.sink}.${ns.extension}${CLAIM_SUFFIX}`
}

/** True when the parts of subtask `s` are cleaned by the writer of `ns`. */
export function cleans (ns: PartNamespace, s: number): boolean {
  if (s === ns.subtaskIndex) return true
  return s >= ns.parallelism && s % ns.parallelism === ns.subtaskIndex
}

/**
 * The hidden parts of `ns` in `parts` that a cleanup removes: in-progress and pre-committed
 * parts of this job prefix, extension and namespace that are not in `live` (the writer's own
 * open, closed and pre-committed parts). Nothing when `claims` (a listing taken after
 * `parts`) holds a claim in the namespace of another job with the same prefix, or of
 * another sink. Visible files, other extensions and other jobs' parts are never listed.
 */
export function planCleanup (parts: readonly string[], claims: readonly string[], ns: PartNamespace, live: ReadonlySet<string>): CleanupPlan {
  const claimRe = new RegExp(`^\\.part-${escape(ns.job)}-(\\d+)\\.([\\w-]+)\\.([\\w-]+)\\.${escape(ns.extension)}${escape(CLAIM_SUFFIX)}$`)
  for (const name of claims) {
    const m = claimRe.exec(name)
    // this sink's own claims (also of orphaned subtasks) are no one else's
    if (m === null || (m[2] === ns.jobId && m[3] === ns.sink)) continue
    if (cleans(ns, Number(m[1]))) return { stale: [], blockedBy: name }
  }
  const partRe = new RegExp(`^\\.part-${escape(ns.job)}-(\\d+)-[\\w-]+\\.${escape(ns.extension)}(${escape(IN_PROGRESS_SUFFIX)}|${escape(PENDING_SUFFIX)})$`)
  const stale: string[] = []
  for (const name of parts) {
    const m = partRe.exec(name)
    if (m === null || live.has(name) || !cleans(ns, Number(m[1]))) continue
    stale.push(name)
  }
  return { stale: stale.sort(), blockedBy: undefined }
}

function escape (s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}
