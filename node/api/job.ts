/**
 * A job is a module whose default export is `defineJob(build)`: `build` receives the
 * environment and the job's arguments and declares the pipeline. The same module runs
 * embedded (`meshflow run job.ts`) and on every peer of a mesh, which each rebuild the
 * same graph from it.
 *
 * @example
 * export default defineJob((env, args) => {
 *   env.fromCollection([1, 2, 3]).map(x => x * 2).print()
 * })
 */
import type { StreamEnvironment } from './stream-environment.ts'

/** Job arguments: `--key value` pairs given after `--` on the command line. */
export type JobArgs = Readonly<Record<string, string | undefined>>

export interface JobDefinition {
  readonly kind: 'meshflow-job'
  build(env: StreamEnvironment, args: JobArgs): void | Promise<void>
  /**
   * @internal The environment a pipeline was already declared on (`StreamEnvironment.execute`
   * submits it to its embedded peer): used as is, `build` is not called.
   */
  readonly environment?: StreamEnvironment
}

export function defineJob (build: (env: StreamEnvironment, args: JobArgs) => void | Promise<void>): JobDefinition {
  if (typeof build !== 'function') throw new TypeError('defineJob needs a build function (env, args) => { ... }')
  return { kind: 'meshflow-job', build }
}

/** True when `value` is what `defineJob` returns. */
export function isJobDefinition (value: unknown): value is JobDefinition {
  return typeof value === 'object' && value !== null && (value as JobDefinition).kind === 'meshflow-job' &&
    typeof (value as JobDefinition).build === 'function'
}
