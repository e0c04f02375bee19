/**
 * The logical plan a job's build function produces: one Transformation per API call.
 * Physical ones (sources, operators, sinks) become operators at run time; virtual ones
 * (partitioning, union, side-output selection) become the edges between them.
 */
import type { KeySelector } from '../api/functions.ts'
import type { Source } from '../api/source.ts'
import type { WatermarkStrategy } from '../api/watermark-strategy.ts'
import type { OperatorFactory } from '../runtime/stream-operator.ts'

export type PartitionKind = 'forward' | 'rebalance' | 'broadcast' | 'hash'

export type TransformationKind = 'source' | 'operator' | 'partition' | 'union' | 'side-output'

export interface TransformationInit {
  readonly kind: TransformationKind
  readonly name: string
  readonly inputs?: readonly Transformation[]
  readonly source?: Source<any, any>
  readonly watermarks?: WatermarkStrategy<any> | undefined
  /** A source that cannot run in parallel (fromCollection) has parallelism 1. */
  readonly nonParallel?: boolean
  readonly factory?: OperatorFactory
  /** Key selector per input of a keyed operator. */
  readonly keySelectors?: readonly KeySelector<any>[]
  readonly partition?: PartitionKind
  readonly keySelector?: KeySelector<any>
  readonly tagId?: string
  readonly isSink?: boolean
}

export class Transformation {
  /** Creation order: inputs always come before the transformations that read them. */
  readonly index: number
  readonly kind: TransformationKind
  readonly inputs: readonly Transformation[]
  readonly source: Source<any, any> | undefined
  readonly watermarks: WatermarkStrategy<any> | undefined
  readonly nonParallel: boolean
  readonly factory: OperatorFactory | undefined
  readonly keySelectors: readonly KeySelector<any>[] | undefined
  readonly partition: PartitionKind | undefined
  readonly keySelector: KeySelector<any> | undefined
  readonly tagId: string | undefined
  readonly isSink: boolean
  name: string
  uid: string | undefined = undefined
  parallelism: number | undefined = undefined
  chaining = true
  /** Labels a peer must carry to run this operator (used by the mesh scheduler). */
  placement: Readonly<Record<string, string>> | undefined = undefined

  constructor (index: number, init: TransformationInit) {
    this.index = index
    this.kind = init.kind
    this.name = init.name
    this.inputs = init.inputs ?? []
    this.source = init.source
    this.watermarks = init.watermarks
    this.nonParallel = init.nonParallel ?? false
    this.factory = init.factory
    this.keySelectors = init.keySelectors
    this.partition = init.partition
    this.keySelector = init.keySelector
    this.tagId = init.tagId
    this.isSink = init.isSink ?? false
  }

  get physical (): boolean {
    return this.kind === 'source' || this.kind === 'operator'
  }
}
