/**
 * What the connector contract suite (contract.ts) runs its jobs with: a sink that keeps, in
 * this process, exactly what a two-phase-commit sink would have made visible (so a source's
 * guarantee is read off its committed output), an embedded run that ends when a condition
 * holds (sources may be unbounded), and an embedded peer that can take a savepoint and
 * resume from it at another parallelism.
 */
import { randomUUID } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { defineJob, Peer, StreamEnvironment, type Sink, type SinkWriter } from 'meshflow'
import { until } from '../cluster/local-mesh.ts'

/**
 * Records committed by the sinks it makes: two-phase commit, where a committable carries its
 * records and a unique key, so a commit repeated after a restore is a no-op. What was written
 * after the last completed checkpoint of a failed attempt is never seen here.
 */
export class CommittedOutput<T> {
  readonly #committed = new Set<string>()
  readonly values: T[] = []

  /** A sink whose committed records land in `values` (only in this process: in-process jobs). */
  sink (): Sink<T> {
    return {
      createWriter: (): SinkWriter<T> => {
        let pending: T[] = []
        return {
          write: values => { for (const v of values) pending.push(v) },
          finish: () => { this.#commitValues(randomUUID(), pending); pending = [] },
          close: () => { pending = [] },
          prepareCommit: () => {
            const committable = { key: randomUUID(), values: pending }
            pending = []
            return committable.values.length === 0 ? [] : [committable]
          },
          commit: committables => {
            for (const c of committables as { key: string, values: T[] }[]) this.#commitValues(c.key, c.values)
          }
        }
      }
    }
  }

  #commitValues (key: string, values: readonly T[]): void {
    if (this.#committed.has(key)) return
    this.#committed.add(key)
    for (const v of values) this.values.push(v)
  }
}

/**
 * Runs the pipeline of `env` embedded until it finishes by itself (a bounded source) or
 * `done` holds (then it is cancelled). Resolves with how it ended; a failure rejects.
 */
export async function runUntil (env: StreamEnvironment, name: string, done: () => boolean, ms: number): Promise<'finished' | 'cancelled'> {
  const abort = new AbortController()
  let ended = false
  // settled at once into a value, so a failure is never an unhandled rejection while we poll
  const job = env.execute(name, { signal: abort.signal }).then(
    () => ({ ended: 'finished' as const }),
    (err: unknown) => abort.signal.aborted && (err as Error)?.name === 'JobCancelledError' ? { ended: 'cancelled' as const } : { error: err }
  ).finally(() => { ended = true })
  try {
    await until(`${name} to produce its output`, ms, () => ended || done())
  } catch (err) {
    abort.abort()
    await job
    throw err
  }
  if (!ended) abort.abort()
  const outcome = await job
  if ('error' in outcome) throw outcome.error
  return outcome.ended
}

/**
 * An embedded peer with its own store that runs in-process job definitions and keeps
 * savepoints between them: a savepoint taken at one parallelism restores at another.
 */
export class SavepointPeer {
  readonly #peer: Awaited<ReturnType<typeof Peer.start>>
  readonly #dir: string

  private constructor (peer: Awaited<ReturnType<typeof Peer.start>>, dir: string) {
    this.#peer = peer
    this.#dir = dir
  }

  static async start (): Promise<SavepointPeer> {
    const dir = await mkdtemp(join(tmpdir(), 'meshflow-contract-'))
    const peer = await Peer.start({ dataDir: dir, embedded: true })
    await peer.mark('contract')
    return new SavepointPeer(peer, dir)
  }

  /** Submits `build` at `parallelism` (restoring `fromSavepoint`); resolves with the job id. */
  async submit (name: string, parallelism: number, build: (env: StreamEnvironment) => void, fromSavepoint?: string): Promise<string> {
    return await this.#peer.jobService.submitDefinition(defineJob(env => build(env)), {
      name,
      parallelism,
      ...(fromSavepoint === undefined ? {} : { fromSavepoint })
    })
  }

  /** Stops the job with a savepoint named `name` (without draining windows) and waits for its end. */
  async stopWithSavepoint (jobId: string, name: string): Promise<void> {
    await this.#peer.jobService.savepoint(jobId, name, { stop: 'no-drain' })
    await this.#peer.jobService.result(jobId)
  }

  /** Cancels the job and waits for its end. */
  async cancel (jobId: string): Promise<void> {
    await this.#peer.jobService.cancel(jobId)
    await this.#peer.jobService.result(jobId)
  }

  /** The state the job ended in, once it ended. */
  async result (jobId: string): Promise<{ state: string, error: string | undefined }> {
    return await this.#peer.jobService.result(jobId)
  }

  async stop (): Promise<void> {
    await this.#peer.stop()
    await rm(this.#dir, { recursive: true, force: true })
  }
}
