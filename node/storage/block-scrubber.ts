/**
 * The scrub of this peer's blocks (issue 9 item 5): every `intervalMs` (daily), a pass
 * re-hashes every block held here against its CID, reading at most `bytesPerSecond`
 * (4 MiB/s) so it never competes with jobs for the disk. A copy that does not match its
 * CID is replaced by an intact one from another peer (the fetcher verifies what it fetches
 * and stores it over the corrupt copy); when no peer has one, the corrupt copy is deleted
 * (a wrong copy is worse than none: the replication loop and readers then look elsewhere)
 * and that is logged as an error naming the CID. Counts since start are in `stats`
 * (reported by `meshflow status --json`).
 *
 * Passes are one at a time: `scrubNow` waits for a pass in progress, then runs its own.
 *
 * @example
 * const scrubber = new BlockScrubber({ selfId, blocks, fetcher, members: () => mesh.liveMembers() }, { bytesPerSecond: 1 << 20 })
 * await scrubber.start()
 * const pass = await scrubber.scrubNow() // { scanned: 120, corrupt: 1, repaired: 1, unrepairable: 0, bytes, ms }
 * scrubber.stats // { scanned, corrupt, repaired, unrepairable, passes, lastPassAt }
 * await scrubber.stop()
 */
import { setTimeout as timeout } from 'node:timers/promises'
import { logger, type Logger } from '@libp2p/logger'
import type { ScrubStatus } from '../../protocol/client.ts'
import { DEFAULT_SCRUB_BYTES_PER_SECOND, DEFAULT_SCRUB_FIRST_DELAY_MS, DEFAULT_SCRUB_PASS_INTERVAL_MS } from './block-constants.ts'
import type { BlockFetcher } from './block-fetcher.ts'
import type { BlockStore } from './block-store.ts'
import { rendezvousOrder } from './rendezvous.ts'

/** What a BlockScrubber uses. */
export interface BlockScrubberComponents {
  /** This peer's id, as it appears in `members`. */
  readonly selfId: string
  readonly blocks: BlockStore
  /** Fetches intact copies from other peers (and stores them over the corrupt one). */
  readonly fetcher: BlockFetcher
  /** The live members, asked for each corrupt block (its replicas first, in rendezvous order). */
  readonly members: () => readonly string[]
}

/** Options of a BlockScrubber. */
export interface BlockScrubberInit {
  /** Time between the end of a pass and the start of the next (default daily; 0 or Infinity: only `scrubNow`). */
  readonly intervalMs?: number
  /** The first pass starts this long after `start` (default 1 min). */
  readonly firstDelayMs?: number
  /** Most bytes read per second (default 4 MiB). */
  readonly bytesPerSecond?: number
  /** The clock, ms (default `performance.now`); tests set it with `sleep`. */
  readonly now?: () => number
  /** Waits `ms` or rejects with the signal's reason (default a timer). */
  readonly sleep?: (ms: number, signal: AbortSignal | undefined) => Promise<void>
  /** Defaults to `logger('meshflow:storage:scrub')`. */
  readonly log?: Logger
}

/** What one pass did. */
export interface ScrubPass {
  readonly scanned: number
  readonly corrupt: number
  readonly repaired: number
  readonly unrepairable: number
  /** Bytes read. */
  readonly bytes: number
  readonly ms: number
}

/** Options of `scrubNow`. */
export interface ScrubOptions {
  readonly signal?: AbortSignal
}

/** Re-hashes this peer's blocks and repairs corrupt copies (see the module comment). */
export class BlockScrubber {
  readonly #c: BlockScrubberComponents
  readonly #intervalMs: number
  readonly #firstDelayMs: number
  readonly bytesPerSecond: number
  readonly #now: () => number
  readonly #sleep: (ms: number, signal: AbortSignal | undefined) => Promise<void>
  readonly #log: Logger
  #controller: AbortController | undefined
  #timer: ReturnType<typeof setTimeout> | undefined
  #tail: Promise<unknown> = Promise.resolve()
  #background: Promise<unknown> | undefined
  #stats = { scanned: 0, corrupt: 0, repaired: 0, unrepairable: 0, passes: 0, lastPassAt: null as number | null }

  constructor (components: BlockScrubberComponents, init: BlockScrubberInit = {}) {
    this.#c = components
    this.#intervalMs = init.intervalMs ?? DEFAULT_SCRUB_PASS_INTERVAL_MS
    this.#firstDelayMs = Math.max(0, init.firstDelayMs ?? DEFAULT_SCRUB_FIRST_DELAY_MS)
    const rate = init.bytesPerSecond ?? DEFAULT_SCRUB_BYTES_PER_SECOND
    if (!(rate > 0)) throw new RangeError(`Scrub bytesPerSecond must be positive, got ${rate}`)
    this.bytesPerSecond = rate
    this.#now = init.now ?? (() => performance.now())
    this.#sleep = init.sleep ?? sleep
    this.#log = init.log ?? logger('meshflow:storage:scrub')
  }

