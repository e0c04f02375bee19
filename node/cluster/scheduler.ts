/**
 * Turns a job graph into deployments over the TaskManagers' slots (DESIGN §5), with Flink's
 * slot sharing: one slot holds one subtask of every vertex, so a job needs as many slots as
 * its highest parallelism. Slots are spread across peers (round-robin over peers ordered by
 * free slots), a vertex with a placement constraint runs only on peers whose labels match
 * it, and a job the mesh cannot hold fails with a message naming what is missing.
 *
 * Data locality (DESIGN §5): given where the partitions of the job's dataset scans live
 * (`ScanLocality`), shared slot s goes to the peer with a free slot holding the most bytes
 * of what subtask s of the scans reads (split i is read by subtask i % parallelism), and
 * only to a peer holding none when no holder has a free slot left. Subtask s of every
 * vertex shares slot s, so the subtasks a co-located join connects by forward edges run
 * on the same peer as the scans of partition s. A scan's task lists its partitions and
 * whether its peer holds all of them (`local`).
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
  /** A dataset scan's partitions read by this subtask, ascending. */
  readonly partitions?: readonly number[]
  /** Whether `peer` held a replica of every partition in `partitions` when it was placed. */
  readonly local?: boolean
}

/** Where one partition of a scanned dataset lives: its (sampled) bytes and the bytes each peer holds. */
export interface PartitionLocality {
  readonly bytes: number
  /** Peer id -> bytes of the partition it holds. */
  readonly holders: ReadonlyMap<string, number>
}

/** Scan vertex id -> its dataset's partitions, in order (see scan-locality.ts). */
export type ScanLocality = ReadonlyMap<string, readonly PartitionLocality[]>

export interface ScheduleOptions {
  /** Do not match placement constraints (an embedded mesh of one runs every operator). */
  readonly ignorePlacement?: boolean
  /** Where the partitions of the job's dataset scans live. */
  readonly locality?: ScanLocality
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
 * constraints are not matched against labels; with `locality`, shared slots go where the
 * scans' partitions live.
 */
export function schedule (graph: JobGraph, peers: readonly SchedulablePeer[], options: ScheduleOptions = {}): TaskAssignment[] {
  const usable = peers.filter(p => p.freeSlots > 0).slice().sort((a, b) => b.freeSlots - a.freeSlots || a.id.localeCompare(b.id))
  const needed = Math.max(1, ...graph.vertices.map(v => v.parallelism))
  const free = usable.reduce((n, p) => n + p.freeSlots, 0)
  if (free < needed) {
    throw new SchedulingError(`Not enough task slots: the job needs ${needed} (its highest parallelism) and the mesh has ${free} free on ${usable.length} peer(s)`)
  }
  const locality = options.locality ?? new Map<string, readonly PartitionLocality[]>()
  const slots = layOutSlots(graph, usable, needed, locality)
  const out: TaskAssignment[] = []
  const assign = (vertex: JobVertex, s: number, peer: string): void => {
    const parts = locality.get(vertex.id)
    if (parts === undefined) {
      out.push({ vertex: vertex.id, subtask: s, peer })
      return
    }
    const partitions = readBy(s, vertex.parallelism, parts.length)
    out.push({ vertex: vertex.id, subtask: s, peer, partitions, local: partitions.every(i => (parts[i]!.holders.get(peer) ?? 0) >= parts[i]!.bytes) })
  }
  for (const vertex of graph.vertices) {
    const labels = options.ignorePlacement === true ? undefined : placementOf(vertex)
    if (labels === undefined) {
      for (let s = 0; s < vertex.parallelism; s++) assign(vertex, s, slots[s]!)
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
    for (let s = 0; s < vertex.parallelism; s++) assign(vertex, s, candidates[s % candidates.length]!.id)
  }
  return out
}

/** The partitions (of `count`) subtask `s` of a scan at `parallelism` reads: split i goes to subtask i % parallelism. */
export function readBy (s: number, parallelism: number, count: number): number[] {
  const out: number[] = []
  for (let i = s; i < count; i += parallelism) out.push(i)
  return out
}

/**
 * The peer of each shared slot. Without locality, round-robin over the peers (most free
 * slots first) so that subtasks spread. With it, slots whose scans hold the most bytes
 * choose first, each the peer with a free slot that holds the most of its partitions (ties:
 * the peer with fewer of the job's slots so far, then more free slots); the other slots
 * then spread over what is left.
 */
function layOutSlots (graph: JobGraph, usable: readonly SchedulablePeer[], needed: number, locality: ScanLocality): string[] {
  const left = new Map(usable.map(p => [p.id, p.freeSlots]))
  // bytes of what slot s reads, per peer holding it (unconstrained scans only: they use the shared slots)
  const want: Map<string, number>[] = Array.from({ length: needed }, () => new Map())
  for (const vertex of graph.vertices) {
    const parts = locality.get(vertex.id)
    if (parts === undefined || placementOf(vertex) !== undefined) continue
    for (let s = 0; s < vertex.parallelism; s++) {
      for (const i of readBy(s, vertex.parallelism, parts.length)) {
        for (const [peer, bytes] of parts[i]!.holders) want[s]!.set(peer, (want[s]!.get(peer) ?? 0) + bytes)
      }
    }
  }
  if (want.every(w => w.size === 0)) {
    // lay the shared slots out round-robin so that subtasks spread over the peers
    const slots: string[] = []
    while (slots.length < needed) {
      for (const p of usable) {
        if (slots.length >= needed) break
        const n = left.get(p.id)!
        if (n === 0) continue
        left.set(p.id, n - 1)
        slots.push(p.id)
      }
    }
    return slots
  }
  const slots: string[] = new Array(needed)
  const taken = new Map<string, number>()
  const best = (w: Map<string, number>): number => Math.max(0, ...w.values())
  const order = [...want.keys()].sort((a, b) => best(want[b]!) - best(want[a]!) || a - b)
  for (const s of order) {
    let pick: SchedulablePeer | undefined
    for (const p of usable) {
      if (left.get(p.id)! === 0) continue
      if (pick === undefined) { pick = p; continue }
      const d = (want[s]!.get(p.id) ?? 0) - (want[s]!.get(pick.id) ?? 0)
      if (d > 0 || (d === 0 && ((taken.get(p.id) ?? 0) < (taken.get(pick.id) ?? 0) ||
          ((taken.get(p.id) ?? 0) === (taken.get(pick.id) ?? 0) && left.get(p.id)! > left.get(pick.id)!)))) pick = p
    }
    // there is a free slot for every needed one (checked by the caller)
    slots[s] = pick!.id
    left.set(pick!.id, left.get(pick!.id)! - 1)
    taken.set(pick!.id, (taken.get(pick!.id) ?? 0) + 1)
  }
  return slots
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
