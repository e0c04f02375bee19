/**
 * Turns the logical plan into the job graph the runtime deploys: physical operators get
 * deterministic ids and a parallelism, forward edges between operators of equal
 * parallelism are chained into one vertex (one task per subtask), and every other
 * connection becomes an edge with a partitioner.
 *
 * Operator ids are the operator's `uid` when it has one, else a hash of its structural
 * position (its inputs' ids, the way it reads them, its name and its rank among siblings),
 * so every peer that rebuilds the same job gets the same ids.
 */
import { createHash } from 'node:crypto'
import type { KeySelector } from '../api/functions.ts'
import type { Source } from '../api/source.ts'
import type { WatermarkStrategy } from '../api/watermark-strategy.ts'
import { DuplicateUidError, InvalidArgumentError, JobDefinitionError } from '../api/errors.ts'
import type { OperatorFactory } from '../runtime/stream-operator.ts'
import { DEFAULT_MAX_PARALLELISM, UPPER_BOUND_MAX_PARALLELISM } from './key-groups.ts'
import type { PartitionKind, Transformation } from './transformation.ts'

export interface JobGraphOptions {
  readonly parallelism: number
  readonly maxParallelism?: number
  /** Fuse forward-connected operators into one task (default true). */
  readonly chaining?: boolean
}

export interface OperatorNode {
  readonly id: string
  readonly name: string
  readonly uid: string | undefined
  readonly transformation: Transformation
  readonly factory: OperatorFactory | undefined
  readonly keySelectors: readonly KeySelector<any>[] | undefined
  /** Operators of the same vertex fed by this one. */
  readonly chained: OperatorNode[]
  readonly isSink: boolean
}

export interface JobEdge {
  readonly from: JobVertex
  readonly fromOperator: OperatorNode
  /** Set when the edge carries a side output. */
  readonly tagId: string | undefined
  readonly to: JobVertex
  readonly inputIndex: number
  readonly partition: PartitionKind
  readonly keySelector: KeySelector<any> | undefined
}

export interface JobVertex {
  readonly id: string
  readonly name: string
  readonly parallelism: number
  readonly maxParallelism: number
  /** Head first; every operator after those feeding it. */
  readonly operators: OperatorNode[]
  readonly source: { readonly source: Source<any, any>, readonly watermarks: WatermarkStrategy<any> | undefined } | undefined
  readonly inputs: JobEdge[]
  readonly outputs: JobEdge[]
}

export interface JobGraph {
  readonly vertices: readonly JobVertex[]
  readonly maxParallelism: number
}

interface ResolvedInput {
  readonly from: Transformation
  readonly partition: PartitionKind | undefined
  readonly keySelector: KeySelector<any> | undefined
  readonly tagId: string | undefined
}

function resolve (t: Transformation): ResolvedInput[] {
  switch (t.kind) {
    case 'source':
    case 'operator':
      return [{ from: t, partition: undefined, keySelector: undefined, tagId: undefined }]
    case 'partition':
      return resolve(t.inputs[0]!).map(r => ({ ...r, partition: t.partition, keySelector: t.keySelector }))
    case 'union':
      return t.inputs.flatMap(resolve)
    case 'side-output':
      return resolve(t.inputs[0]!).map(r => ({ ...r, tagId: t.tagId }))
  }
}

function slug (name: string): string {
  const s = name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 32)
  return s.length > 0 ? s : 'op'
}

function checkParallelism (what: string, p: number, max: number): number {
  if (!Number.isInteger(p) || p < 1) throw new InvalidArgumentError(`Parallelism of '${what}' must be a positive integer, got ${p}`)
  if (p > max) throw new InvalidArgumentError(`Parallelism of '${what}' is ${p}, above the max parallelism ${max}`)
  return p
}