  /** Counts since this scrubber was created. */
  get stats (): ScrubStatus { return { ...this.#stats } }

  get isStarted (): boolean { return this.#controller !== undefined }

  /** Schedules the first pass after `firstDelayMs`, and each next one `intervalMs` after the last. Safe twice. */
  async start (): Promise<void> {
    if (this.#controller !== undefined) return
    this.#controller = new AbortController()
    if (this.#intervalMs > 0 && Number.isFinite(this.#intervalMs)) this.#schedule(this.#firstDelayMs)
  }

  /** Stops the timer, aborts a pass in progress and waits for it. Safe twice. */
  async stop (): Promise<void> {
    const controller = this.#controller
    if (controller === undefined) return
    this.#controller = undefined
    clearTimeout(this.#timer)
    this.#timer = undefined
    controller.abort(new Error('Block scrubber stopped'))
    await this.#background?.catch(() => {})
  }

  /**
   * Runs a pass now (after one in progress) and resolves with what it did.
   *
   * @throws `signal.reason` when the signal aborts
   */
  async scrubNow (options: ScrubOptions = {}): Promise<ScrubPass> {
    options.signal?.throwIfAborted()
    return await this.#exclusive(async () => await this.#pass(options.signal))
  }

  #schedule (ms: number): void {
    const signal = this.#controller?.signal
    if (signal === undefined) return
    this.#timer = setTimeout(() => {
      this.#timer = undefined
      const run = this.#exclusive(async () => await this.#pass(signal)).catch((err: unknown) => {
        if (!signal.aborted) this.#log.error('scrub pass failed: %e', err)
      }).finally(() => {
        if (this.#background === run) this.#background = undefined
        if (!signal.aborted) this.#schedule(this.#intervalMs)
      })
      this.#background = run
    }, ms)
    // the peer's own handles keep the process alive, not this housekeeping
    this.#timer.unref()
  }

  #exclusive<T> (fn: () => Promise<T>): Promise<T> {
    const run = this.#tail.then(fn, fn)
    this.#tail = run.catch(() => {})
    return run
  }

  async #pass (signal: AbortSignal | undefined): Promise<ScrubPass> {
    signal?.throwIfAborted()
    const { blocks } = this.#c
    const options = signal === undefined ? {} : { signal }
    const started = this.#now()
    let scanned = 0
    let corrupt = 0
    let repaired = 0
    let unrepairable = 0
    let bytes = 0
    for await (const { cid, size } of blocks.stored(options)) {
      // pace: the bytes read so far may not take less time than the rate allows
      const due = started + bytes / this.bytesPerSecond * 1000
      const now = this.#now()
      if (due > now) await this.#sleep(due - now, signal)
      bytes += size
      scanned++
      this.#stats.scanned++
      try {
        await blocks.get(cid, { ...options, verifyCid: true }) // the full check: the CID, not the stored CRC
        continue
      } catch (err) {
        if (isAborted(signal)) throw signal!.reason
        if ((err as Error | undefined)?.name !== 'CorruptBlockError') {
          this.#log.error('scrub: reading block %s failed: %e', cid, err)
          continue
        }
      }
      corrupt++
      this.#stats.corrupt++
      const from = rendezvousOrder(cid.toString(), this.#c.members()).filter(p => p !== this.#c.selfId)
      try {
        // the fetcher finds the local copy corrupt, fetches a verified one and stores it over it
        await this.#c.fetcher.fetch(cid, { from, ...options })
        repaired++
        this.#stats.repaired++
        this.#log.error('scrub: block %s was corrupt here; replaced by an intact copy from another peer', cid)
      } catch (err) {
        if (isAborted(signal)) throw signal!.reason
        const removed = await blocks.deleteIfCorrupt(cid, options)
        unrepairable++
        this.#stats.unrepairable++
        this.#log.error('scrub: block %s is corrupt here and no peer of %d asked has an intact copy; %s: %e',
          cid, from.length, removed ? 'deleted the corrupt copy' : 'the copy changed meanwhile', err)
      }
    }
    const ms = this.#now() - started
    this.#stats.passes++
    this.#stats.lastPassAt = Date.now()
    const log = corrupt > 0 ? this.#log.error : this.#log
    log('scrub: %d blocks (%d bytes) re-hashed, %d corrupt, %d replaced from other peers, %d unrepairable, in %d ms',
      scanned, bytes, corrupt, repaired, unrepairable, Math.round(ms))
    return { scanned, corrupt, repaired, unrepairable, bytes, ms }
  }
}

/** Not narrowed by earlier checks: an await in between may have aborted it. */
function isAborted (signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true
}

/** The default `sleep`: rejects with the signal's reason, as `scrub` documents (Node's own rejection is an AbortError with the reason as its cause). */
async function sleep (ms: number, signal: AbortSignal | undefined): Promise<void> {
  try {
    await timeout(ms, undefined, { signal })
  } catch (err) {
    signal?.throwIfAborted()
    throw err
  }
}
