/**
 * The three Nexmark event types, as in the reference benchmark's `Person`, `Auction` and
 * `Bid` (https://github.com/nexmark/nexmark, `model/`), flattened into one tagged union so
 * a single source carries them in generation order. Times are epoch milliseconds; ids,
 * prices and categories are integers (well inside 2^53).
 */

/** A new person registering (the reference's `Person`). */
export interface Person {
  readonly kind: 'person'
  readonly id: number
  readonly name: string
  readonly emailAddress: string
  readonly creditCard: string
  readonly city: string
  readonly state: string
  readonly dateTime: number
  readonly extra: string
}

/** A new auction opening (the reference's `Auction`). */
export interface Auction {
  readonly kind: 'auction'
  readonly id: number
  readonly itemName: string
  readonly description: string
  readonly initialBid: number
  readonly reserve: number
  readonly dateTime: number
  readonly expires: number
  readonly seller: number
  readonly category: number
  readonly extra: string
}

/** A bid on an auction (the reference's `Bid`). */
export interface Bid {
  readonly kind: 'bid'
  readonly auction: number
  readonly bidder: number
  readonly price: number
  readonly channel: string
  readonly url: string
  readonly dateTime: number
  readonly extra: string
}

/** One Nexmark event: `kind` tells which. */
export type NexmarkEvent = Person | Auction | Bid
