/**
 * The Nexmark benchmark's event generator as a source: persons, auctions and bids in the
 * 1 : 3 : 46 proportions of the reference generator (https://github.com/nexmark/nexmark),
 * with its hot sellers, bidders and auctions, field shapes and average sizes, and event
 * time advancing at `eventsPerSecond`. One source carries all three kinds as the tagged
 * union `NexmarkEvent` (as the reference's single `Event` stream does); a query filters
 * the kinds it reads. Event i is a pure function of the options and i, so a job's output
 * is the same at any parallelism and after a restore, and `NexmarkGenerator` computes the
 * same events outside a job (for checks and baselines).
 *
 * @example
 * import { WatermarkStrategy } from 'meshflow'
 * import { nexmark, type NexmarkEvent, type Bid } from 'meshflow/connectors/nexmark'
 * env.fromSource(nexmark({ events: 1_000_000 }), WatermarkStrategy.forMonotonousTimestamps<NexmarkEvent>().withTimestampAssigner(e => e.dateTime), 'nexmark')
 *   .filter((e): e is Bid => e.kind === 'bid')
 *   .map(b => ({ auction: b.auction, price: b.price * 0.908 }))
 */
export { nexmark, type NexmarkOptions } from './source.ts'
export { NexmarkGenerator, FIRST_AUCTION_ID, FIRST_PERSON_ID, FIRST_CATEGORY_ID, NUM_CATEGORIES } from './generator.ts'
export { NEXMARK_DEFAULTS, type NexmarkGeneratorOptions, type NexmarkGeneratorConfig } from './config.ts'
export type { Auction, Bid, NexmarkEvent, Person } from './model.ts'
export type { DatagenSplit as NexmarkSplit } from '../datagen/index.ts'
