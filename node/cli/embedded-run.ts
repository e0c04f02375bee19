/**
 * `meshflow run JOB.ts` without `--mesh`: the job runs on an embedded mesh of one — a peer
 * in this process that is JobManager and TaskManager at once, with the same scheduler,
 * checkpoint coordinator, restart logic and block store as a mesh (DESIGN §7). Its store is
 * `--data-dir` (or `MESHFLOW_DATA_DIR`; default `./meshflow-data`), so savepoints and retained checkpoints outlive
 * the process: `--from-savepoint NAME` restores one, and `--resume` picks up the job's run
 * that was interrupted (the process killed) from its latest retained checkpoint.
 *
 * The peer listens nowhere unless asked: `--listen MA` lets `meshflow savepoint|stop|jobs
 * --mesh MA` reach it (`--psk FILE` guards the listener with a pre-shared key), `--api PORT`
 * serves `GET /status` on 127.0.0.1.
 *
 * @example
 * await embeddedRun(parseCommandLine(['run', 'job.ts', '--resume']) as RunCommand, io)
 */
import { resolve } from 'node:path'
import { JobCancelledError, JobExecutionError, StreamEnvironment } from '../index.ts'
import { Peer } from '../cluster/peer.ts'
import { TERMINAL_STATES } from '../cluster/job-registry.ts'
import { errorMessage } from '../../protocol/error-message.ts'
import type { CliIo } from './cli-io.ts'
import type { RunCommand } from './command-line.ts'
import { JobLoadError, PeerStartError, UsageError } from './errors.ts'
import { parseJobArgs } from './job-args.ts'
import { loadJob } from './job-loader.ts'
import type { ApiServer } from './api-server.ts'
import { statusJson } from './format-status.ts'
import { loadPsk } from './mesh-options.ts'

/** How long the garbage collection at the end of an embedded run may take. */
const GC_TIMEOUT_MS = 10_000
/** The data directory of an embedded run without `--data-dir`, relative to the working directory. */
export const DEFAULT_EMBEDDED_DATA_DIR = 'meshflow-data'

/** Rejects the flags an embedded run cannot honour, before anything is loaded. */
function checkFlags (command: RunCommand): void {
  if (command.psk !== undefined && command.listen.length === 0) throw new UsageError('--psk needs --mesh or --listen: it is the key of the mesh a job is submitted to, or of the embedded run\'s listener')
  if (command.detach) throw new UsageError('--detach needs --mesh: without a mesh the job runs in this process until it ends')
  if (command.resume && command.fromSavepoint !== undefined) throw new UsageError('--resume and --from-savepoint exclude each other: --resume continues an interrupted run from its own latest checkpoint')
  const { parallelism, maxParallelism } = command
  if (parallelism !== undefined && maxParallelism !== undefined && parallelism > maxParallelism) {
    throw new UsageError(`--parallelism ${parallelism} is larger than --max-parallelism ${maxParallelism}`)
  }
}

