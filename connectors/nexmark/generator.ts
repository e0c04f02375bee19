/**
 * The Nexmark event generator: event i is a pure function of the configuration and i.
 * It follows the reference generator (https://github.com/nexmark/nexmark,
 * `generator/GeneratorConfig`, `generator/model/{Person,Auction,Bid,Price,Strings}Generator`):
 * the kind of event i comes from its id modulo `person + auction + bid` proportions; a
 * person or auction id is the number of persons or auctions before it; sellers and bidders
 * are either the hot person of the latest hundred or a random active person (plus a few
 * ids not generated yet, the reference's 'leads'); a bid's auction is the hot auction of
 * the latest hundred or a random in-flight one; prices are log-uniform from $1 to $1M in
 * cents; strings have the reference's lengths, and `extra` pads each event to its average
 * size. Differences, all for determinism and speed: the random stream restarts at each
 * event (see random.ts); random strings are slices of a fixed random text, as the
 * reference does for `extra`; the channel URLs are drawn per channel from the seed; a
 * bidder gets the person id offset once (the reference adds it twice).
 */
import type { Auction, Bid, NexmarkEvent, Person } from './model.ts'
import { resolveConfig, type NexmarkGeneratorConfig, type NexmarkGeneratorOptions } from './config.ts'
import { EventRandom } from './random.ts'
import { PriceTable } from './price.ts'

export const FIRST_PERSON_ID = 1000
export const FIRST_AUCTION_ID = 1000
export const FIRST_CATEGORY_ID = 10
export const NUM_CATEGORIES = 5
/** Hot sellers, bidders and auctions are the first (bidders: second) of each hundred. */
const HOT_RATIO = 100
const PERSON_ID_LEAD = 10
const AUCTION_ID_LEAD = 10
const CHANNELS = 10_000
const HOT_CHANNELS = ['Google', 'Facebook', 'Baidu', 'Apple'] as const
const US_STATES = ['AZ', 'CA', 'ID', 'OR', 'WA', 'WY'] as const
const US_CITIES = ['Phoenix', 'Los Angeles', 'San Francisco', 'Boise', 'Portland', 'Bend', 'Redmond', 'Seattle', 'Kent', 'Cheyenne'] as const
const FIRST_NAMES = ['Peter', 'Paul', 'Luke', 'John', 'Saul', 'Vicky', 'Kate', 'Julie', 'Sarah', 'Deiter', 'Walter'] as const
const LAST_NAMES = ['Shultz', 'Abrams', 'Spencer', 'White', 'Bartels', 'Walton', 'Smith', 'Jones', 'Noris'] as const
const MIN_STRING_LENGTH = 3
/** Bytes of a bid's fields other than `extra`, as the reference counts them. */
const BID_SIZE = 32
/** Sizes of the random texts strings are sliced from: a slice is at most half of one. */
const LETTERS_LENGTH = 1 << 20
const WORDS_LENGTH = 1 << 16
/** Stream ids (negative, so never an event's) of the generator's fixed tables. */
const LETTERS_STREAM = -1
const WORDS_STREAM = -2
const HOT_URL_STREAM = -10
const CHANNEL_STREAM = -100_000

/** Bits of a 32-bit integer in reverse order, as Java's `Integer.reverse`. */
function reverse32 (x: number): number {
  x = ((x >>> 1) & 0x55555555) | ((x & 0x55555555) << 1)
  x = ((x >>> 2) & 0x33333333) | ((x & 0x33333333) << 2)
  x = ((x >>> 4) & 0x0f0f0f0f) | ((x & 0x0f0f0f0f) << 4)
  x = ((x >>> 8) & 0x00ff00ff) | ((x & 0x00ff00ff) << 8)
  return ((x >>> 16) | (x << 16)) | 0
}

/** Random text of `length` characters: letters, and `special` with probability 1/13 when given. */
function randomText (random: EventRandom, length: number, special?: string): string {
  const bytes = new Uint8Array(length)
  const s = special?.charCodeAt(0)
  for (let i = 0; i < length; i++) bytes[i] = s !== undefined && random.nextInt(13) === 0 ? s : 97 + random.nextInt(26)
  return Buffer.from(bytes.buffer, 0, length).toString('latin1')
}

/** A channel's URL: three short random path segments with some '_'. */
function baseUrl (random: EventRandom): string {
  const part = (): string => randomText(random, MIN_STRING_LENGTH + random.nextInt(5 - MIN_STRING_LENGTH), '_')
  return `https://www.nexmark.com/${part()}/${part()}/${part()}/item.htm?query=1`
}

/** Generates Nexmark events by index (see the module doc). */
export class NexmarkGenerator {
  readonly config: NexmarkGeneratorConfig
  readonly #random = new EventRandom()
  /** Draws the fixed tables (texts, URLs), so an event's own stream is never disturbed. */
  readonly #tableRandom = new EventRandom()
  readonly #total: number
  readonly #delayUs: number
  readonly #letters: string
  readonly #words: string
  readonly #names: string[]
  readonly #hotUrls: string[]
  readonly #channelUrls: (string | undefined)[] = new Array(CHANNELS).fill(undefined)
  readonly #channelNames: string[] = new Array(CHANNELS).fill('')
  readonly #prices = new PriceTable()
  /** '0000' to '9999', for credit card numbers. */
  readonly #digits: string[] = Array.from({ length: 10_000 }, (_, v) => String(v).padStart(4, '0'))
  /** `extra` of a bid: the size of its other fields is fixed, so its length range is too. */
  readonly #bidExtraWanted: number
  readonly #bidExtraDelta: number

