/**
 * The job graphs of recorded jobs, each built once from the job's code: the JobManager
 * schedules with them and the checkpoint coordinators learn a job's sources from them.
 * Built before both, so neither needs the other to reach a graph.
 */
import type { JobDefinition } from '../api/job.ts'
import type { JobGraph } from '../graph/job-graph.ts'
import type { JobRecord } from './job-registry.ts'
import { loadJobRuntime } from './load-job-runtime.ts'

export interface JobGraphsComponents {
  /** The job's code (from the peers that hold it). */
  readonly loadJob: (job: Pick<JobRecord, 'codeCid' | 'codeHolders'>) => Promise<JobDefinition>
}

/** What a job graph is built from. */
export type GraphSource = Pick<JobRecord, 'id' | 'codeCid' | 'codeHolders' | 'parallelism' | 'maxParallelism' | 'args'>

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
        const { buildJob } = await loadJobRuntime()
        return (await buildJob(await this.#c.loadJob(job), job)).getJobGraph()
      })()
      this.#graphs.set(job.id, graph)
      graph.catch(() => { this.#graphs.delete(job.id) })
    }
    return graph
  }

  /** The job ended: forget its graph. */
  forget (jobId: string): void {
    this.#graphs.delete(jobId)
  }
}
