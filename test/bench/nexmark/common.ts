// What the Nexmark query jobs share: the source from job arguments, the event-time
// strategy, and the sinks (discarding, or counting into --out like the other benchmarks).
import { WatermarkStrategy, type DataStream, type JobArgs, type Sink, type StreamEnvironment } from 'meshflow'
import { nexmark, type NexmarkEvent, type NexmarkOptions } from 'meshflow/connectors/nexmark'
import { countingSink } from '../fixtures/counting-sink.ts'

/** Source options from `--events N [--events-per-second R] [--seed S] [--rate-per-sec W]`. */
export function nexmarkOptions (args: JobArgs): NexmarkOptions {
  const num = (name: string): number | undefined => args[name] === undefined ? undefined : Number(args[name])
  const events = num('events') ?? 1_000_000
  const eventsPerSecond = num('events-per-second')
  const seed = num('seed')
  const ratePerSec = num('rate-per-sec')
  return {
    events,
    ...(eventsPerSecond !== undefined ? { eventsPerSecond } : {}),
    ...(seed !== undefined ? { seed } : {}),
    ...(ratePerSec !== undefined ? { ratePerSec } : {})
  }
}

/** All Nexmark events, stamped with their `dateTime`. */
export function nexmarkStream (env: StreamEnvironment, options: NexmarkOptions): DataStream<NexmarkEvent> {
  const strategy = WatermarkStrategy.forMonotonousTimestamps<NexmarkEvent>().withTimestampAssigner(e => e.dateTime)
  return env.fromSource(nexmark(options), strategy, 'nexmark')
}

/** Drops everything (the reference's blackhole connector). */
export function discardingSink (): Sink<unknown> {
  return { createWriter: () => ({ write () {}, finish () {}, close () {} }) }
}

/** The sink of a query job run from the command line: counts into `--out` when given. */
export function jobSink (args: JobArgs): Sink<unknown> {
  return args.out !== undefined ? countingSink(args.out) : discardingSink()
}

/** A query computed in plain JS over the events in order, for checks and baselines. */
export interface PlainQuery<T> {
  add(event: NexmarkEvent, emit: (out: T) => void): void
  /** The end of the input: emit what is still held. */
  finish(emit: (out: T) => void): void
}

/** The end of the tumbling window of `size` ms (aligned to 0) holding time `ts`. */
export function windowEnd (ts: number, size: number): number {
  return ts - (((ts % size) + size) % size) + size
}