  constructor (options: NexmarkGeneratorOptions = {}) {
    const c = this.config = resolveConfig(options)
    this.#total = c.personProportion + c.auctionProportion + c.bidProportion
    this.#delayUs = 1_000_000 / c.eventsPerSecond
    const r = this.#tableRandom
    r.reset(c.seed, LETTERS_STREAM)
    this.#letters = randomText(r, LETTERS_LENGTH)
    r.reset(c.seed, WORDS_STREAM)
    this.#words = randomText(r, WORDS_LENGTH, ' ')
    this.#names = FIRST_NAMES.flatMap(f => LAST_NAMES.map(l => `${f} ${l}`))
    this.#hotUrls = HOT_CHANNELS.map((_, k) => { r.reset(c.seed, HOT_URL_STREAM - k); return baseUrl(r) })
    this.#bidExtraWanted = BID_SIZE > c.avgBidByteSize ? -1 : c.avgBidByteSize - BID_SIZE
    this.#bidExtraDelta = Math.round(this.#bidExtraWanted * 0.2)
  }

  /** Number of ids in one run of persons, auctions and bids (50 by default). */
  get totalProportion (): number { return this.#total }

  /** Event time of event `index` (ms): non-decreasing in `index`, at `eventsPerSecond`. */
  timestampOf (index: number): number {
    return this.config.baseTime + Math.floor(Math.floor(index * this.#delayUs) / 1000)
  }

  /** Kind of event `index`, without generating it. */
  kindOf (index: number): NexmarkEvent['kind'] {
    const rem = (this.config.firstEventId + index) % this.#total
    const c = this.config
    return rem < c.personProportion ? 'person' : rem < c.personProportion + c.auctionProportion ? 'auction' : 'bid'
  }

  /** Event `index` (0-based, the `index`-th event after `firstEventId`). */
  event (index: number): NexmarkEvent {
    const c = this.config
    const id = c.firstEventId + index
    const ts = this.config.baseTime + Math.floor(Math.floor(index * this.#delayUs) / 1000)
    this.#random.reset(c.seed, id)
    // ids are non-negative safe integers: the quotient is exact after flooring
    const epoch = Math.floor(id / this.#total)
    const rem = id - epoch * this.#total
    if (rem < c.personProportion) return this.#person(id, ts)
    if (rem < c.personProportion + c.auctionProportion) return this.#auction(index, id, ts)
    return this.#bid(epoch, ts)
  }

  /** Base-0 id of the last person generated at or before event id `id`. */
  lastBase0PersonId (id: number): number {
    const c = this.config
    const epoch = Math.floor(id / this.#total)
    const offset = Math.min(id % this.#total, c.personProportion - 1)
    return epoch * c.personProportion + offset
  }

  /** Base-0 id of the last auction generated at or before event id `id`. */
  lastBase0AuctionId (id: number): number {
    const c = this.config
    let epoch = Math.floor(id / this.#total)
    let offset = id % this.#total
    if (offset < c.personProportion) {
      epoch--
      offset = c.auctionProportion - 1
    } else if (offset >= c.personProportion + c.auctionProportion) {
      offset = c.auctionProportion - 1
    } else {
      offset -= c.personProportion
    }
    return epoch * c.auctionProportion + offset
  }

  #nextBase0PersonId (id: number): number {
    const people = this.lastBase0PersonId(id) + 1
    const active = Math.min(people, this.config.numActivePeople)
    return people - active + this.#random.nextLong(active + PERSON_ID_LEAD)
  }

  #nextBase0AuctionId (id: number): number {
    const max = this.lastBase0AuctionId(id)
    const min = Math.max(max - this.config.numInFlightAuctions, 0)
    return min + this.#random.nextLong(max - min + 1 + AUCTION_ID_LEAD)
  }

  #person (id: number, ts: number): Person {
    const r = this.#random
    const name = this.#names[r.nextInt(this.#names.length)]!
    const emailAddress = `${this.#string(7)}@${this.#string(5)}.com`
    const creditCard = `${this.#digits4()} ${this.#digits4()} ${this.#digits4()} ${this.#digits4()}`
    const city = US_CITIES[r.nextInt(US_CITIES.length)]!
    const state = US_STATES[r.nextInt(US_STATES.length)]!
    const size = 8 + name.length + emailAddress.length + creditCard.length + city.length + state.length
    const extra = this.#extra(size, this.config.avgPersonByteSize)
    return { kind: 'person', id: this.lastBase0PersonId(id) + FIRST_PERSON_ID, name, emailAddress, creditCard, city, state, dateTime: ts, extra }
  }

  #auction (index: number, id: number, ts: number): Auction {
    const c = this.config
    const r = this.#random
    // 1 - 1/hotSellersRatio of auctions are by the first person of the latest hundred
    const seller = (r.nextInt(c.hotSellersRatio) > 0
      ? Math.floor(this.lastBase0PersonId(id) / HOT_RATIO) * HOT_RATIO
      : this.#nextBase0PersonId(id)) + FIRST_PERSON_ID
    const category = FIRST_CATEGORY_ID + r.nextInt(NUM_CATEGORIES)
    const initialBid = this.#price()
    // an auction lasts on average until numInFlightAuctions more auctions have opened
    const eventsForAuctions = Math.floor(c.numInFlightAuctions * this.#total / c.auctionProportion)
    const horizonMs = this.timestampOf(index + eventsForAuctions) - ts
    const expires = ts + 1 + r.nextLong(Math.max(horizonMs * 2, 1))
    const itemName = this.#string(20)
    const description = this.#string(100)
    const reserve = initialBid + this.#price()
    const extra = this.#extra(8 + itemName.length + description.length + 40, c.avgAuctionByteSize)
    return {
      kind: 'auction', id: this.lastBase0AuctionId(id) + FIRST_AUCTION_ID, itemName, description,
      initialBid, reserve, dateTime: ts, expires, seller, category, extra
    }
  }

  /**
   * A bid of epoch `epoch` (the id divided by the total proportion): the last person and
   * auction before it are the last ones of its epoch, as `lastBase0PersonId` and
   * `lastBase0AuctionId` give for an id in the bid range.
   */
  #bid (epoch: number, ts: number): Bid {
    const c = this.config
    const r = this.#random
    const lastAuction = epoch * c.auctionProportion + c.auctionProportion - 1
    const lastPerson = epoch * c.personProportion + c.personProportion - 1
    // 1 - 1/hotAuctionRatio of bids go to the first auction of the latest hundred
    let auction: number
    if (r.nextInt(c.hotAuctionRatio) > 0) {
      auction = Math.floor(lastAuction / HOT_RATIO) * HOT_RATIO
    } else {
      const min = Math.max(lastAuction - c.numInFlightAuctions, 0)
      auction = min + r.nextLong(lastAuction - min + 1 + AUCTION_ID_LEAD)
    }
    // hot bidders are the second person of the hundred, so they are not the hot sellers
    let bidder: number
    if (r.nextInt(c.hotBiddersRatio) > 0) {
      bidder = Math.floor(lastPerson / HOT_RATIO) * HOT_RATIO + 1
    } else {
      const people = lastPerson + 1
      const active = Math.min(people, c.numActivePeople)
      bidder = people - active + r.nextLong(active + PERSON_ID_LEAD)
    }
    const price = this.#price()
    let channel: string
    let url: string
    if (r.nextInt(2) > 0) {
      const k = r.nextInt(HOT_CHANNELS.length)
      channel = HOT_CHANNELS[k]!
      url = this.#hotUrls[k]!
    } else {
      const k = r.nextInt(CHANNELS)
      url = this.#channelUrls[k] ?? this.#channelUrl(k)
      channel = this.#channelNames[k]!
    }
    const extra = this.#bidExtraWanted < 0 ? '' : this.#extraOf(this.#bidExtraWanted, this.#bidExtraDelta)
    return { kind: 'bid', auction: auction + FIRST_AUCTION_ID, bidder: bidder + FIRST_PERSON_ID, price, channel, url, dateTime: ts, extra }
  }

  /** Log-uniform from 100 to 100,000,000 cents (price.ts: the reference formula without Math.pow). */
  #price (): number {
    return this.#prices.cents(this.#random.nextU32())
  }

  /** A random string of 3 to `maxLength - 1` characters with some spaces, trimmed. */
  #string (maxLength: number): string {
    const r = this.#random
    const length = MIN_STRING_LENGTH + r.nextInt(maxLength - MIN_STRING_LENGTH)
    const at = r.nextInt(WORDS_LENGTH - length)
    return this.#words.slice(at, at + length).trim()
  }

  #digits4 (): string {
    return this.#digits[this.#random.nextInt(10_000)]!
  }

  /** Letters bringing an event of `size` bytes to `average` ± 20%. */
  #extra (size: number, average: number): string {
    if (size > average) return ''
    const wanted = average - size
    return this.#extraOf(wanted, Math.round(wanted * 0.2))
  }

  /** `wanted` letters ± `delta`. */
  #extraOf (wanted: number, delta: number): string {
    const length = wanted - delta + (delta === 0 ? 0 : this.#random.nextInt(2 * delta))
    const at = this.#random.nextInt(LETTERS_LENGTH - length)
    return this.#letters.slice(at, at + length)
  }

  /** The URL of channel `k`, drawn from the channel's own stream the first time it is asked for. */
  #channelUrl (k: number): string {
    const t = this.#tableRandom
    t.reset(this.config.seed, CHANNEL_STREAM - k)
    let url = baseUrl(t)
    if (t.nextInt(10) > 0) url += `&channel_id=${Math.abs(reverse32(k))}`
    this.#channelUrls[k] = url
    this.#channelNames[k] = `channel-${k}`
    return url
  }
}
