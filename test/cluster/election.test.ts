import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { LocalMesh, bounded, runMeshflow, statusJson } from './local-mesh.ts'
import { NodeProcess, firstTo, sleep, waitFor } from './node-process.ts'

const election = suite('meshflow node (processes)')

async function electsOneLeader (n: number): Promise<void> {
  const mesh = await LocalMesh.start(n)
  try {
    const leader = await mesh.agreedLeader(60_000, n)
    const statuses = await Promise.all(mesh.nodes.map(async node => await statusJson(node.address)))
    for (const [i, s] of statuses.entries()) {
      assert.is(s.leader, leader.id, `status from ${mesh.nodes[i]!.name}`)
      assert.is(s.term, leader.state.term, `term from ${mesh.nodes[i]!.name}`)
      assert.equal(s.peers.map(p => p.id).sort(), mesh.nodes.map(node => node.id).sort())
      assert.equal(s.peers.filter(p => p.role === 'leader').map(p => p.id), [leader.id])
      assert.is(s.peers.filter(p => p.role === 'follower').length, n - 1)
    }
    for (const node of mesh.nodes) assert.is(node.lines.filter(l => l.startsWith('role leader')).length, node === leader ? 1 : 0, `${node.name} led once at most`)
  } finally {
    await mesh.close()
  }
}

election('3 processes elect exactly one leader, and status --json from every peer agrees on leader and term', async () => {
  await bounded('3-peer election', 120_000, async () => { await electsOneLeader(3) })
})

election('5 processes elect exactly one leader, and status --json from every peer agrees on leader and term', async () => {
  await bounded('5-peer election', 120_000, async () => { await electsOneLeader(5) })
})

election('meshflow status prints the mesh with the leader marked; SIGTERM makes the leader hand over and exit 0', async () => {
  await bounded('status and graceful stop', 120_000, async () => {
    const mesh = await LocalMesh.start(3, { args: ['--label', 'tier=edge', '--slots', '4'] })
    try {
      const leader = await mesh.agreedLeader(60_000, 3)
      const follower = mesh.nodes.find(n => n !== leader)!
      // a --mesh address may leave out /p2p/<id>
      const r = await runMeshflow(['status', '--mesh', follower.address.replace(/\/p2p\/.*$/, '')])
      assert.is(r.code, 0, r.stderr)
      const [heading, header, ...rows] = r.stdout.trimEnd().split('\n')
      assert.is(heading, `leader ${leader.id}  term ${leader.state.term}  peers 3`)
      assert.match(header!, /^\s+PEER\s+ROLE\s+SLOTS\s+LABELS\s+ADDRESS$/)
      assert.is(rows.length, 3)
      assert.equal(rows.filter(l => l.startsWith('*')).map(l => l.split(/\s+/)[1]), [leader.id])
      for (const row of rows) assert.match(row, /\s(leader|follower)\s+4\/4 free\s+tier=edge\s+\/ip4\/127\.0\.0\.1\/tcp\/\d+$/)

      const term = leader.state.term
      const from = mesh.nodes.map(n => n.lines.length)
      const { code, signal } = await leader.stop()
      assert.is(code, 0, `exit ${code} ${signal}: ${leader.stderr}`)
      assert.is(leader.lines.at(-1), 'stopped')
      assert.is(leader.stderr, '')
      const next = await firstTo(mesh.live, 'a new leader', n => n.isLeader && n.state.term > term, 30_000)
      assert.is.not(next.id, leader.id)
      // handed over, not found missing: the transfer's election is the next term's only one,
      // and no peer waited out an election timeout (which starts with a pre-vote, printed as
      // a candidate line in the old term); how fast is test/bench/failover.ts's business
      assert.is(next.state.term, term + 1)
      for (const [i, n] of mesh.nodes.entries()) {
        const since = n.lines.slice(from[i])
        assert.not.ok(since.includes(`role candidate term ${term}`), `${n.name} started a pre-vote:\n${since.join('\n')}`)
      }
    } finally {
      await mesh.close()
    }
  })
})

/** A TCP port that was free a moment ago. */
async function freePort (): Promise<number> {
  const server = createServer()
  await new Promise<void>(resolve => { server.listen(0, '127.0.0.1', resolve) })
  const { port } = server.address() as { port: number }
  await new Promise<void>(resolve => { server.close(() => { resolve() }) })
  return port
}

// A fresh peer with --bootstrap addresses waits to meet other peers before it founds a group
// (node/cluster/peer.ts #maybeBootstrap), so peers started before their bootstrap peer do not
// form meshes of their own.
election('peers started before their bootstrap peer still end up in one mesh with one leader', async () => {
  await bounded('late bootstrap peer', 120_000, async () => {
    const mesh = new LocalMesh()
    try {
      const port = await freePort()
      const first = `/ip4/127.0.0.1/tcp/${port}`
      for (const name of ['b', 'c']) mesh.nodes.push(await NodeProcess.start({ dataDir: join(mesh.dir, name), name, bootstrap: [first] }))
      await sleep(3000)
      mesh.nodes.push(await NodeProcess.start({ dataDir: join(mesh.dir, 'a'), name: 'a', listen: first }))
      // two separate groups never converge; one mesh does, within a few election rounds
      let statuses: Awaited<ReturnType<typeof statusJson>>[] = []
      const oneLeader = (): boolean => new Set(statuses.map(s => s.leader)).size === 1 && statuses[0]?.leader !== null &&
        statuses.every(s => s.peers.length === 3 && s.peers.filter(p => p.role === 'leader').length === 1)
      try {
        await waitFor('one leader in every status', async () => {
          statuses = await Promise.all(mesh.nodes.map(async n => await statusJson(n.address)))
          return oneLeader()
        }, 60_000)
      } catch {
        assert.unreachable(`leaders seen: ${[...new Set(statuses.map(s => s.leader))].join(', ')}`)
      }
    } finally {
      await mesh.close()
    }
  })
})

election.run()
