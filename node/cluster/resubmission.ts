/**
 * A submission sent again: a client that chose its job's id (SubmitJobRequest.jobId) sends
 * the submission again when the leadership changed before it heard the answer — the first
 * one may have committed. The JobManager then answers with the job it made, not a second.
 */
import type { JobRegistry } from './job-registry.ts'
import { JobRejectedError } from './errors.ts'

/**
 * The id of the job `submission` made already, or undefined when it is new.
 *
 * @throws {JobRejectedError} when the id belongs to another job
 */
export function submittedAlready (registry: Pick<JobRegistry, 'job'>, submission: { readonly jobId?: string | undefined, readonly name: string, readonly codeCid: string }): string | undefined {
  if (submission.jobId === undefined) return undefined
  const job = registry.job(submission.jobId)
  if (job === undefined) return undefined
  if (job.name !== submission.name || job.codeCid !== submission.codeCid) throw new JobRejectedError(`Job id ${submission.jobId} belongs to another job ('${job.name}')`)
  return job.id
}
