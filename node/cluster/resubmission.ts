/**
 * A submission sent again: a client that chose its job's id (SubmitJobRequest.jobId) sends
 * the submission again when the leadership changed before it heard the answer — the first
 * one may have committed. The JobManager then answers with the job it made, not a second.
 */
import { randomUUID } from 'node:crypto'
import type { ClientMessage } from '../../protocol/client.ts'
import type { JobRegistry } from './job-registry.ts'
import type { SubmitOptions } from './job-service.ts'
import { JobRejectedError, RemoteError } from './errors.ts'

/** How often a submission is sent when the answer says it may be retried (no leader, leadership lost). */
export const SUBMIT_ATTEMPTS = 6
/** The pause before the next attempt grows by this much each time. */
export const SUBMIT_RETRY_MS = 500

/**
 * Sends a submission that carries its job id (`send` throws the RemoteError of the answer)
 * until it is answered, sending it again while the answer is retriable, at most
 * SUBMIT_ATTEMPTS times; resolves with the job id.
 */
export async function sendSubmission (send: () => Promise<string>, signal?: AbortSignal): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await send()
    } catch (err) {
      if (!(err instanceof RemoteError) || !err.retriable || attempt >= SUBMIT_ATTEMPTS || signal?.aborted === true) throw err
      await new Promise(resolve => setTimeout(resolve, SUBMIT_RETRY_MS * attempt))
    }
  }
}

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

/** What a submission of stored code says (see SubmitJobRequest), with a job id chosen here. */
export function submissionRequest (codeCid: string, options: SubmitOptions, submitter: string): ClientMessage {
  return {
    type: 'submit-job',
    id: 0,
    name: options.name,
    codeCid,
    args: { ...(options.args ?? {}) },
    parallelism: options.parallelism,
    ...(options.maxParallelism === undefined ? {} : { maxParallelism: options.maxParallelism }),
    submitter,
    ...(options.fromSavepoint === undefined ? {} : { fromSavepoint: options.fromSavepoint }),
    ...(options.allowNonRestoredState === undefined ? {} : { allowNonRestoredState: options.allowNonRestoredState }),
    jobId: randomUUID()
  }
}
