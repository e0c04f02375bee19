/**
 * The parts of the runtime a peer needs only once it plans or runs a job: the job API
 * (to run a job's `build`), the task runtime and restore planning. The JobManager and the
 * TaskManager load this module on first use (`loadJobRuntime` in load-job-runtime.ts), so an idle peer — an edge
 * device waiting for work — does not carry them.
 */
import { StreamEnvironment, type DatasetCatalogView } from '../api/stream-environment.ts'
import type { JobDefinition } from '../api/job.ts'
import type { JobRecord } from './job-registry.ts'

export { runTasks } from '../runtime/local-executor.ts'
export { decodeManifest, loadRestoredState, planRestore } from '../runtime/checkpoint-manifest.ts'
export { MeshChannelProvider } from '../mesh/mesh-channel-provider.ts'
export { datasetReadsOf } from '../runtime/datasets/dataset-source.ts'

/** Runs the job's `build` on a fresh environment as every peer does: same code, arguments, parallelism. */
export async function buildJob (definition: JobDefinition, job: Pick<JobRecord, 'parallelism' | 'maxParallelism' | 'args'>, catalog?: DatasetCatalogView): Promise<StreamEnvironment> {
  // a pipeline declared in this process (StreamEnvironment.execute): its own environment
  if (definition.environment !== undefined) return definition.environment
  const env = StreamEnvironment.create({
    parallelism: job.parallelism,
    ...(job.maxParallelism === undefined ? {} : { maxParallelism: job.maxParallelism })
  })
  // where the job is submitted, what it reads of the catalog is checked as it is built
  if (catalog !== undefined) env.attachDatasetCatalog(catalog)
  await definition.build(env, job.args)
  return env
}
