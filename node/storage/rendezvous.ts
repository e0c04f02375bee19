/**
 * Rendezvous (highest-random-weight) hashing: which members hold a block. Every member
 * gets a weight per CID, a stable 64-bit hash of `cid + '\0' + member` (the first 8 bytes
 * of its SHA-256), and the r members with the highest weights hold it. Every peer that
 * sees the same members picks the same holders without talking to the others, and a
 * member joining or leaving moves only the blocks it gains or loses: removing a holder
 * promotes the next member in that CID's order into its one slot, removing anyone else
 * changes nothing (Thaler and Ravishankar, "Using name-based mappings to increase hit
 * rates", 1998).
 *
 * @example
 * rendezvousHolders('bafkrei…', ['peerA', 'peerB', 'peerC', 'peerD'], 3) // e.g. ['peerC', 'peerA', 'peerD']
 * rendezvousOrder('bafkrei…', members) // every member, best first: the fallbacks after the holders
 */
import { createHash } from 'node:crypto'

/** The member's weight for the CID: the first 64 bits of sha256(cid '\0' member), big-endian. */
export function rendezvousWeight (cid: string, member: string): bigint {
  return createHash('sha256').update(cid).update('\0').update(member).digest().readBigUInt64BE(0)
}

/**
 * Every distinct member, highest weight for `cid` first (ties, which need a 64-bit
 * collision, by member id), so the result depends only on the set of members, not their order.
 */
export function rendezvousOrder (cid: string, members: readonly string[]): string[] {
  const weighted = [...new Set(members)].map(member => ({ member, weight: rendezvousWeight(cid, member) }))
  weighted.sort((a, b) => a.weight > b.weight ? -1 : a.weight < b.weight ? 1 : a.member < b.member ? -1 : a.member > b.member ? 1 : 0)
  return weighted.map(w => w.member)
}

/**
 * The `r` members that hold `cid`, highest weight first (fewer when there are fewer
 * distinct members, none when `r` ≤ 0).
 */
export function rendezvousHolders (cid: string, members: readonly string[], r: number): string[] {
  if (!(r > 0)) return []
  return rendezvousOrder(cid, members).slice(0, Math.floor(r))
}
