/**
 * Inbound connection limits by address, as a libp2p connection gater: at most
 * `maxPendingPerAddress` connections from one IP may be mid-handshake at once (so one
 * address cannot take the pending slots that everyone shares), and an address whose
 * handshakes keep failing (idle sockets that time out, garbage, the wrong key) is denied
 * for a while. libp2p has neither: it counts pending connections only in total and has a
 * static deny list.
 *
 * An address from which an authenticated connection is open (a peer of the mesh proved it
 * holds the key and its identity there) is never denied: peers that share a host or a NAT
 * with an attacker keep their way in, and only the per-address pending limit applies.
 *
 * @example
 * const guard = new InboundGuard({ onDeny: (ip, n) => log('denied %s', ip) })
 * const node = await createLibp2p({ connectionGater: guard.gater, ... })
 * guard.setOpenConnections(() => node.getConnections())
 */
import type { ConnectionGater, MultiaddrConnection, PeerId } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import { logger } from '@libp2p/logger'
import { INBOUND_LIMITS } from './constants.ts'

const log = logger('meshflow:mesh:inbound-guard')

export interface InboundGuardInit {
  readonly maxPendingPerAddress?: number
  readonly maxFailedHandshakes?: number
  readonly failureWindowMs?: number
  readonly denyMs?: number
  readonly maxTrackedAddresses?: number
  /** Called when an address is denied, with the failures that got it there. */
  readonly onDeny?: (address: string, failures: number) => void
  readonly now?: () => number
}

interface AddressState {
  pending: number
  /** Times of recent failed handshakes (at most `maxFailedHandshakes`). */
  failures: number[]
  deniedUntil: number
}

/** The IP address of a multiaddr, or undefined for one without (a relay, a unix socket). */
export function ipOf (address: Multiaddr): string | undefined {
  return address.getComponents().find(c => c.name === 'ip4' || c.name === 'ip6')?.value
}

export class InboundGuard {
  readonly #maxPending: number
  readonly #maxFailures: number
  readonly #windowMs: number
  readonly #denyMs: number
  readonly #maxTracked: number
  readonly #onDeny: ((address: string, failures: number) => void) | undefined
  readonly #now: () => number
  readonly #addresses = new Map<string, AddressState>()
  /** Pending connections we count, until they upgrade or close. */
  readonly #pending = new WeakMap<MultiaddrConnection, { ip: string, upgraded: boolean }>()
  #openConnections: () => ReadonlyArray<{ remoteAddr: Multiaddr, status: string }> = () => []

  constructor (init: InboundGuardInit = {}) {
    this.#maxPending = init.maxPendingPerAddress ?? INBOUND_LIMITS.maxPendingPerAddress
    this.#maxFailures = init.maxFailedHandshakes ?? INBOUND_LIMITS.maxFailedHandshakes
    this.#windowMs = init.failureWindowMs ?? INBOUND_LIMITS.failureWindowMs
    this.#denyMs = init.denyMs ?? INBOUND_LIMITS.denyMs
    this.#maxTracked = init.maxTrackedAddresses ?? INBOUND_LIMITS.maxTrackedAddresses
    this.#onDeny = init.onDeny
    this.#now = init.now ?? Date.now
  }

  /** Where to find the host's open (authenticated) connections; set once the host exists. */
  setOpenConnections (connections: () => ReadonlyArray<{ remoteAddr: Multiaddr, status: string }>): void {
    this.#openConnections = connections
  }

  /** The libp2p connection gater that applies these limits. */
  get gater (): ConnectionGater {
    return {
      denyInboundConnection: maConn => this.#onInbound(maConn),
      denyInboundUpgradedConnection: (_peer: PeerId, maConn) => { this.#onUpgraded(maConn); return false }
    }
  }

  /** Whether `ip` is denied now. */
  isDenied (ip: string): boolean {
    const state = this.#addresses.get(ip)
    return state !== undefined && state.deniedUntil > this.#now() && !this.#trusted(ip)
  }

  /** Connections from `ip` now mid-handshake (counted by this guard). */
  pendingFrom (ip: string): number {
    return this.#addresses.get(ip)?.pending ?? 0
  }

  #onInbound (maConn: MultiaddrConnection): boolean {
    const ip = ipOf(maConn.remoteAddr)
    if (ip === undefined) return false
    const state = this.#state(ip)
    if (state.deniedUntil > this.#now()) {
      if (!this.#trusted(ip)) {
        log.trace('refused %s: denied for another %d ms', ip, state.deniedUntil - this.#now())
        return true
      }
      state.deniedUntil = 0
    }
    if (state.pending >= this.#maxPending) {
      log('refused a connection from %s: %d of its connections are already mid-handshake', ip, state.pending)
      return true
    }
    state.pending++
    const entry = { ip, upgraded: false }
    this.#pending.set(maConn, entry)
    maConn.addEventListener('close', () => {
      if (entry.upgraded) return
      this.#settle(maConn, entry)
      this.#failed(ip)
    }, { once: true })
    return false
  }

  #onUpgraded (maConn: MultiaddrConnection): void {
    const entry = this.#pending.get(maConn)
    if (entry === undefined || entry.upgraded) return
    entry.upgraded = true
    this.#settle(maConn, entry)
  }

  #settle (maConn: MultiaddrConnection, entry: { ip: string }): void {
    this.#pending.delete(maConn)
    const state = this.#addresses.get(entry.ip)
    if (state !== undefined) state.pending = Math.max(0, state.pending - 1)
  }

  #failed (ip: string): void {
    const state = this.#state(ip)
    const now = this.#now()
    state.failures.push(now)
    while (state.failures.length > 0 && (state.failures[0]! <= now - this.#windowMs || state.failures.length > this.#maxFailures)) state.failures.shift()
    if (state.failures.length < this.#maxFailures || state.deniedUntil > now) return
    if (this.#trusted(ip)) {
      log('%d failed handshakes from %s, not denied: a peer of the mesh is connected from there', state.failures.length, ip)
      return
    }
    state.deniedUntil = now + this.#denyMs
    log.error('denying %s for %d s after %d failed handshakes within %d s', ip, this.#denyMs / 1000, state.failures.length, this.#windowMs / 1000)
    this.#onDeny?.(ip, state.failures.length)
    state.failures = []
  }

  /** An authenticated connection from or to `ip` is open. */
  #trusted (ip: string): boolean {
    return this.#openConnections().some(c => c.status === 'open' && ipOf(c.remoteAddr) === ip)
  }

  #state (ip: string): AddressState {
    let state = this.#addresses.get(ip)
    if (state === undefined) {
      if (this.#addresses.size >= this.#maxTracked) this.#forgetOne()
      state = { pending: 0, failures: [], deniedUntil: 0 }
      this.#addresses.set(ip, state)
    } else {
      // keep the map in least-recently-used order
      this.#addresses.delete(ip)
      this.#addresses.set(ip, state)
    }
    return state
  }

  /** Forgets the least recently seen address that has nothing pending. */
  #forgetOne (): void {
    for (const [ip, state] of this.#addresses) {
      if (state.pending === 0) {
        this.#addresses.delete(ip)
        return
      }
    }
  }
}
