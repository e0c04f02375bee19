/**
 * How long to wait before restarting a failed job, per its restart strategy (Flink's
 * fixed-delay and exponential-delay strategies). A job that takes checkpoints and names no
 * strategy restarts without limit after a short fixed delay (Flink's default is the same
 * with a 1 s delay; ours is shorter because a mesh detects a lost peer in 3 s, not 50 s).
 */
import type { RestartStrategy } from '../api/stream-environment.ts'

/** The strategy of a job with checkpoints that did not set one. */
export const DEFAULT_RESTART_STRATEGY: RestartStrategy = Object.freeze({ kind: 'fixed-delay', attempts: Number.MAX_SAFE_INTEGER, delayMs: 200 })

/** The strategy that applies: the job's own, else the default with checkpoints, else none. */
export function effectiveRestartStrategy (strategy: RestartStrategy | undefined, checkpointing: boolean): RestartStrategy {
  if (strategy !== undefined) return strategy
  return checkpointing ? DEFAULT_RESTART_STRATEGY : { kind: 'none' }
}

/**
 * The delay before restart number `restarts + 1`, or undefined when the strategy allows no
 * more restarts.
 */
export function restartDelay (strategy: RestartStrategy, restarts: number): number | undefined {
  switch (strategy.kind) {
    case 'none':
      return undefined
    case 'fixed-delay':
      return restarts < strategy.attempts ? strategy.delayMs : undefined
    case 'exponential-delay': {
      if (strategy.attempts !== undefined && restarts >= strategy.attempts) return undefined
      return Math.min(strategy.maxDelayMs, strategy.initialDelayMs * 2 ** Math.min(restarts, 40))
    }
  }
}

/** Describes a strategy for messages ("fixed delay of 200 ms, at most 3 restarts"). */
export function describeRestartStrategy (strategy: RestartStrategy): string {
  switch (strategy.kind) {
    case 'none': return 'no restarts'
    case 'fixed-delay': return `fixed delay of ${strategy.delayMs} ms, at most ${strategy.attempts} restarts`
    case 'exponential-delay': return `exponential delay from ${strategy.initialDelayMs} to ${strategy.maxDelayMs} ms${strategy.attempts === undefined ? '' : `, at most ${strategy.attempts} restarts`}`
  }
}
