/**
 * Loads job-runtime.ts once, on first use: an idle peer does not load the job API and the
 * task runtime.
 */
/** The runtime module a peer loads on first use (job-runtime.ts). */
export type JobRuntime = typeof import('./job-runtime.ts')

let loading: Promise<JobRuntime> | undefined

/** The job runtime module (see job-runtime.ts). */
export function loadJobRuntime (): Promise<JobRuntime> {
  loading ??= import('./job-runtime.ts')
  return loading
}
