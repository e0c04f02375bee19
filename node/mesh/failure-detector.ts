/**
 * Declares peers lost when they have been silent for longer than the timeout (a plain
 * heartbeat timeout, DESIGN §5). Time comes in from the caller, so the detector is
 * deterministic and testable; the membership service feeds it heartbeats and polls it.
 *
 * @example
 * const fd = new FailureDetector({ timeoutMs: 3000 })
 * fd.heard('peer-a', now)
 * for (const lost of fd.expire(now + 3001)) console.log('lost', lost)
 */
import { DEFAULT_FAILURE_TIMEOUT_MS } from './constants.ts'

export interface FailureDetectorInit {
  readonly timeoutMs?: number
}

export class FailureDetector {
  readonly timeoutMs: number
  readonly #lastHeard = new Map<string, number>()

  constructor (init: FailureDetectorInit = {}) {
    this.timeoutMs = init.timeoutMs ?? DEFAULT_FAILURE_TIMEOUT_MS
    if (!(this.timeoutMs > 0)) throw new RangeError(`The failure timeout must be positive, got ${this.timeoutMs}`)
  }

  /** Records a sign of life; returns true when the peer was not known (joined). */
  heard (peer: string, now: number): boolean {
    const known = this.#lastHeard.has(peer)
    this.#lastHeard.set(peer, now)
    return !known
  }

  /** Forgets a peer that left on its own (graceful stop). */
  remove (peer: string): boolean {
    return this.#lastHeard.delete(peer)
  }

  isAlive (peer: string): boolean {
    return this.#lastHeard.has(peer)
  }

  get alive (): string[] {
    return [...this.#lastHeard.keys()]
  }

  /**
   * Does not count the last `ms` of silence against any peer: this peer's own loop stalled
   * that long, so it could not hear them (their messages may be queued behind the stall).
   * Lifeguard's idea (hashicorp/memberlist awareness.go): a starved node trusts its own
   * judgement less. Time that passed on time still counts, so a dead peer is found anyway.
   */
  forgive (ms: number): void {
    if (!(ms > 0)) return
    for (const [peer, at] of this.#lastHeard) this.#lastHeard.set(peer, at + ms)
  }

  /** Removes and returns the peers silent for longer than the timeout at `now`. */
  expire (now: number): string[] {
    const lost: string[] = []
    for (const [peer, at] of this.#lastHeard) {
      if (now - at > this.timeoutMs) lost.push(peer)
    }
    for (const peer of lost) this.#lastHeard.delete(peer)
    return lost
  }
}
