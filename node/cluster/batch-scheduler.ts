/**
 * The JobManager's work for batch jobs (DESIGN §6, Flink's batch scheduling and region
 * failover): a batch job's graph is cut into pipelined regions (node/graph/pipelined-regions.ts);
 * a region is deployed — one slot on one peer — once every region whose result it reads
 * has FINISHED, so a job with more subtasks than the mesh has slots still runs. Each
 * finished region's result index (the CIDs of the blocks it wrote, replicated) is logged,
 * so a new JobManager continues from the log.
 *
 * Failover re-runs regions, not the job: a failed region runs again (at most
 * `MAX_REGION_ATTEMPTS` runs, then the job fails naming the region's operators); a lost
 * TaskManager's running regions run again elsewhere, and so does a finished region whose
 * result blocks no live peer holds any more (with every region downstream of it that had
 * started, since they read the lost result). Regions whose results survived are not re-run.
 */
import { logger } from '@libp2p/logger'
import type { JobGraph } from '../graph/job-graph.ts'
import { pipelinedRegions, type RegionPlan } from '../graph/pipelined-regions.ts'
import type { RuntimeExecutionMode } from '../api/stream-environment.ts'
import type { BatchProgressInfo, RegionReport } from '../../protocol/client.ts'
import type { BatchRegionsCommand, RegionUpdate } from '../../protocol/log.ts'
import { errorMessage } from '../../protocol/error-message.ts'
import { errorText } from '../../protocol/client-fields.ts'
import { decodeResultIndex } from '../runtime/blocking-results.ts'
import { placementOf, readBy, slotsUsed, type ScanLocality, type TaskAssignment } from './scheduler.ts'
import { scanLocality, scannedDataset, type HoldersOf } from './scan-locality.ts'
import { resolveJobDatasets, type JobDatasetsSource } from './job-dataset-view.ts'
import { loadJobRuntime } from './load-job-runtime.ts'
import { TERMINAL_STATES, type JobCommand, type JobRecord, type JobRegistry } from './job-registry.ts'

const log = logger('meshflow:cluster:batch-scheduler')

/** Runs of one region (its first included) before the job fails. */
export const MAX_REGION_ATTEMPTS = 3

export interface BatchSchedulerComponents {
  readonly registry: JobRegistry
  readonly isLeader: () => boolean
  readonly propose: (command: JobCommand) => Promise<unknown>
  readonly graphOf: (job: JobRecord) => Promise<JobGraph>
  /** Live peers with their labels and slots. */
  readonly peers: () => readonly { id: string, labels: Readonly<Record<string, string>>, slots: number }[]
  /** A block's verified bytes. */
  readonly fetchBlock: (cid: string) => Promise<Uint8Array>
  /** Which live peers hold each block (scans placed where their partitions live, lost results found); without it, neither. */
  readonly holders?: HoldersOf
  /** The catalog and blocks the datasets a job scans are resolved with (for locality). */
  readonly datasets?: () => JobDatasetsSource
}

/** A batch job's plan as the JobManager uses it: regions, graph, and where its scans' partitions live. */
interface JobPlan {
  readonly plan: RegionPlan
  readonly graph: JobGraph
  readonly locality: ScanLocality
}

export interface BatchSchedulerInit {
  /** Schedule without matching placement constraints (an embedded mesh of one). */
  readonly ignorePlacement?: boolean
}

/**
 * The stage of each region when the job runs in batch mode, or undefined when it runs
 * pipelined (see `StreamEnvironment.setRuntimeMode`: automatic is batch when every source
 * scans a dataset and the job takes no checkpoints).
 * @throws {JobDefinitionError} when batch mode is asked for a graph that has no batch schedule
 */
export function batchRegionsOf (env: { readonly runtimeMode: RuntimeExecutionMode, readonly checkpointing: unknown }, graph: JobGraph): number[] | undefined {
  const mode = env.runtimeMode
  if (mode === 'streaming') return undefined
  if (mode === 'automatic') {
    const sources = graph.vertices.filter(v => v.source !== undefined)
    if (env.checkpointing !== undefined || sources.length === 0 || !sources.every(v => scannedDataset(v) !== undefined)) return undefined
    try {
      return pipelinedRegions(graph).regions.map(r => r.stage)
    } catch {
      return undefined // no batch schedule: it runs pipelined
    }
  }
  return pipelinedRegions(graph).regions.map(r => r.stage)
}

