import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { formatStatus, statusJson } from '../../node/cli/format-status.ts'
import type { PeerStatus } from '../../node/cluster/peer.ts'

const A = '12D3KooWAaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'
const B = '12D3KooWBbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb'

const status: PeerStatus = {
  leader: A,
  term: 3,
  peers: [
    { id: A, addrs: [`/ip4/127.0.0.1/tcp/7000/p2p/${A}`, `/ip4/10.0.0.1/tcp/7000/p2p/${A}`], labels: { tier: 'edge', zone: 'a' }, slots: 2, freeSlots: 2, role: 'leader' },
    { id: B, addrs: [], labels: {}, slots: 4, freeSlots: 1, role: 'lost' }
  ]
}

const format = suite('formatStatus')

format('prints a heading with leader and term, and one row per peer with the leader marked', () => {
  assert.equal(formatStatus(status).split('\n'), [
    `leader ${A}  term 3  peers 2`,
    `   PEER${' '.repeat(A.length - 4)}  ROLE    SLOTS     LABELS${' '.repeat(10)}  ADDRESS`,
    `*  ${A}  leader  2/2 free  tier=edge,zone=a  /ip4/127.0.0.1/tcp/7000 (+1)`,
    `   ${B}  lost    1/4 free  -${' '.repeat(15)}  -`,
    ''
  ])
})

format('says when no leader is known', () => {
  assert.match(formatStatus({ leader: null, term: 4, peers: [] }), /^leader none \(an election is running\) {2}term 4 {2}peers 0\n/)
})

format('says why there is no leader and prints one warning line per warning', () => {
  const message = `no quorum: 1 of 2 voters lost (${B}); no leader can be elected until enough of them return`
  const text = formatStatus({ ...status, leader: null, warnings: [{ code: 'no-quorum', message, peers: [B] }] })
  assert.match(text, /^leader none \(no quorum\) {2}term 3 {2}peers 2\n/)
  assert.ok(text.endsWith(`\nwarning: ${message}\n`), text)
})

format.run()

const json = suite('statusJson')

json('has exactly the fields of DESIGN §7, in order', () => {
  const extra = { ...status, version: 1, peers: status.peers.map(p => ({ ...p, startedAt: 5 })) } as unknown as PeerStatus
  const out = statusJson(extra)
  assert.equal(Object.keys(out), ['leader', 'term', 'peers'])
  assert.equal(Object.keys(out.peers[0]!), ['id', 'addrs', 'labels', 'slots', 'freeSlots', 'role'])
  assert.equal(JSON.parse(JSON.stringify(out)), JSON.parse(JSON.stringify(status)))
})

json('adds group, voters and warnings after the fields of DESIGN §7 when the status has them', () => {
  const warnings = [{ code: 'other-group' as const, message: 'split mesh', peers: [B], group: `${B}@2` }]
  const out = statusJson({ ...status, group: `${A}@1`, voters: [A], warnings })
  assert.equal(Object.keys(out), ['leader', 'term', 'peers', 'group', 'voters', 'warnings'])
  assert.equal(out.warnings, warnings)
})

json.run()
