/**
 * The libp2p host of a peer: TCP transport, noise encryption, yamux multiplexing,
 * identify and ping; peers are found through bootstrap addresses (retried until
 * connected) and mDNS on the local network; an optional pre-shared key makes the mesh
 * private. Modules for optional features load only when used, to keep start-up lean.
 *
 * @example
 * const host = await createMeshHost({ listen: ['/ip4/127.0.0.1/tcp/0'], privateKey })
 * console.log(host.getMultiaddrs().map(String))
 */
import type { Libp2p, PrivateKey } from '@libp2p/interface'
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import { InvalidAddressError } from './errors.ts'
import { INBOUND_LIMITS } from './constants.ts'
import { InboundGuard } from './inbound-guard.ts'

export interface MeshHostInit {
  /** Multiaddrs to listen on (default `/ip4/0.0.0.0/tcp/0`). */
  readonly listen?: readonly string[]
  /** Multiaddrs of peers to connect to; the `/p2p/<id>` part may be left out. */
  readonly bootstrap?: readonly string[]
  /** Discover peers on the local network with mDNS (default true). */
  readonly mdns?: boolean
  /** A pre-shared key (swarm.key bytes): peers without it are refused. */
  readonly psk?: Uint8Array
  readonly privateKey: PrivateKey
  /** Called when an address is denied after repeated failed handshakes (to say so in the log). */
  readonly onDeny?: (address: string, failures: number) => void
}

export type MeshLibp2p = Libp2p<{ identify: unknown, ping: { ping(peer: Multiaddr | import('@libp2p/interface').PeerId, options?: { signal?: AbortSignal }): Promise<number> } }>

export function parseMultiaddr (address: string): Multiaddr {
  try {
    return multiaddr(address)
  } catch (err) {
    throw new InvalidAddressError(address, { cause: err })
  }
}

type NoiseCrypto = typeof import('@chainsafe/libp2p-noise/crypto').defaultCrypto

/**
 * Noise's crypto (native ChaCha20-Poly1305 from node:crypto for all but small messages)
 * that encrypts a message given in pieces (yamux hands over its header and its payload
 * apart) into one ciphertext. Noise's own encrypts piece by piece and returns the pieces,
 * and the TCP transport writes each piece with its own system call: four writes for every
 * yamux frame instead of two (measured with strace on the shuffle benchmark, where socket
 * writes were the largest self time of both peers).
 */
function contiguousCiphertext (crypto: NoiseCrypto): NoiseCrypto {
  return {
    ...crypto,
    chaCha20Poly1305Encrypt (plaintext, nonce, ad, k) {
      return crypto.chaCha20Poly1305Encrypt(plaintext instanceof Uint8Array ? plaintext : plaintext.subarray(), nonce, ad, k)
    }
  }
}

export async function createMeshHost (init: MeshHostInit): Promise<MeshLibp2p> {
  const listen = (init.listen ?? ['/ip4/0.0.0.0/tcp/0']).map(a => parseMultiaddr(a).toString())
  for (const b of init.bootstrap ?? []) parseMultiaddr(b)
  const [{ createLibp2p }, { tcp }, { noise }, { defaultCrypto }, { yamux }, { identify }, { ping }] = await Promise.all([
    import('libp2p'), import('@libp2p/tcp'), import('@chainsafe/libp2p-noise'), import('@chainsafe/libp2p-noise/crypto'),
    import('@chainsafe/libp2p-yamux'), import('@libp2p/identify'), import('@libp2p/ping')
  ])
  const peerDiscovery = []
  if (init.mdns !== false) {
    const { mdns } = await import('@libp2p/mdns')
    peerDiscovery.push(mdns({ interval: 1000 }))
  }
  let connectionProtector
  if (init.psk !== undefined) {
    // our own pnet: @libp2p/pnet 3.0.27's WASM cipher crashes the process on large writes
    const { pnetProtector } = await import('./pnet-protector.ts')
    connectionProtector = pnetProtector({ psk: init.psk })
  }
  const guard = new InboundGuard(init.onDeny === undefined ? {} : { onDeny: init.onDeny })
  const node = await createLibp2p({
    privateKey: init.privateKey,
    addresses: { listen },
    transports: [tcp()],
    connectionEncrypters: [noise({ crypto: contiguousCiphertext(defaultCrypto) })],
    streamMuxers: [yamux()],
    peerDiscovery,
    ...(connectionProtector === undefined ? {} : { connectionProtector }),
    connectionGater: guard.gater,
    connectionManager: {
      maxConnections: 256,
      maxIncomingPendingConnections: INBOUND_LIMITS.maxIncomingPendingConnections,
      inboundConnectionThreshold: INBOUND_LIMITS.inboundConnectionThreshold,
      inboundUpgradeTimeout: INBOUND_LIMITS.inboundUpgradeTimeoutMs
    },
    services: { identify: identify(), ping: ping() }
  })
  guard.setOpenConnections(() => node.getConnections())
  return node as unknown as MeshLibp2p
}
