/**
 * Small helpers of JobService: the error for an unexpected answer, and registry listeners
 * whose failures are logged instead of thrown into the code that applies the log.
 */
import { logger } from '@libp2p/logger'
import type { ClientMessage } from '../../protocol/client.ts'
import { errorMessage } from '../../protocol/error-message.ts'
import { RemoteError } from './errors.ts'

const log = logger('meshflow:cluster:jobs')

/** The error for an answer that is not the one expected. */
export function answerError (answer: ClientMessage | undefined, what: string): RemoteError {
  if (answer?.type === 'error-response') return new RemoteError(answer.code, answer.message, answer.retriable)
  return new RemoteError('internal', `Unexpected answer ${answer?.type ?? 'none'} to ${what}`, false)
}

/** Wraps a registry listener so that its failure is logged, never thrown into `apply`. */
export function guarded<T extends { id: string } | { job: { id: string } }> (what: string, listener: (detail: T) => void): (detail: T) => void {
  return detail => {
    try {
      listener(detail)
    } catch (err) {
      const id = 'job' in detail ? detail.job.id : detail.id
      log.error('%s job %s failed: %s', what, id, errorMessage(err))
    }
  }
}