/** Runs the job on an embedded peer; resolves with the exit code (0) or throws the error to report. */
export async function embeddedRun (command: RunCommand, io: CliIo): Promise<number> {
  checkFlags(command)
  const args = parseJobArgs(command.jobArgs)
  const { job, name, path } = await loadJob(command.job, io.cwd)
  const parallelism = command.parallelism ?? 1
  // build once here: a mistake in build() is the user's and reads the same as in a mesh
  try {
    const env = StreamEnvironment.create({ parallelism, ...(command.maxParallelism === undefined ? {} : { maxParallelism: command.maxParallelism }) })
    await job.build(env, args)
    env.getJobGraph()
  } catch (err) {
    throw new JobExecutionError(name, err)
  }
  io.signal?.throwIfAborted()

  const fromEnv = io.env.MESHFLOW_DATA_DIR
  const dataDir = resolve(io.cwd, command.dataDir ?? (fromEnv !== undefined && fromEnv !== '' ? fromEnv : DEFAULT_EMBEDDED_DATA_DIR))
  // a listener is open to whoever reaches it unless a pre-shared key guards it
  const psk = command.psk === undefined ? undefined : await loadPsk(command.psk, io.cwd)
  const started = performance.now()
  let peer: Peer
  try {
    peer = await Peer.start({
      dataDir,
      embedded: true,
      ...(command.threads === undefined ? {} : { threads: command.threads }),
      ...(command.taskMemory === undefined ? {} : { taskMemory: command.taskMemory }),
      listen: command.listen,
      ...(psk === undefined ? {} : { psk }),
      // an interrupted run of this job resumes only when asked; others fail, saying so
      resumeInterrupted: j => {
        if (command.resume && j.name === name) return true
        io.stderr.write(`meshflow: Job '${j.name}' (${j.id}) of an earlier run in ${dataDir} was interrupted; not resumed (resume it with --resume)\n`)
        return false
      }
    })
  } catch (err) {
    throw new PeerStartError(`Cannot start the embedded peer in ${dataDir}: ${errorMessage(err)}`, { cause: err })
  }
  let api: ApiServer | undefined
  const onInterrupt = (): void => { void cancel() }
  let jobId: string | undefined
  const cancel = async (): Promise<void> => { if (jobId !== undefined) await peer.jobService.cancel(jobId).catch(() => {}) }
  try {
    if (command.api !== undefined) {
      const { startApiServer } = await import('./api-server.ts')
      try {
        api = await startApiServer(command.api, () => statusJson(peer.status()))
      } catch (err) {
        throw new PeerStartError(`Cannot serve --api on 127.0.0.1:${command.api}: ${errorMessage(err)}`, { cause: err })
      }
    }
    for (const address of peer.multiaddrs) io.stderr.write(`meshflow: listening ${address}\n`)
    if (api !== undefined) io.stderr.write(`meshflow: api ${api.url}/status\n`)
    // a marker committed by this run: every entry before it (an earlier run's) is applied
    await peer.mark(`meshflow run ${name}`, { timeoutMs: 30_000, ...(io.signal === undefined ? {} : { signal: io.signal }) })
    const interrupted = peer.jobService.registry.jobs.filter(j => !TERMINAL_STATES.has(j.state))
    if (command.resume) {
      const mine = interrupted.filter(j => j.name === name).sort((a, b) => a.submittedAt - b.submittedAt).at(-1)
      if (mine === undefined) throw new JobLoadError(`Nothing to resume: no interrupted run of job '${name}' in ${dataDir}`)
      jobId = mine.id
      const from = mine.checkpoints.latest === undefined ? 'from the start (it took no checkpoint)' : `from checkpoint ${mine.checkpoints.latest.id}`
      io.stderr.write(`meshflow: Job '${name}' (${jobId}) resumes ${from}\n`)
    }
    io.signal?.addEventListener('abort', onInterrupt, { once: true })
    if (jobId === undefined) {
      jobId = await peer.jobService.submit(path, {
        name,
        parallelism,
        ...(command.maxParallelism === undefined ? {} : { maxParallelism: command.maxParallelism }),
        args: Object.fromEntries(Object.entries(args).filter((e): e is [string, string] => e[1] !== undefined)),
        ...(command.fromSavepoint === undefined ? {} : { fromSavepoint: command.fromSavepoint, allowNonRestoredState: command.allowNonRestoredState })
      })
      if (io.signal?.aborted === true) await cancel() // interrupted while the job was being submitted
      if (command.listen.length > 0 || api !== undefined) io.stderr.write(`meshflow: Job '${name}' running as ${jobId}\n`)
    }
    const result = await peer.jobService.result(jobId)
    // a peer that lives for one run never reaches its periodic collection: collect here what
    // earlier runs left (job code, checkpoints of ended jobs, past the grace period)
    await peer.jobService.collectGarbage({ signal: AbortSignal.timeout(GC_TIMEOUT_MS) }).catch(err => {
      io.stderr.write(`meshflow: warning: the garbage collection of ${dataDir} did not complete: ${errorMessage(err)}\n`)
    })
    const ms = Math.round(performance.now() - started)
    if (result.state === 'FINISHED') {
      io.stderr.write(`meshflow: Job '${name}' finished in ${ms} ms (${peer.jobService.sourceRecords(jobId)} source records)\n`)
      return 0
    }
    if (io.signal?.aborted === true) throw new JobCancelledError(name)
    // cancelled from elsewhere (`meshflow cancel --mesh` against --listen)
    if (result.state === 'CANCELED') throw new JobCancelledError(name)
    // the failure itself when it happened in this process (its stack for MESHFLOW_DEBUG)
    throw new JobExecutionError(name, peer.jobService.localFailure(jobId) ?? new Error(result.error ?? 'unknown error'))
  } finally {
    io.signal?.removeEventListener('abort', onInterrupt)
    await api?.close()
    await peer.stop()
  }
}
