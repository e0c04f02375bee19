/**
 * A private mesh's connection protector: the libp2p pnet wire format (as `@libp2p/pnet`
 * speaks it, so either end may run either implementation) over `@noble/ciphers`' XSalsa20.
 *
 * Wire format: each side sends 24 random bytes (its nonce) and reads the other's; from then
 * on every byte one side writes is XORed with the XSalsa20 keystream of (the 32-byte
 * pre-shared key, the writer's nonce). A peer with another key reads noise, and the noise
 * handshake that follows fails.
 *
 * Unlike `@libp2p/pnet` 3.0.27 (whose WASM cipher grows one shared memory for each large
 * write and crashes the process), this one XORs in bounded chunks with no shared state
 * between connections; the nonce exchange is bounded in time and in buffered bytes.
 *
 * @example
 * const node = await createLibp2p({ connectionProtector: pnetProtector({ psk: parsePsk(text) }), ... })
 */
import { randomBytes } from 'node:crypto'
import type { AbortOptions, ConnectionProtector, MessageStream, MultiaddrConnection } from '@libp2p/interface'
import { AbstractMultiaddrConnection, byteStream } from '@libp2p/utils'
import type { SendResult } from '@libp2p/utils'
import type { Uint8ArrayList } from 'uint8arraylist'
import { PNET_HANDSHAKE_MAX_BUFFER, PNET_NONCE_TIMEOUT_MS } from './constants.ts'
import { InvalidPskError, PnetHandshakeError } from './errors.ts'
import { XSalsa20Stream } from './xsalsa20-stream.ts'

/** Length of a pnet nonce. */
export const PNET_NONCE_LENGTH = 24

export interface PnetProtectorInit {
  /** The key as `parsePsk` returns it (the swarm.key text), or its 32 raw bytes. */
  readonly psk: Uint8Array
  /** How long the nonce exchange may take (default `PNET_NONCE_TIMEOUT_MS`). */
  readonly nonceTimeoutMs?: number
}

/** The 32 key bytes of a swarm.key text (`/key/swarm/psk/1.0.0/`, `/base16/`, 64 hex digits), or of 32 raw bytes. */
export function pskKeyBytes (psk: Uint8Array): Uint8Array {
  if (psk.length === 32) return Uint8Array.from(psk)
  const lines = new TextDecoder().decode(psk).split(/\r\n|\r|\n/)
  const hex = lines[2] ?? ''
  if (lines[0] !== '/key/swarm/psk/1.0.0/' || lines[1] !== '/base16/' || !/^[0-9a-fA-F]{64}$/.test(hex)) {
    throw new InvalidPskError('Invalid pre-shared key: expected \'/key/swarm/psk/1.0.0/\', \'/base16/\' and 64 hex digits')
  }
  return Uint8Array.from(Buffer.from(hex, 'hex'))
}

/** Protects connections with the pnet wire format; see the module comment. */
export class PnetProtector implements ConnectionProtector {
  readonly #key: Uint8Array
  readonly #nonceTimeoutMs: number

  constructor (init: PnetProtectorInit) {
    this.#key = pskKeyBytes(init.psk)
    this.#nonceTimeoutMs = init.nonceTimeoutMs ?? PNET_NONCE_TIMEOUT_MS
  }

  readonly [Symbol.toStringTag] = 'meshflow:pnet'

  /**
   * Exchanges nonces over `connection` (a libp2p MultiaddrConnection) and returns it
   * wrapped so that what passes through is XORed with the two keystreams.
   *
   * @throws {PnetHandshakeError} when the other side closes, stays silent past the timeout
   * or `options.signal` aborts before its nonce arrived
   */
  async protect (connection: MessageStream, options: AbortOptions = {}): Promise<MessageStream> {
    const maConn = connection as MultiaddrConnection
    const localNonce = new Uint8Array(randomBytes(PNET_NONCE_LENGTH))
    const timeout = AbortSignal.timeout(this.#nonceTimeoutMs)
    const signal = options.signal === undefined ? timeout : AbortSignal.any([options.signal, timeout])
    const bytes = byteStream(maConn, { maxBufferSize: PNET_HANDSHAKE_MAX_BUFFER })
    let remoteNonce: Uint8Array
    try {
      const [read] = await Promise.all([
        bytes.read({ bytes: PNET_NONCE_LENGTH, signal }),
        bytes.write(localNonce, { signal })
      ])
      remoteNonce = read.subarray()
    } catch (err) {
      const why = timeout.aborted ? `no nonce within ${this.#nonceTimeoutMs} ms` : errorText(err)
      throw new PnetHandshakeError(`The pre-shared key handshake with ${String(maConn.remoteAddr)} did not complete: ${why}`, { cause: err })
    }
    return new PnetConnection({
      maConn: bytes.unwrap() as MultiaddrConnection,
      inbound: new XSalsa20Stream(this.#key, remoteNonce),
      outbound: new XSalsa20Stream(this.#key, localNonce)
    })
  }
}

/** A libp2p `connectionProtector` factory for `createLibp2p`. */
export function pnetProtector (init: PnetProtectorInit): () => ConnectionProtector {
  return () => new PnetProtector(init)
}

function errorText (err: unknown): string {
  if (err instanceof Error) return err.message
  // p-event rejects with the 'close' Event itself when the socket closes mid-exchange
  if (typeof Event !== 'undefined' && err instanceof Event) return `the connection closed (${err.type} event)`
  return String(err)
}

interface PnetConnectionInit {
  readonly maConn: MultiaddrConnection
  readonly inbound: XSalsa20Stream
  readonly outbound: XSalsa20Stream
}

/** The protected connection: XORs what it reads and writes, and otherwise forwards to the socket's connection. */
class PnetConnection extends AbstractMultiaddrConnection {
  readonly #maConn: MultiaddrConnection
  readonly #outbound: XSalsa20Stream

  constructor (init: PnetConnectionInit) {
    super({ remoteAddr: init.maConn.remoteAddr, direction: init.maConn.direction, log: init.maConn.log.newScope('pnet') })
    this.#maConn = init.maConn
    this.#outbound = init.outbound
    const inbound = init.inbound
    this.#maConn.addEventListener('message', evt => {
      try {
        const data: Uint8Array | Uint8ArrayList = evt.data
        for (const buf of data instanceof Uint8Array ? [data] : data) {
          for (const chunk of inbound.xor(buf)) this.onData(chunk)
        }
      } catch (err) {
        this.abort(err instanceof Error ? err : new Error(String(err)))
      }
    })
    this.#maConn.addEventListener('drain', () => { this.onMuxerDrain() })
    this.#maConn.addEventListener('close', evt => {
      if (evt.error != null) {
        if (evt.local === true) this.abort(evt.error)
        else this.onRemoteReset()
      } else {
        this.onTransportClosed()
      }
    })
  }

  async sendClose (options?: AbortOptions): Promise<void> {
    await this.#maConn.close(options)
  }

  sendData (data: Uint8ArrayList): SendResult {
    let canSendMore = true
    for (const buf of data) {
      for (const chunk of this.#outbound.xor(buf)) canSendMore = this.#maConn.send(chunk)
    }
    return { sentBytes: data.byteLength, canSendMore }
  }

  sendReset (err: Error): void {
    this.#maConn.abort(err)
  }

  sendPause (): void {
    this.#maConn.pause()
  }

  sendResume (): void {
    this.#maConn.resume()
  }
}
