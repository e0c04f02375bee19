/**
 * Runs a job in this process with checkpoints and automatic recovery: a checkpoint
 * coordinator triggers a checkpoint every interval, snapshots are kept in an in-memory
 * content-addressed store, and when a task fails the job restarts from the latest
 * completed checkpoint, as its restart strategy allows (sources rewind to their
 * checkpointed splits, operators restore their state, two-phase-commit sinks commit what
 * the checkpoint pre-committed). The mesh does the same across peers, with the store
 * replaced by replicated blocks and the coordinator on the JobManager.
 */
import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { logger } from '@libp2p/logger'
import type { RestartStrategy } from '../api/stream-environment.ts'
import type { JobGraph } from '../graph/job-graph.ts'
import { cidOf } from '../../protocol/cid.ts'
import { FINAL_CHECKPOINT_ID } from './checkpoint.ts'
import { acknowledgementOf, CheckpointCoordinator, type CompletedCheckpoint } from './checkpoint-coordinator.ts'
import { loadRestoredState, manifestReferences, planRestore } from './checkpoint-manifest.ts'
import { JobCancelledError, JobExecutionError, StateRestoreError } from './errors.ts'
import { LocalChannelProvider, runTasks, type JobExecutionResult, type JobTasksControl, type LocalExecutionOptions } from './local-executor.ts'
import { DEFAULT_CHANNEL_CAPACITY } from './local-channel.ts'
import { describeRestartStrategy, restartDelay } from './restart-strategy.ts'
import { errorMessage } from '../../protocol/error-message.ts'

const log = logger('meshflow:runtime:checkpointed-executor')

export interface CheckpointedExecutionOptions extends LocalExecutionOptions {
  readonly checkpointIntervalMs: number
  readonly checkpointTimeoutMs?: number
  readonly restartStrategy: RestartStrategy
  /** Called when the job restarts (for tests and logs). */
  readonly onRestart?: (info: { restarts: number, checkpointId: number | undefined, error: unknown }) => void
  /** Called when a checkpoint completes. */
  readonly onCheckpoint?: (checkpoint: CompletedCheckpoint) => void
}

/** Runs `graph` with checkpoints and restarts (see the module doc). */
export async function executeWithCheckpoints (graph: JobGraph, options: CheckpointedExecutionOptions): Promise<JobExecutionResult> {
  const jobId = randomUUID()
  const { jobName } = options
  const blocks = new Map<string, Uint8Array>()
  /** Chunks of final snapshots (taken at any time, kept until the job ends). */
  const finalChunks = new Set<string>()
  let latest: CompletedCheckpoint | undefined
  let restarts = 0
  let checkpoints = 0
  for (;;) {
    options.signal?.throwIfAborted()
    let control: JobTasksControl | undefined
    const coordinator = new CheckpointCoordinator({
      jobId,
      jobName,
      graph,
      triggerSources: async trigger => control?.trigger(trigger) ?? { accepted: false, lastCheckpointId: 0 },
      complete: async (manifest, bytes) => {
        const cid = cidOf(bytes).toString()
        blocks.set(cid, bytes)
        // only the latest checkpoint is ever restored: drop what it does not reference (no
        // other checkpoint is pending while one completes, so nothing newer is lost)
        const keep = new Set([cid, ...manifestReferences(manifest), ...finalChunks])
        for (const k of blocks.keys()) if (!keep.has(k)) blocks.delete(k)
        options.onCheckpoint?.({ checkpointId: manifest.checkpointId, cid, manifest })
        return cid
      },
      notify: checkpointId => {
        control?.notifyComplete(checkpointId).catch(() => { /* the task failure fails the run */ })
      }
    }, {
      intervalMs: options.checkpointIntervalMs,
      ...(options.checkpointTimeoutMs === undefined ? {} : { timeoutMs: options.checkpointTimeoutMs }),
      firstCheckpointId: (latest?.checkpointId ?? 0) + 1
    })
    let restore
    if (latest !== undefined) {
      const plan = planRestore(latest.manifest, graph)
      restore = await loadRestoredState(plan, graph, () => true, async cid => {
        const bytes = blocks.get(cid)
        if (bytes === undefined) throw new StateRestoreError(`Checkpoint ${latest!.checkpointId} references block ${cid}, which is missing`)
        return bytes
      })
    }
    try {
      const result = await runTasks(graph, {
        jobId,
        jobName,
        channels: new LocalChannelProvider(options.channelCapacity ?? DEFAULT_CHANNEL_CAPACITY),
        ...(options.batchSize === undefined ? {} : { batchSize: options.batchSize }),
        ...(options.signal === undefined ? {} : { signal: options.signal }),
        ...(restore === undefined ? {} : { restore }),
        checkpointing: {
          onSnapshot: (vertex, subtask, checkpointId, snapshot) => {
            coordinator.ack(vertex.id, subtask, checkpointId, acknowledgementOf(snapshot, (cid, bytes) => {
              blocks.set(cid, bytes)
              if (checkpointId === FINAL_CHECKPOINT_ID) finalChunks.add(cid)
            }))
          },
          onDeployed: c => {
            control = c
            coordinator.start()
          }
        }
      })
      checkpoints += coordinator.completed
      return { ...result, restarts, checkpoints }
    } catch (err) {
      checkpoints += coordinator.completed
      if (coordinator.latest !== undefined) latest = coordinator.latest
      if (err instanceof JobCancelledError || options.signal?.aborted === true) throw err
      const delay = restartDelay(options.restartStrategy, restarts)
      if (delay === undefined) {
        if (restarts === 0) throw err
        const cause = err instanceof JobExecutionError ? err.cause : err
        throw new JobExecutionError(jobName, new Error(`${errorMessage(cause)} (gave up after ${restarts} restarts: ${describeRestartStrategy(options.restartStrategy)})`, { cause }))
      }
      restarts++
      log('job %s failed, restart %d from checkpoint %s in %d ms: %s', jobName, restarts, latest?.checkpointId ?? 'none', delay, errorMessage(err))
      options.onRestart?.({ restarts, checkpointId: latest?.checkpointId, error: err })
      try {
        await sleep(delay, undefined, { signal: options.signal })
      } catch (err) {
        // Node rejects with an AbortError whose cause is the reason: callers match on the reason
        options.signal?.throwIfAborted()
        throw err
      }
    } finally {
      coordinator.stop()
      if (coordinator.latest !== undefined) {
        latest = coordinator.latest
      }
    }
  }
}
