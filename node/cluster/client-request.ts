/**
 * One request/response exchange on `/meshflow/client/1`: opens a stream to a peer, sends
 * the request, reads the answer with the same id, and closes the stream.
 */
import type { Libp2p, PeerId } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import { CLIENT_CODEC } from '../../protocol/codec.ts'
import { readMessages, sendMessages } from '../../protocol/message-handler.ts'
import type { ClientRequest, ClientResponse } from '../../protocol/client.ts'
import { CONTROL_STREAM_LIMITS } from '../mesh/constants.ts'
import { RemoteError } from './errors.ts'
import { asError } from '../mesh/as-error.ts'

export interface ClientRequestOptions {
  readonly signal?: AbortSignal
}

/**
 * Sends `request` to `peer` and resolves with its answer. An `error-response` rejects with
 * a RemoteError carrying the code and whether a retry may help; a peer that cannot be
 * reached rejects with a retriable RemoteError 'unavailable' (the request never left).
 */
export async function clientRequest (node: Libp2p, peer: PeerId | Multiaddr, request: ClientRequest, options: ClientRequestOptions = {}): Promise<ClientResponse> {
  const signal = options.signal
  let stream
  try {
    stream = await node.dialProtocol(peer, CLIENT_CODEC.protocol, { ...(signal === undefined ? {} : { signal }), ...CONTROL_STREAM_LIMITS })
  } catch (err) {
    if (signal?.aborted === true) throw asError(err)
    // nothing was sent: asking again (or another peer) is safe
    throw new RemoteError('unavailable', `Cannot reach peer ${peer.toString()}: ${asError(err).message}`, true, { cause: err })
  }
  // a stream on a connection that died unnoticed stays silent: reading it would wait past
  // the signal, so the signal aborts the stream itself
  const onAbort = (): void => { stream.abort(asError(signal?.reason)) }
  signal?.addEventListener('abort', onAbort, { once: true })
  try {
    await sendMessages(stream, CLIENT_CODEC, [request], signal === undefined ? {} : { signal })
    for await (const message of readMessages(stream, CLIENT_CODEC, signal === undefined ? {} : { signal })) {
      if (!('id' in message) || message.id !== request.id) continue
      if (message.type === 'error-response') throw new RemoteError(message.code, message.message, message.retriable)
      return message as ClientResponse
    }
    throw new RemoteError('unavailable', 'The peer closed the stream without answering', true)
  } catch (err) {
    const error = asError(err)
    stream.abort(error)
    throw error
  } finally {
    signal?.removeEventListener('abort', onAbort)
    if (stream.status === 'open') await stream.close().catch(() => {})
  }
}