/** A batch job's progress for `jobs --json`. */
export function batchProgress (job: JobRecord): BatchProgressInfo | undefined {
  const batch = job.batch
  if (batch === undefined) return undefined
  const stages = new Map<number, { done: boolean, running: boolean }>()
  let done = 0
  let running = 0
  let recordsRead = 0
  let recordsWritten = 0
  for (const r of batch.regions) {
    const s = stages.get(r.stage) ?? { done: true, running: false }
    if (r.state !== 'FINISHED') s.done = false
    if (r.state === 'RUNNING') { s.running = true; running++ }
    if (r.state === 'FINISHED') { done++; recordsRead += r.recordsIn; recordsWritten += r.recordsOut }
    stages.set(r.stage, s)
  }
  const all = [...stages.values()]
  return {
    stages: { total: all.length, done: all.filter(s => s.done).length, running: all.filter(s => s.running).length },
    regions: { total: batch.regions.length, done, running },
    reruns: batch.reruns,
    recordsRead,
    recordsWritten
  }
}

export class BatchScheduler {
  readonly #c: BatchSchedulerComponents
  readonly #init: BatchSchedulerInit
  /** One scheduling pass at a time: two would hand out the same free slot. */
  #queue: Promise<void> = Promise.resolve()
  readonly #plans = new Map<string, Promise<JobPlan>>()

  constructor (components: BatchSchedulerComponents, init: BatchSchedulerInit = {}) {
    this.#c = components
    this.#init = init
  }

