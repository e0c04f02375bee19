// The Nexmark queries this repository runs, each as a pipeline and as a plain-JS loop
// (the tests check they agree; the benchmark races them).
import type { DataStream } from 'meshflow'
import type { NexmarkEvent } from 'meshflow/connectors/nexmark'
import type { PlainQuery } from './common.ts'
import { q0, q0Plain } from './q0.ts'
import { q1, q1Plain } from './q1.ts'
import { q2, q2Plain } from './q2.ts'
import { q3, q3Plain } from './q3.ts'
import { q4, q4Plain, type Q4Out } from './q4.ts'
import { q5, q5Plain } from './q5.ts'
import { q7, q7Plain } from './q7.ts'
import { q8, q8Plain } from './q8.ts'
import { q11, q11Plain } from './q11.ts'

export interface NexmarkQuery {
  readonly name: string
  readonly job: (events: DataStream<NexmarkEvent>) => DataStream<any>
  readonly plain: () => PlainQuery<unknown>
  /**
   * What must agree between the job and the loop, as sorted lines (default: every record).
   * q4 updates averages as auctions close: its count of updates and each category's last
   * average must agree, not the order of updates within a category.
   */
  readonly canonical?: (values: unknown[]) => string[]
}

/** Records as sorted JSON lines: the same multiset whatever the order of arrival. */
export function canonical (values: unknown[]): string[] {
  return values.map(v => JSON.stringify(v)).sort()
}

function lastAverages (values: unknown[]): string[] {
  const last = new Map<number, number>()
  for (const v of values as Q4Out[]) last.set(v.category, v.average)
  return [`updates ${values.length}`, ...canonical([...last].map(([category, average]) => ({ category, average })))]
}

export const queries: readonly NexmarkQuery[] = [
  { name: 'q0', job: q0, plain: q0Plain },
  { name: 'q1', job: q1, plain: q1Plain },
  { name: 'q2', job: q2, plain: q2Plain },
  { name: 'q3', job: q3, plain: q3Plain },
  { name: 'q4', job: q4, plain: q4Plain, canonical: lastAverages },
  { name: 'q5', job: q5, plain: q5Plain },
  { name: 'q7', job: q7, plain: q7Plain },
  { name: 'q8', job: q8, plain: q8Plain },
  { name: 'q11', job: q11, plain: q11Plain }
]
