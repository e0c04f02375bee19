/**
 * Who may speak for a peer (DESIGN §9): a TaskManager's task report, checkpoint
 * acknowledgement or decline is believed only when it comes on a connection from the peer
 * it names (noise authenticates the remote peer id), and only about subtasks that the job's
 * current attempt assigned to that peer. A submission may name as the holder of the job's
 * code only the peer that sent it or the peer that received it.
 *
 * @example
 * reportProblem(registry, { type: 'task-report', jobId, attempt: 0, peer: 'B', state: 'FAILED' }, 'C')
 * // 'Peer C sent a task report in the name of peer B'
 */
import type { CheckpointAck, CheckpointDecline, SubmitJobRequest, TaskReport } from '../../protocol/client.ts'
import type { JobRegistry } from './job-registry.ts'

const WHAT = Object.freeze({
  'task-report': 'a task report',
  'checkpoint-ack': 'a checkpoint acknowledgement',
  'checkpoint-decline': 'a checkpoint decline'
} as const)

/**
 * Why `m`, sent by `sender`, may not be believed; undefined when it may. A report about an
 * attempt other than the job's current one, or about a job the registry does not know, is
 * not refused here: the JobManager ignores stale reports and answers unknown jobs itself.
 */
export function reportProblem (registry: JobRegistry, m: TaskReport | CheckpointAck | CheckpointDecline, sender: string | undefined): string | undefined {
  if (sender !== undefined && m.peer !== sender) return `Peer ${sender} sent ${WHAT[m.type]} in the name of peer ${m.peer}`
  const job = registry.job(m.jobId)
  if (job === undefined || job.attempt !== m.attempt) return undefined
  if (m.type === 'checkpoint-ack') {
    if (!job.tasks.some(t => t.peer === m.peer && t.vertex === m.vertex && t.subtask === m.subtask)) {
      return `Peer ${m.peer} acknowledged checkpoint ${m.checkpointId} for ${m.vertex}[${m.subtask}] of job ${m.jobId}, which attempt ${m.attempt} did not assign to it`
    }
    return undefined
  }
  if (!job.tasks.some(t => t.peer === m.peer)) {
    return `Peer ${m.peer} sent ${WHAT[m.type]} for job ${m.jobId}, of whose attempt ${m.attempt} it runs no subtask`
  }
  return undefined
}

/** Why a submission sent by `sender` to `self` may not be believed; undefined when it may. */
export function submitterProblem (m: SubmitJobRequest, sender: string | undefined, self: string): string | undefined {
  if (sender === undefined || m.submitter === sender || m.submitter === self) return undefined
  return `Peer ${sender} submitted a job naming peer ${m.submitter} as the holder of its code`
}