/** Builds the job graph from the transformations the job's sinks depend on. */
export function buildJobGraph (sinks: readonly Transformation[], options: JobGraphOptions): JobGraph {
  const maxParallelism = options.maxParallelism ?? DEFAULT_MAX_PARALLELISM
  if (!Number.isInteger(maxParallelism) || maxParallelism < 1 || maxParallelism > UPPER_BOUND_MAX_PARALLELISM) {
    throw new InvalidArgumentError(`Max parallelism must be an integer in 1..${UPPER_BOUND_MAX_PARALLELISM}, got ${maxParallelism}`)
  }
  if (sinks.length === 0) throw new JobDefinitionError('The job has no sinks: add sinkTo(...), print() or collect() to a stream')
  checkParallelism('the job', options.parallelism, maxParallelism)

  // every physical transformation the sinks depend on, in creation (= topological) order
  const seen = new Set<Transformation>()
  const visit = (t: Transformation): void => {
    if (seen.has(t)) return
    seen.add(t)
    for (const i of t.inputs) visit(i)
  }
  for (const s of sinks) visit(s)
  const physical = [...seen].filter(t => t.physical).sort((a, b) => a.index - b.index)

  const parallelism = new Map<Transformation, number>()
  const inputsOf = new Map<Transformation, (ResolvedInput & { inputIndex: number })[]>()
  const ids = new Map<Transformation, string>()
  const usedIds = new Set<string>()
  const siblings = new Map<string, number>()

  for (const t of physical) if (t.uid !== undefined) {
    if (usedIds.has(t.uid)) throw new DuplicateUidError(t.uid)
    usedIds.add(t.uid)
  }

  for (const t of physical) {
    const p = t.parallelism ?? (t.nonParallel ? 1 : options.parallelism)
    if (t.nonParallel && p !== 1) throw new InvalidArgumentError(`Source '${t.name}' is not parallel: its parallelism must be 1`)
    parallelism.set(t, checkParallelism(t.name, p, maxParallelism))
    const inputs = t.inputs.flatMap((input, inputIndex) => resolve(input).map(r => ({ ...r, inputIndex })))
    inputsOf.set(t, inputs)

    let id = t.uid
    if (id === undefined) {
      const signature = [t.kind, t.name, ...inputs.map(i => `${ids.get(i.from)}>${i.inputIndex}:${i.partition ?? ''}:${i.tagId ?? ''}`)].join('|')
      const rank = siblings.get(signature) ?? 0
      siblings.set(signature, rank + 1)
      const hash = createHash('sha256').update(`${signature}#${rank}`).digest('hex').slice(0, 8)
      id = `${slug(t.name)}-${hash}`
      if (usedIds.has(id)) throw new DuplicateUidError(id)
      usedIds.add(id)
    }
    ids.set(t, id)
  }

  // decide the partitioner of every input and which ones chain
  const chainedTo = new Map<Transformation, Transformation>()
  const partitionOf = new Map<ResolvedInput, PartitionKind>()
  for (const t of physical) {
    const inputs = inputsOf.get(t)!
    const p = parallelism.get(t)!
    for (const input of inputs) {
      const q = parallelism.get(input.from)!
      let partition = input.partition
      if (partition === undefined) partition = p === q ? 'forward' : 'rebalance'
      if (partition === 'forward' && p !== q) {
        throw new JobDefinitionError(`Forward partitioning needs equal parallelism: '${input.from.name}' has ${q}, '${t.name}' has ${p}`)
      }
      if (partition === 'hash' && input.keySelector === undefined) throw new JobDefinitionError(`'${t.name}' reads a keyed stream without a key selector`)
      partitionOf.set(input, partition)
    }
    const only = inputs[0]
    if (options.chaining !== false && inputs.length === 1 && only !== undefined && t.kind === 'operator' &&
        partitionOf.get(only) === 'forward' && only.tagId === undefined && t.chaining && only.from.chaining &&
        !only.from.isSink && samePlacement(t, only.from)) {
      chainedTo.set(t, only.from)
    }
  }

  // build vertices: a vertex is a head and everything chained below it
  const nodeOf = new Map<Transformation, OperatorNode>()
  const vertexOf = new Map<Transformation, JobVertex>()
  const vertices: JobVertex[] = []
  for (const t of physical) {
    const node: OperatorNode = {
      id: ids.get(t)!,
      name: t.name,
      uid: t.uid,
      transformation: t,
      factory: t.factory,
      keySelectors: t.keySelectors,
      chained: [],
      isSink: t.isSink
    }
    nodeOf.set(t, node)
    const up = chainedTo.get(t)
    if (up !== undefined) {
      const vertex = vertexOf.get(up)!
      nodeOf.get(up)!.chained.push(node)
      vertex.operators.push(node)
      vertexOf.set(t, vertex)
      continue
    }
    const vertex: JobVertex = {
      id: node.id,
      name: t.name,
      parallelism: parallelism.get(t)!,
      maxParallelism,
      operators: [node],
      source: t.kind === 'source' ? { source: t.source!, watermarks: t.watermarks } : undefined,
      inputs: [],
      outputs: []
    }
    vertices.push(vertex)
    vertexOf.set(t, vertex)
  }

  for (const t of physical) {
    if (chainedTo.has(t)) continue
    const to = vertexOf.get(t)!
    for (const input of inputsOf.get(t)!) {
      const from = vertexOf.get(input.from)!
      const edge: JobEdge = {
        from,
        fromOperator: nodeOf.get(input.from)!,
        tagId: input.tagId,
        to,
        inputIndex: input.inputIndex,
        partition: partitionOf.get(input)!,
        keySelector: input.keySelector
      }
      from.outputs.push(edge)
      to.inputs.push(edge)
    }
  }
  return { vertices, maxParallelism }
}

function samePlacement (a: Transformation, b: Transformation): boolean {
  return JSON.stringify(a.placement ?? {}) === JSON.stringify(b.placement ?? {})
}
