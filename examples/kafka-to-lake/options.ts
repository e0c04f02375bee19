/**
 * The example's job arguments (`-- --brokers … --sales … --lake …`), with their defaults.
 */
import type { JobArgs } from 'meshflow'

export interface KafkaToLakeOptions {
  readonly brokers: string[]
  readonly salesTopic: string
  readonly alertsTopic: string
  readonly lake: string
  /** Revenue of one store in one minute above which an alert is sent. */
  readonly alertAbove: number
  /** Ends at the sales topic's last offsets of when the job started (a backfill), instead of running on. */
  readonly bounded: boolean
  readonly count: number
}

export function optionsOf (args: JobArgs): KafkaToLakeOptions {
  const number = (name: string, fallback: number): number => {
    const raw = args[name]
    if (raw === undefined) return fallback
    const n = Number(raw.replaceAll('_', ''))
    if (!Number.isFinite(n) || n < 0) throw new RangeError(`--${name} needs a non-negative number, got '${raw}'`)
    return n
  }
  return {
    brokers: (args.brokers ?? '127.0.0.1:39092').split(','),
    salesTopic: args.sales ?? 'sales',
    alertsTopic: args.alerts ?? 'store-alerts',
    lake: args.lake ?? 'out/lake',
    alertAbove: number('alert-above', 3_000),
    bounded: args.bounded === 'true',
    count: number('count', 100_000)
  }
}
