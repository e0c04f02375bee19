/**
 * Job code on a peer: loads a job's module by the CID of its bundle, fetched from the
 * submitter, the JobManager, then the code's replica holders, and imported once per CID.
 */
import { join } from 'node:path'
import type { JobDefinition } from '../api/job.ts'
import { rendezvousOrder } from '../storage/rendezvous.ts'
import type { JobRecord } from './job-registry.ts'
import { importJobBundle } from './job-bundle.ts'

/** How long fetching a job's code may take. */
const CODE_FETCH_TIMEOUT_MS = 30_000

export interface JobCodeComponents {
  readonly dataDir: string
  readonly leaderId: () => string | undefined
  /** Live peers' ids, this one included. */
  readonly members: () => string[]
  /** A large value's bytes (a chunk tree), from the peers `from` in order. */
  readonly fetchLarge: (cid: string, options: { from: string[], signal?: AbortSignal }) => Promise<Uint8Array>
}

export class JobCode {
  readonly #c: JobCodeComponents
  readonly #code = new Map<string, Promise<JobDefinition>>()
  /** The module each loaded code CID was imported from (none for a registered definition). */
  readonly #modules = new Map<string, string>()

  constructor (components: JobCodeComponents) {
    this.#c = components
  }

  /**
   * Makes `definition` the code of `cid` on this peer: a job declared in this process
   * (`StreamEnvironment.execute`), whose code cannot travel to other peers.
   */
  register (cid: string, definition: JobDefinition): void {
    this.#code.set(cid, Promise.resolve(definition))
  }

  /** The job's definition (its module's default export); a failed load is tried again next time. */
  async load (job: Pick<JobRecord, 'codeCid' | 'codeHolders'>): Promise<JobDefinition> {
    let loading = this.#code.get(job.codeCid)
    if (loading === undefined) {
      loading = (async () => {
        const leader = this.#c.leaderId()
        // the submitter, the JobManager, then the code's replica holders
        const from = [...new Set([...job.codeHolders, ...(leader === undefined ? [] : [leader]),
          ...rendezvousOrder(job.codeCid, this.#c.members())])]
        const bytes = await this.#c.fetchLarge(job.codeCid, { from, signal: AbortSignal.timeout(CODE_FETCH_TIMEOUT_MS) })
        const { definition, url } = await importJobBundle(new TextDecoder().decode(bytes), { dir: join(this.#c.dataDir, 'jobs') })
        this.#modules.set(job.codeCid, url)
        return definition
      })()
      this.#code.set(job.codeCid, loading)
      loading.catch(() => { this.#code.delete(job.codeCid) })
    }
    return await loading
  }

  /**
   * The URL of the module a loaded code CID was imported from, which task worker threads
   * import; undefined for a definition declared in this process (`register`), whose
   * closures cannot leave it.
   */
  moduleOf (cid: string): string | undefined {
    return this.#modules.get(cid)
  }
}
