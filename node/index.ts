/**
 * meshflow's public programmatic API.
 *
 * @example
 * import { StreamEnvironment } from 'meshflow'
 * const env = StreamEnvironment.create({ parallelism: 2 })
 * const out = env.fromCollection(['a', 'b', 'a']).keyBy(w => w).reduce((a, b) => a + b).collect()
 * await env.execute('words')
 */
export * from './api/index.ts'
export { OperatorError, JobExecutionError, JobCancelledError } from './runtime/errors.ts'
export { keyGroupOf, subtaskForKeyGroup, DEFAULT_MAX_PARALLELISM } from './graph/key-groups.ts'
