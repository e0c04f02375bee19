/**
 * What `meshflow status` prints: the JSON of DESIGN §7 (`--json`), or a table with the
 * leader marked.
 *
 * @example
 * io.stdout.write(command.json ? JSON.stringify(statusJson(status)) + '\n' : formatStatus(status))
 */
import type { ScrubStatus } from '../../protocol/client.ts'
import type { PeerStatus } from '../cluster/peer.ts'

/** One peer as `status --json` prints it. */
export interface StatusJsonPeer {
  readonly id: string
  readonly addrs: string[]
  readonly labels: Record<string, string>
  readonly slots: number
  readonly freeSlots: number
  readonly role: string
  /** The answering peer's own entry only: its scrub of local blocks. */
  readonly scrub?: ScrubStatus
}

/** One warning as `status --json` prints it (see `StatusWarning`). */
export interface StatusJsonWarning {
  readonly code: string
  readonly message: string
  readonly peers: string[]
  readonly group?: string
}

/**
 * `status --json`: `{ leader, term, peers: [{ id, addrs, labels, slots, freeSlots, role }] }`
 * (the answering peer's own entry with `scrub` too), then, when the peer has them, `group`
 * (its Raft group), `voters` and `warnings` (`[{ code, message, peers, group? }]`, only when
 * something is wrong).
 */
export interface StatusJson {
  readonly leader: string | null
  readonly term: number
  readonly peers: StatusJsonPeer[]
  readonly group?: string
  readonly voters?: string[]
  readonly warnings?: StatusJsonWarning[]
}

/** Picks the fields of DESIGN §7 out of a status answer, in their documented order. */
export function statusJson (status: PeerStatus): StatusJson {
  return {
    leader: status.leader,
    term: status.term,
    peers: status.peers.map(p => ({
      id: p.id,
      addrs: [...p.addrs],
      labels: { ...p.labels },
      slots: p.slots,
      freeSlots: p.freeSlots,
      role: p.role,
      ...(p.scrub === undefined ? {} : { scrub: { ...p.scrub } })
    })),
    ...(status.group === undefined ? {} : { group: status.group }),
    ...(status.voters === undefined ? {} : { voters: [...status.voters] }),
    ...(status.warnings === undefined ? {} : {
      warnings: status.warnings.map(w => ({ code: w.code, message: w.message, peers: [...w.peers], ...(w.group === undefined ? {} : { group: w.group }) }))
    })
  }
}

function table (rows: readonly (readonly string[])[]): string {
  const widths: number[] = []
  for (const row of rows) row.forEach((cell, i) => { widths[i] = Math.max(widths[i] ?? 0, cell.length) })
  return rows.map(row => row.map((cell, i) => i === row.length - 1 ? cell : cell.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n')
}

/**
 * A readable table of the mesh: a heading with leader and term, then one row per peer, then
 * a `warning: …` line per warning (no quorum, a split mesh).
 */
export function formatStatus (status: PeerStatus): string {
  const warnings = status.warnings ?? []
  const why = warnings.some(w => w.code === 'no-quorum')
    ? 'no quorum'
    : warnings.some(w => w.code === 'waiting-for-peers') ? 'no Raft group yet' : 'an election is running'
  const heading = status.leader === null
    ? `leader none (${why})  term ${status.term}  peers ${status.peers.length}`
    : `leader ${status.leader}  term ${status.term}  peers ${status.peers.length}`
  const rows: string[][] = [[' ', 'PEER', 'ROLE', 'SLOTS', 'LABELS', 'ADDRESS']]
  for (const p of status.peers) {
    const labels = Object.entries(p.labels).map(([k, v]) => `${k}=${v}`).join(',')
    const addrs = p.addrs.map(a => a.replace(/\/p2p\/[^/]+$/, ''))
    const address = addrs.length === 0 ? '-' : addrs.length === 1 ? addrs[0]! : `${addrs[0]!} (+${addrs.length - 1})`
    rows.push([p.id === status.leader ? '*' : ' ', p.id, p.role, `${p.freeSlots}/${p.slots} free`, labels === '' ? '-' : labels, address])
  }
  return `${heading}\n${table(rows)}\n${warnings.map(w => `warning: ${w.message}\n`).join('')}`
}
