/**
 * Peer exchange: asks a peer that just joined whom it knows and dials those this peer is
 * not connected to, so a mesh whose peers each know one bootstrap address becomes fully
 * connected (heartbeats, failure detection and the bootstrap decision need that).
 */
import type { Libp2p } from '@libp2p/interface'
import { logger } from '@libp2p/logger'
import { peerIdFromString } from '@libp2p/peer-id'
import { errorMessage } from '../../protocol/error-message.ts'
import { parseMultiaddr } from '../mesh/mesh-host.ts'
import { clientRequest } from './client-request.ts'

const log = logger('meshflow:cluster:peer')

/** How long asking a peer, and dialling one address, may take. */
const EXCHANGE_TIMEOUT_MS = 3000

/** Asks peer `id` for the peers it knows and dials those `host` is not connected to; never throws. */
export async function exchangePeers (host: Libp2p, selfId: string, id: string, requestId: number): Promise<void> {
  try {
    const answer = await clientRequest(host, peerIdFromString(id), { type: 'status-request', id: requestId }, { signal: AbortSignal.timeout(EXCHANGE_TIMEOUT_MS) })
    if (answer.type !== 'status-response') return
    for (const p of answer.peers) {
      if (p.id === selfId || p.role === 'lost' || host.getConnections(peerIdFromString(p.id)).length > 0) continue
      for (const addr of p.addrs) {
        try {
          await host.dial(parseMultiaddr(addr), { signal: AbortSignal.timeout(EXCHANGE_TIMEOUT_MS) })
          break
        } catch (err) {
          log('peer exchange: cannot dial %s: %s', addr, errorMessage(err))
        }
      }
    }
  } catch (err) {
    log('peer exchange with %s failed: %s', id, errorMessage(err))
  }
}
