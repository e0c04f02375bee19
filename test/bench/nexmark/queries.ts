// The Nexmark queries this repository runs, each as a pipeline and as a plain-JS loop
// (the tests check they agree; the benchmark races them). q4 (average closing price per
// category) is not here yet.
import type { DataStream } from 'meshflow'
import type { NexmarkEvent } from 'meshflow/connectors/nexmark'
import type { PlainQuery } from './common.ts'
import { q0, q0Plain } from './q0.ts'
import { q1, q1Plain } from './q1.ts'
import { q2, q2Plain } from './q2.ts'
import { q3, q3Plain } from './q3.ts'
import { q5, q5Plain } from './q5.ts'

export interface NexmarkQuery {
  readonly name: string
  readonly job: (events: DataStream<NexmarkEvent>) => DataStream<any>
  readonly plain: () => PlainQuery<unknown>
}

export const queries: readonly NexmarkQuery[] = [
  { name: 'q0', job: q0, plain: q0Plain },
  { name: 'q1', job: q1, plain: q1Plain },
  { name: 'q2', job: q2, plain: q2Plain },
  { name: 'q3', job: q3, plain: q3Plain },
  { name: 'q5', job: q5, plain: q5Plain }
]
