/**
 * A peer's identity: an Ed25519 key pair created on first start and kept in the peer's
 * store, so the peer id survives restarts.
 */
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'
import type { PeerStore } from '../storage/peer-store.ts'

const KEY = 'peer-private-key'

export async function loadOrCreatePrivateKey (store: PeerStore): Promise<PrivateKey> {
  const saved = await store.getMeta(KEY)
  if (saved !== undefined) return privateKeyFromProtobuf(saved)
  const key = await generateKeyPair('Ed25519')
  await store.putMeta(KEY, privateKeyToProtobuf(key))
  return key
}