  /** Runs `fn` after the passes before it (its failure is logged, not thrown). */
  #serial (what: string, fn: () => Promise<void>): Promise<void> {
    const next = this.#queue.then(fn).catch(err => { log.error('%s: %s', what, errorMessage(err)) })
    this.#queue = next
    return next
  }

  #jobPlan (job: JobRecord): Promise<JobPlan> {
    let plan = this.#plans.get(job.id)
    if (plan === undefined) {
      plan = this.#c.graphOf(job).then(async graph => ({ plan: pipelinedRegions(graph), graph, locality: await this.#locality(job, graph) }))
      this.#plans.set(job.id, plan)
      plan.catch(() => { this.#plans.delete(job.id) })
    }
    return plan
  }

  async #plan (job: JobRecord): Promise<RegionPlan> { return (await this.#jobPlan(job)).plan }

  /** Where the job's scans' partitions live (none when that cannot be known now). */
  async #locality (job: JobRecord, graph: JobGraph): Promise<ScanLocality> {
    const { holders, datasets } = this.#c
    if (holders === undefined || datasets === undefined || job.datasets === undefined) return new Map()
    // a mesh of one peer (the embedded one) has no choice to make: asking its store which
    // segments it holds would read every sampled segment for nothing
    if (this.#c.peers().length <= 1) return new Map()
    try {
      const { manifests } = await resolveJobDatasets(job.name, (await loadJobRuntime()).datasetReadsOf(graph), datasets(), job.datasets)
      return await scanLocality(graph, manifests, holders, { signal: AbortSignal.timeout(30_000) })
    } catch (err) {
      log('job %s: scheduling without locality: %s', job.id, errorMessage(err))
      return new Map()
    }
  }

  /** The region's subtasks on `peer`, scans with the partitions they read and whether `peer` holds them. */
  #tasks (jp: JobPlan, region: number, peer: string): TaskAssignment[] {
    return jp.plan.regions[region]!.subtasks.map(t => {
      const parts = jp.locality.get(t.vertex)
      if (parts === undefined) return { vertex: t.vertex, subtask: t.subtask, peer }
      const parallelism = jp.graph.vertices.find(v => v.id === t.vertex)!.parallelism
      const partitions = readBy(t.subtask, parallelism, parts.length)
      return { vertex: t.vertex, subtask: t.subtask, peer, partitions, local: partitions.every(i => (parts[i]!.holders.get(peer) ?? 0) >= parts[i]!.bytes) }
    })
  }

  /** Bytes of the region's scan partitions `peer` holds. */
  #localBytes (jp: JobPlan, region: number, peer: string): number {
    let n = 0
    for (const t of jp.plan.regions[region]!.subtasks) {
      const parts = jp.locality.get(t.vertex)
      if (parts === undefined) continue
      const parallelism = jp.graph.vertices.find(v => v.id === t.vertex)!.parallelism
      for (const i of readBy(t.subtask, parallelism, parts.length)) n += parts[i]!.holders.get(peer) ?? 0
    }
    return n
  }

  /** The job ended: forget its plan. */
  forget (jobId: string): void { this.#plans.delete(jobId) }

  /** Deploys the ready regions of every running batch job on free slots (the leader only). */
  schedule (): Promise<void> {
    return this.#serial('scheduling batch regions', async () => {
      if (!this.#c.isLeader()) return
      for (const { id } of this.#c.registry.jobs) await this.#scheduleJob(id)
    })
  }

  async #scheduleJob (jobId: string): Promise<void> {
    let job = this.#c.registry.job(jobId)
    if (job?.batch === undefined || job.state !== 'RUNNING') return
    const jp = await this.#jobPlan(job)
    const plan = jp.plan
    job = this.#c.registry.job(jobId)
    if (job?.batch === undefined || job.state !== 'RUNNING') return
    const regions = job.batch.regions
    const ready = plan.regions.filter(r => regions[r.index]?.state === 'PENDING' && r.inputs.every(i => regions[i]?.state === 'FINISHED'))
    if (ready.length === 0) return
    const used = this.#c.registry.slotsInUse(slotsUsed)
    const free = new Map(this.#c.peers().map(p => [p.id, Math.max(0, p.slots - (used.get(p.id) ?? 0))]))
    const vertex = new Map(jp.graph.vertices.map(v => [v.id, v]))
    const updates: RegionUpdate[] = []
    for (const r of ready) {
      const labels = this.#init.ignorePlacement === true ? [] : r.subtasks.map(t => placementOf(vertex.get(t.vertex)!)).filter(l => l !== undefined)
      // most bytes of its scans' partitions local, then most free slots, then by id
      let pick: { id: string, bytes: number, free: number } | undefined
      for (const p of this.#c.peers()) {
        const n = free.get(p.id) ?? 0
        if (n === 0 || !labels.every(l => Object.entries(l).every(([k, v]) => p.labels[k] === v))) continue
        const c = { id: p.id, bytes: this.#localBytes(jp, r.index, p.id), free: n }
        if (pick === undefined || c.bytes > pick.bytes || (c.bytes === pick.bytes && (c.free > pick.free || (c.free === pick.free && c.id < pick.id)))) pick = c
      }
      if (pick === undefined) continue
      free.set(pick.id, pick.free - 1)
      updates.push({ region: r.index, state: 'RUNNING', attempt: regions[r.index]!.attempt + 1, peer: pick.id, tasks: this.#tasks(jp, r.index, pick.id) })
    }
    if (updates.length === 0) {
      log('job %s: %d region(s) ready, no free slot', job.id, ready.length)
      return
    }
    await this.#c.propose({ op: 'batch-regions', jobId, updates })
    log('job %s: deployed regions %s', job.id, updates.map(u => `${u.region}@${u.peer!}`).join(', '))
  }

  /** A TaskManager's run of a region ended. */
  report (r: Pick<RegionReport, 'jobId' | 'peer' | 'region' | 'attempt' | 'state' | 'result' | 'recordsIn' | 'recordsOut' | 'error'>): Promise<void> {
    return this.#serial(`the report of region ${r.region} of job ${r.jobId}`, async () => {
      const job = this.#c.registry.job(r.jobId)
      const region = job?.batch?.regions[r.region]
      if (job === undefined || region === undefined || TERMINAL_STATES.has(job.state)) return
      if (region.state !== 'RUNNING' || region.attempt !== r.attempt || region.peer !== r.peer) return // a stale report
      if (r.state === 'FINISHED' && r.result !== undefined) {
        await this.#c.propose({
          op: 'batch-regions',
          jobId: job.id,
          updates: [{ region: r.region, state: 'FINISHED', attempt: r.attempt, peer: r.peer, result: r.result, recordsIn: r.recordsIn ?? 0, recordsOut: r.recordsOut ?? 0 }]
        })
      } else {
        await this.#failed(job, [r.region], r.error ?? `Region ${r.region} failed on ${r.peer}`)
      }
      await this.#afterChange()
    })
  }

  /** Regions need to run again: back to PENDING, or the job fails once one ran too often. */
  async #failed (job: JobRecord, lost: readonly number[], reason: string): Promise<void> {
    const regions = job.batch!.regions
    const plan = await this.#plan(job)
    const spent = lost.find(i => regions[i]!.attempt >= MAX_REGION_ATTEMPTS)
    if (spent !== undefined) {
      const name = plan.regions[spent]?.name ?? `region ${spent}`
      await this.#c.propose({ op: 'job-state', jobId: job.id, state: 'FAILED', error: errorText(`${reason} (region '${name}' [${spent}] ran ${regions[spent]!.attempt} times)`) })
      return
    }
    const updates: BatchRegionsCommand['updates'] = lost.filter(i => regions[i]!.state !== 'PENDING').map(i => ({ region: i, state: 'PENDING', attempt: regions[i]!.attempt }))
    if (updates.length === 0) return
    log('job %s: regions %s run again: %s', job.id, lost.join(', '), reason)
    await this.#c.propose({ op: 'batch-regions', jobId: job.id, updates, reason: errorText(reason) })
  }

  async #afterChange (): Promise<void> {
    for (const { id } of this.#c.registry.jobs) await this.#scheduleJob(id)
  }

  /**
   * A TaskManager was lost: its running regions run again, and finished regions whose
   * results no live peer holds (with the regions downstream of them that started).
   */
  peerLost (peer: string): Promise<void> {
    return this.#serial(`failing over the regions of lost peer ${peer}`, async () => {
      if (!this.#c.isLeader()) return
      for (const { id } of this.#c.registry.jobs) {
        const job = this.#c.registry.job(id)
        if (job?.batch === undefined || job.state !== 'RUNNING') continue
        await this.#recover(job, new Set([peer]), `TaskManager ${peer} was lost while the job ran`)
      }
      await this.#afterChange()
    })
  }

  /** A new JobManager: regions running on peers that are gone run again; then schedule. */
  takeOver (): Promise<void> {
    return this.#serial('taking over batch jobs', async () => {
      if (!this.#c.isLeader()) return
      const live = new Set(this.#c.peers().map(p => p.id))
      for (const { id } of this.#c.registry.jobs) {
        const job = this.#c.registry.job(id)
        if (job?.batch === undefined || job.state !== 'RUNNING') continue
        const gone = new Set(job.batch.regions.filter(r => r.peer !== undefined && r.state !== 'PENDING' && !live.has(r.peer)).map(r => r.peer!))
        if (gone.size > 0) await this.#recover(job, gone, `TaskManager ${[...gone].join(', ')} was lost while the job ran`)
      }
      await this.#afterChange()
    })
  }

  async #recover (job: JobRecord, gone: ReadonlySet<string>, reason: string): Promise<void> {
    const regions = job.batch!.regions
    const plan = await this.#plan(job)
    const lost = new Set<number>()
    regions.forEach((r, i) => { if (r.state === 'RUNNING' && gone.has(r.peer!)) lost.add(i) })
    // finished results still needed by a region not finished: are their blocks still held?
    const needed = new Set<number>()
    for (const r of plan.regions) {
      if (regions[r.index]!.state === 'FINISHED') continue
      for (const i of r.inputs) if (regions[i]!.state === 'FINISHED') needed.add(i)
    }
    const holders = this.#c.holders
    if (holders !== undefined) {
      for (const i of needed) {
        if (!await this.#resultHeld(regions[i]!.result!, holders)) lost.add(i)
      }
    }
    if (lost.size === 0) return
    // a region downstream of a lost result read it (or would): it runs again too
    for (const r of plan.regions) if (r.inputs.some(i => lost.has(i)) && regions[r.index]!.state !== 'PENDING') lost.add(r.index)
    await this.#failed(job, [...lost].sort((a, b) => a - b), reason)
  }

  /** Whether every block of a result is held by a live peer. */
  async #resultHeld (result: string, holders: HoldersOf): Promise<boolean> {
    try {
      const index = decodeResultIndex(await this.#c.fetchBlock(result))
      const cids = [result, ...index.partitions.flatMap(p => p.blocks)]
      const held = await holders(cids, { signal: AbortSignal.timeout(30_000) })
      return cids.every(c => (held.get(c)?.length ?? 0) > 0)
    } catch (err) {
      log('result %s is taken as lost: %s', result, errorMessage(err))
      return false
    }
  }
}
