/**
 * Keeps a peer connected to its bootstrap addresses: dials each one that is not connected,
 * at start and then every `retryMs`, so a mesh forms whatever order its peers start in and
 * heals after a bootstrap peer restarts. An address may leave out `/p2p/<id>`: the peer
 * id is learned from the first successful dial.
 */
import type { Libp2p, PeerId } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import { logger } from '@libp2p/logger'
import { BOOTSTRAP_RETRY_MS } from './constants.ts'
import { errorMessage } from '../../protocol/error-message.ts'

const log = logger('meshflow:mesh:bootstrap')

export interface BootstrapDialerInit {
  readonly addresses: readonly Multiaddr[]
  readonly retryMs?: number
}

export class BootstrapDialer {
  readonly #node: Libp2p
  readonly #targets: { address: Multiaddr, peer: PeerId | undefined, dialing: boolean }[]
  readonly #retryMs: number
  #timer: ReturnType<typeof setInterval> | undefined
  #controller: AbortController | undefined

  constructor (node: Libp2p, init: BootstrapDialerInit) {
    this.#node = node
    this.#targets = init.addresses.map(address => ({ address, peer: undefined, dialing: false }))
    this.#retryMs = init.retryMs ?? BOOTSTRAP_RETRY_MS
  }

  start (): void {
    if (this.#timer !== undefined || this.#targets.length === 0) return
    this.#controller = new AbortController()
    this.#timer = setInterval(() => { this.#dialMissing() }, this.#retryMs)
    this.#dialMissing()
  }

  stop (): void {
    if (this.#timer !== undefined) clearInterval(this.#timer)
    this.#timer = undefined
    this.#controller?.abort()
    this.#controller = undefined
  }

  #dialMissing (): void {
    const signal = this.#controller?.signal
    if (signal === undefined) return
    for (const target of this.#targets) {
      if (target.dialing) continue
      if (target.peer !== undefined && this.#node.getConnections(target.peer).length > 0) continue
      if (target.peer?.equals(this.#node.peerId) === true) continue
      target.dialing = true
      // runs in the background: the interval retries, errors are only logged
      void this.#node.dial(target.address, { signal: AbortSignal.any([signal, AbortSignal.timeout(this.#retryMs * 3)]) })
        .then(conn => { target.peer = conn.remotePeer })
        .catch(err => { log('dial %a failed: %s', target.address, errorMessage(err)) })
        .finally(() => { target.dialing = false })
    }
  }
}
