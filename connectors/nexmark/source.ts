import type { Source } from '../../node/api/source.ts'
import { InvalidArgumentError } from '../../node/api/errors.ts'
import { datagen, type DatagenSplit } from '../datagen/index.ts'
import type { NexmarkGeneratorOptions } from './config.ts'
import { NexmarkGenerator } from './generator.ts'
import type { NexmarkEvent } from './model.ts'

export interface NexmarkOptions extends NexmarkGeneratorOptions {
  /** Number of events (the reference's `maxEvents`); leave out for an unbounded source. */
  readonly events?: number
  /** Wall-clock throttle: events per second over all subtasks; unlimited when left out. */
  readonly ratePerSec?: number
  /** Number of splits (default: the source's parallelism at first start). */
  readonly splits?: number
}

/**
 * A bounded or unbounded source of Nexmark events in generation order (see the module
 * doc). Event i is `new NexmarkGenerator(options).event(i)`: splits take indices by stride
 * as `datagen` does, and a split's state is its next index, so the output is the same at
 * any parallelism and a restored job replays exactly.
 */
export function nexmark (options: NexmarkOptions = {}): Source<NexmarkEvent, DatagenSplit> {
  const { events, ratePerSec, splits, ...shape } = options
  if (events !== undefined && (!Number.isSafeInteger(events) || events < 0)) throw new InvalidArgumentError(`nexmark events must be a non-negative integer, got ${String(events)}`)
  const generator = new NexmarkGenerator(shape)
  return datagen({
    generate: index => generator.event(index),
    ...(events !== undefined ? { count: events } : {}),
    ...(ratePerSec !== undefined ? { ratePerSec } : {}),
    ...(splits !== undefined ? { splits } : {})
  })
}
