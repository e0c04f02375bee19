/**
 * The job graphs of recorded jobs, each built once from the job's code: the JobManager
 * schedules with them and the checkpoint coordinators learn a job's sources from them.
 * Built before both, so neither needs the other to reach a graph.
 */
import type { JobDefinition } from '../api/job.ts'
import type { JobGraph } from '../graph/job-graph.ts'
import type { JobRecord } from './job-registry.ts'
import { loadJobRuntime } from './load-job-runtime.ts'
import { buildPinnedJob, type JobDatasetsSource } from './job-dataset-view.ts'

export interface JobGraphsComponents {
  /** The job's code (from the peers that hold it). */
  readonly loadJob: (job: Pick<JobRecord, 'codeCid' | 'codeHolders'>) => Promise<JobDefinition>
  /** The catalog and blocks a job reading datasets is built with (its pinned versions). */
  readonly datasets?: () => JobDatasetsSource
}

/** What a job graph is built from. */
export type GraphSource = Pick<JobRecord, 'id' | 'name' | 'codeCid' | 'codeHolders' | 'parallelism' | 'maxParallelism' | 'args' | 'datasets'>

export class JobGraphs {
  readonly #c: JobGraphsComponents
  readonly #graphs = new Map<string, Promise<JobGraph>>()

  constructor (components: JobGraphsComponents) {
    this.#c = components
  }

  /** The job graph of a recorded job, built once from its code (a failed build is tried again next time). */
  graphOf (job: GraphSource): Promise<JobGraph> {
    let graph = this.#graphs.get(job.id)
    if (graph === undefined) {
      graph = (async () => {
        const { env } = await buildPinnedJob(await loadJobRuntime(), await this.#c.loadJob(job), job, this.#c.datasets)
        return env.getJobGraph()
      })()
      this.#graphs.set(job.id, graph)
      graph.catch(() => { this.#graphs.delete(job.id) })
    }
    return graph
  }

  /**
   * Makes `graph` the graph of job `jobId`, built by the JobManager as it checked the
   * submission (the same code, arguments and pinned datasets), so scheduling the job does
   * not build it again.
   */
  seed (jobId: string, graph: JobGraph): void {
    if (!this.#graphs.has(jobId)) this.#graphs.set(jobId, Promise.resolve(graph))
  }

  /** The job ended: forget its graph. */
  forget (jobId: string): void {
    this.#graphs.delete(jobId)
  }
}
