/**
 * The generator's configuration, with the reference benchmark's defaults
 * (`NexmarkConfiguration` and `GeneratorConfig` of https://github.com/nexmark/nexmark).
 */
import { InvalidArgumentError } from '../../node/api/errors.ts'

/** What shapes the generated events; every field has the reference's default. */
export interface NexmarkGeneratorOptions {
  /** Event time of event 0, epoch ms (default 0, so runs are reproducible). */
  readonly baseTime?: number
  /** Event-time rate: event i is stamped `baseTime + floor(i * 1e6 / eventsPerSecond) / 1000` ms (default 10,000). */
  readonly eventsPerSecond?: number
  /** Id of event 0; event i has id `firstEventId + i`, which picks its kind (default 0). */
  readonly firstEventId?: number
  /** Seed of the per-event random streams (int32, default 0). */
  readonly seed?: number
  /** Persons : auctions : bids in every run of `person + auction + bid` ids (default 1 : 3 : 46). */
  readonly personProportion?: number
  readonly auctionProportion?: number
  readonly bidProportion?: number
  /** 1 in `hotAuctionRatio` bids picks a random in-flight auction, the rest the hot one (default 2). */
  readonly hotAuctionRatio?: number
  /** 1 in `hotSellersRatio` auctions picks a random active seller, the rest the hot one (default 4). */
  readonly hotSellersRatio?: number
  /** 1 in `hotBiddersRatio` bids picks a random active bidder, the rest the hot one (default 4). */
  readonly hotBiddersRatio?: number
  /** Persons a random seller or bidder is drawn from (the most recent ones, default 1000). */
  readonly numActivePeople?: number
  /** Auctions a random bid is drawn from (the most recent ones, default 100). */
  readonly numInFlightAuctions?: number
  /** Average sizes in bytes the `extra` field pads each event to (default 200, 500, 100). */
  readonly avgPersonByteSize?: number
  readonly avgAuctionByteSize?: number
  readonly avgBidByteSize?: number
}

/** The options with every default filled in. */
export type NexmarkGeneratorConfig = { readonly [K in keyof NexmarkGeneratorOptions]-?: number }

export const NEXMARK_DEFAULTS: NexmarkGeneratorConfig = {
  baseTime: 0,
  eventsPerSecond: 10_000,
  firstEventId: 0,
  seed: 0,
  personProportion: 1,
  auctionProportion: 3,
  bidProportion: 46,
  hotAuctionRatio: 2,
  hotSellersRatio: 4,
  hotBiddersRatio: 4,
  numActivePeople: 1000,
  numInFlightAuctions: 100,
  avgPersonByteSize: 200,
  avgAuctionByteSize: 500,
  avgBidByteSize: 100
}

/** Random draws are exact for bounds up to 2^21 (see random.ts). */
const MAX_DRAW = 2 ** 20

function check (name: keyof NexmarkGeneratorOptions, value: number, min: number, max = Number.MAX_SAFE_INTEGER, integer = true): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || (integer && !Number.isInteger(value)) || value < min || value > max) {
    throw new InvalidArgumentError(`nexmark ${name} must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}, got ${String(value)}`)
  }
  return value
}

/** Fills in defaults and rejects values the generator cannot honour. */
export function resolveConfig (options: NexmarkGeneratorOptions = {}): NexmarkGeneratorConfig {
  const c = { ...NEXMARK_DEFAULTS }
  for (const [k, v] of Object.entries(options)) {
    if (v !== undefined && k in NEXMARK_DEFAULTS) (c as Record<string, number>)[k] = v as number
  }
  check('baseTime', c.baseTime, -Number.MAX_SAFE_INTEGER)
  check('eventsPerSecond', c.eventsPerSecond, Number.MIN_VALUE, 1e9, false)
  check('firstEventId', c.firstEventId, 0)
  check('seed', c.seed, -(2 ** 31), 2 ** 31 - 1)
  check('personProportion', c.personProportion, 1, 1000)
  check('auctionProportion', c.auctionProportion, 1, 1000)
  check('bidProportion', c.bidProportion, 1, 1000)
  check('hotAuctionRatio', c.hotAuctionRatio, 1, MAX_DRAW)
  check('hotSellersRatio', c.hotSellersRatio, 1, MAX_DRAW)
  check('hotBiddersRatio', c.hotBiddersRatio, 1, MAX_DRAW)
  check('numActivePeople', c.numActivePeople, 1, MAX_DRAW)
  check('numInFlightAuctions', c.numInFlightAuctions, 1, MAX_DRAW)
  check('avgPersonByteSize', c.avgPersonByteSize, 0, 100_000)
  check('avgAuctionByteSize', c.avgAuctionByteSize, 0, 100_000)
  check('avgBidByteSize', c.avgBidByteSize, 0, 100_000)
  return c
}
