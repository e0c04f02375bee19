/**
 * Turns a job graph into deployments over the TaskManagers' slots (DESIGN §5), with Flink's
 * slot sharing: one slot holds one subtask of every vertex, so a job needs as many slots as
 * its highest parallelism. Slots are spread across peers (round-robin over peers ordered by
 * free slots), a vertex with a placement constraint runs only on peers whose labels match
 * it, and a job the mesh cannot hold fails with a message naming what is missing.
 */
import type { JobGraph, JobVertex } from '../graph/job-graph.ts'

export interface SchedulablePeer {
  readonly id: string
  readonly labels: Readonly<Record<string, string>>
  readonly freeSlots: number
}

export interface TaskAssignment {
  readonly vertex: string
  readonly subtask: number
  readonly peer: string
}

/** The mesh cannot run the job: too few slots, or no peer with the labels an operator needs. */
export class SchedulingError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'SchedulingError'
  }
}

export function placementOf (vertex: JobVertex): Readonly<Record<string, string>> | undefined {
  for (const op of vertex.operators) if (op.transformation.placement !== undefined) return op.transformation.placement
  return undefined
}

function matches (peer: SchedulablePeer, labels: Readonly<Record<string, string>> | undefined): boolean {
  if (labels === undefined) return true
  return Object.entries(labels).every(([k, v]) => peer.labels[k] === v)
}

function describe (labels: Readonly<Record<string, string>>): string {
  return Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(', ')
}

/**
 * Assigns every subtask of `graph` to a peer, or throws a SchedulingError. With
 * `ignorePlacement` (an embedded mesh of one, which runs every operator itself) placement
 * constraints are not matched against labels.
 */
export function schedule (graph: JobGraph, peers: readonly SchedulablePeer[], options: { ignorePlacement?: boolean } = {}): TaskAssignment[] {
  const usable = peers.filter(p => p.freeSlots > 0).slice().sort((a, b) => b.freeSlots - a.freeSlots || a.id.localeCompare(b.id))
  const needed = Math.max(1, ...graph.vertices.map(v => v.parallelism))
  const free = usable.reduce((n, p) => n + p.freeSlots, 0)
  if (free < needed) {
    throw new SchedulingError(`Not enough task slots: the job needs ${needed} (its highest parallelism) and the mesh has ${free} free on ${usable.length} peer(s)`)
  }
  // lay the shared slots out round-robin so that subtasks spread over the peers
  const slots: string[] = []
  const left = new Map(usable.map(p => [p.id, p.freeSlots]))
  while (slots.length < needed) {
    for (const p of usable) {
      if (slots.length >= needed) break
      const n = left.get(p.id)!
      if (n === 0) continue
      left.set(p.id, n - 1)
      slots.push(p.id)
    }
  }
  const out: TaskAssignment[] = []
  for (const vertex of graph.vertices) {
    const labels = options.ignorePlacement === true ? undefined : placementOf(vertex)
    if (labels === undefined) {
      for (let s = 0; s < vertex.parallelism; s++) out.push({ vertex: vertex.id, subtask: s, peer: slots[s]! })
      continue
    }
    // constrained vertices go to matching peers with slots, round-robin
    const candidates = usable.filter(p => matches(p, labels))
    if (candidates.length === 0) {
      const anywhere = peers.some(p => matches(p, labels))
      throw new SchedulingError(anywhere
        ? `Operator '${vertex.name}' must run on a peer labelled ${describe(labels)}, and no such peer has a free slot`
        : `Operator '${vertex.name}' must run on a peer labelled ${describe(labels)}, and no peer of the mesh has that label`)
    }
    for (let s = 0; s < vertex.parallelism; s++) out.push({ vertex: vertex.id, subtask: s, peer: candidates[s % candidates.length]!.id })
  }
  return out
}

/** Slots a job takes on each peer: the most subtasks of one vertex it runs there. */
export function slotsUsed (tasks: readonly TaskAssignment[]): Map<string, number> {
  const perVertex = new Map<string, number>()
  for (const t of tasks) {
    const k = `${t.peer}\u0000${t.vertex}`
    perVertex.set(k, (perVertex.get(k) ?? 0) + 1)
  }
  const used = new Map<string, number>()
  for (const [k, n] of perVertex) {
    const peer = k.slice(0, k.indexOf('\u0000'))
    used.set(peer, Math.max(used.get(peer) ?? 0, n))
  }
  return used
}
