/**
 * The pipelined regions of a job graph in batch execution (Flink's pipelined regions and
 * blocking result partitions): vertices connected by forward edges form a *stage*; every
 * other edge (hash, rebalance, broadcast) is *blocking* — its producer writes its whole
 * output before any consumer reads it. Subtask i of a stage reads forward edges only from
 * subtask i of the same stage, so (stage, subtask i) is a region that runs on its own: one
 * slot, one `runTasks` call, scheduled once every region of the stages feeding it finished.
 *
 * A stage whose vertices differ in parallelism, or with a blocking edge between two of its
 * own vertices, is one region holding all its subtasks (its inner edges stay pipelined).
 * When stages feed each other in a cycle (a vertex reaches a stage that reaches it back
 * through blocking edges) the graph has no batch schedule: `pipelinedRegions` throws.
 *
 * @example
 * const plan = pipelinedRegions(graph)
 * plan.regions[0].subtasks // [{ vertex: 'a1b2…', subtask: 0 }, …]
 * plan.isBlocking(edge)    // true for a hash edge between stages
 */
import { JobDefinitionError } from '../api/errors.ts'
import type { JobEdge, JobGraph, JobVertex } from './job-graph.ts'

/** One region: the subtasks it runs and the regions whose output it reads. */
export interface PipelinedRegion {
  readonly index: number
  /** Index of its stage (see `RegionPlan.stages`). */
  readonly stage: number
  readonly subtasks: readonly { readonly vertex: string, readonly subtask: number }[]
  /** Regions it reads blocking results of (every region of each stage feeding it). */
  readonly inputs: readonly number[]
  /** Names of the stage's head operators, for messages (`'scan orders → join'`). */
  readonly name: string
}

export interface RegionPlan {
  readonly regions: readonly PipelinedRegion[]
  /** Stage index -> vertex ids, in graph order. */
  readonly stages: readonly (readonly string[])[]
  /** Whether `edge` is a blocking exchange (crosses two stages). */
  isBlocking(edge: JobEdge): boolean
  /** The region running subtask `subtask` of vertex `vertexId`. */
  regionOf(vertexId: string, subtask: number): number
}

/** Groups the vertices of `graph` into stages and regions (see the module comment). */
export function pipelinedRegions (graph: JobGraph): RegionPlan {
  const vertices = graph.vertices
  const indexOf = new Map(vertices.map((v, i) => [v, i]))
  // union-find over forward edges
  const parent = vertices.map((_, i) => i)
  const find = (i: number): number => {
    while (parent[i] !== i) { parent[i] = parent[parent[i]!]!; i = parent[i]! }
    return i
  }
  for (const v of vertices) {
    for (const e of v.outputs) {
      if (e.partition !== 'forward') continue
      const a = find(indexOf.get(e.from)!)
      const b = find(indexOf.get(e.to)!)
      if (a !== b) parent[Math.max(a, b)] = Math.min(a, b)
    }
  }
  const stageOfRoot = new Map<number, number>()
  const stages: JobVertex[][] = []
  const stageOf = new Map<JobVertex, number>()
  vertices.forEach((v, i) => {
    const root = find(i)
    let s = stageOfRoot.get(root)
    if (s === undefined) {
      s = stages.length
      stageOfRoot.set(root, s)
      stages.push([])
    }
    stages[s]!.push(v)
    stageOf.set(v, s)
  })

  const blocking = (e: JobEdge): boolean => stageOf.get(e.from) !== stageOf.get(e.to)
  // stage dependencies, and the order to check them for cycles
  const feeds = stages.map(() => new Set<number>())
  for (const v of vertices) for (const e of v.outputs) if (blocking(e)) feeds[stageOf.get(e.to)!]!.add(stageOf.get(e.from)!)
  const state = stages.map(() => 0) // 0 new, 1 on the path, 2 done
  const visit = (s: number): void => {
    if (state[s] === 2) return
    if (state[s] === 1) throw new JobDefinitionError(`The job cannot run in batch mode: stage '${stageName(stages[s]!)}' reads its own output through blocking exchanges`)
    state[s] = 1
    for (const f of feeds[s]!) visit(f)
    state[s] = 2
  }
  for (let s = 0; s < stages.length; s++) visit(s)

  const regions: PipelinedRegion[] = []
  const regionsOfStage: number[][] = stages.map(() => [])
  const regionKey = new Map<string, number>()
  // regions in stage order after their inputs: a stage's regions come after those it reads
  const order: number[] = []
  const placed = new Set<number>()
  const place = (s: number): void => {
    if (placed.has(s)) return
    placed.add(s)
    for (const f of [...feeds[s]!].sort((a, b) => a - b)) place(f)
    order.push(s)
  }
  for (let s = 0; s < stages.length; s++) place(s)
  for (const s of order) {
    const members = stages[s]!
    const p = members[0]!.parallelism
    const whole = members.some(v => v.parallelism !== p) ||
      members.some(v => v.outputs.some(e => e.partition !== 'forward' && stageOf.get(e.to) === s))
    const inputs = [...feeds[s]!].sort((a, b) => a - b).flatMap(f => regionsOfStage[f]!)
    const name = stageName(members)
    const add = (subtasks: { vertex: string, subtask: number }[]): void => {
      const index = regions.length
      for (const t of subtasks) regionKey.set(`${t.vertex}#${t.subtask}`, index)
      regions.push({ index, stage: s, subtasks, inputs, name })
      regionsOfStage[s]!.push(index)
    }
    if (whole) {
      add(members.flatMap(v => Array.from({ length: v.parallelism }, (_, i) => ({ vertex: v.id, subtask: i }))))
    } else {
      for (let i = 0; i < p; i++) add(members.map(v => ({ vertex: v.id, subtask: i })))
    }
  }
  return {
    regions,
    stages: stages.map(vs => vs.map(v => v.id)),
    isBlocking: blocking,
    regionOf: (vertexId, subtask) => {
      const r = regionKey.get(`${vertexId}#${subtask}`)
      if (r === undefined) throw new RangeError(`No region runs ${vertexId}[${subtask}]`)
      return r
    }
  }
}

function stageName (members: readonly JobVertex[]): string {
  return members.map(v => v.name).join(' → ')
}
