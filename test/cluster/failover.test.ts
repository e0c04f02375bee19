import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { join } from 'node:path'
import { MeshClient } from '../../node/cluster/mesh-client.ts'
import { LocalMesh, bounded, markEntries, raftLogOf, statusJson } from './local-mesh.ts'
import { firstTo, sleep, type NodeProcess } from './node-process.ts'

const failover = suite('meshflow node failover (processes)')

async function propose (node: NodeProcess, commands: unknown[]): Promise<{ index: number, term: number }[]> {
  return await markEntries(node.address, commands.map(c => JSON.stringify(c)))
}

failover('SIGKILL of the leader: a new leader, committed entries intact, the killed peer rejoins as a follower with its id', async () => {
  await bounded('failover', 150_000, async () => {
    const mesh = await LocalMesh.start(5)
    try {
      const old = await mesh.agreedLeader(25_000, 5)
      const via = mesh.nodes.find(n => n !== old)!
      const before = Array.from({ length: 10 }, (_, i) => ({ test: 'failover', n: i }))
      const committed = await propose(via, before)
      assert.ok(committed.every((c, i) => i === 0 || c.index > committed[i - 1]!.index), 'indices increase')

      const oldTerm = old.state.term
      const survivors = mesh.nodes.filter(n => n !== old)
      old.kill('SIGKILL')
      // how fast is the failover benchmark's business (npm run bench -- failover)
      const first = await firstTo(survivors, 'a new leader in a higher term',
        n => n.state.leader !== undefined && n.state.leader !== old.id && n.state.term > oldTerm, 30_000)
      await old.exited
      const leader = await mesh.agreedLeader(30_000)
      assert.is(first.state.leader, leader.id)

      // the new leader has every entry committed before: a new command lands after all of them
      const [after] = await propose(survivors.find(n => n !== leader)!, [{ test: 'failover', n: 'after' }])
      assert.ok(after!.index > committed.at(-1)!.index, `index ${after!.index} after ${committed.at(-1)!.index}`)
      assert.ok(after!.term > oldTerm)

      const again = await mesh.restart(old)
      assert.is(again.id, old.id, 'same peer id from the same --data-dir')
      await again.waitFor('following the new leader', () => again.state.role === 'follower' && again.state.leader === leader.id, 30_000)
      const s = await statusJson(again.address)
      assert.is(s.leader, leader.id)
      assert.is(s.peers.find(p => p.id === again.id)?.role, 'follower')
      assert.is(s.peers.length, 5)
      const [last] = await propose(again, [{ test: 'failover', n: 'rejoined' }])
      assert.ok(last!.index > after!.index)

      // stop gracefully, then read every peer's log: each committed command is where it was committed
      const stops = await Promise.all(mesh.nodes.map(async n => await n.stop()))
      assert.equal(stops.map(s => s.code), [0, 0, 0, 0, 0], mesh.nodes.map(n => n.stderr).join('\n'))
      const marker = (c: unknown): unknown => ({ op: 'marker', text: JSON.stringify(c) })
      const expected = [...before.map((c, i) => ({ ...committed[i]!, command: marker(c) })),
        { ...after!, command: marker({ test: 'failover', n: 'after' }) }, { ...last!, command: marker({ test: 'failover', n: 'rejoined' }) }]
      const logs = await Promise.all(mesh.nodes.map(async n => await raftLogOf(n.options.dataDir)))
      let complete = 0
      for (const [i, log] of logs.entries()) {
        for (const e of expected) {
          const entry = log[e.index - 1]
          if (entry === undefined) continue
          assert.equal(entry, { term: e.term, index: e.index, type: 'command', command: e.command }, `${mesh.nodes[i]!.name} index ${e.index}`)
        }
        if (log.length >= last!.index) complete++
      }
      assert.ok(complete >= 3, `a majority holds every committed entry (${complete} of 5)`)
      // log matching: same index and term means the same entry, on every pair of logs
      for (const a of logs) {
        for (const b of logs) {
          for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i]!.term === b[i]!.term) assert.equal(a[i], b[i])
        }
      }
    } finally {
      await mesh.close()
    }
  })
})

// A proposal forwarded to a leader that just died is retried until the new leader is known
// (the dial failed, so the request never reached a leader).
failover('a proposal through a follower just after the leader died waits for the new leader and commits', async () => {
  await bounded('propose during failover', 90_000, async () => {
    const mesh = await LocalMesh.start(3)
    try {
      const old = await mesh.agreedLeader(20_000, 3)
      const via = mesh.nodes.find(n => n !== old)!
      const client = await MeshClient.connect({ mesh: via.address })
      try {
        await client.mark('before')
        old.kill('SIGKILL')
        await old.exited
        await sleep(100) // the leader's connections are gone: a forward can only be refused
        const r = await client.mark('during', { signal: AbortSignal.timeout(30_000) })
        assert.ok(r.term > old.state.term)
      } finally {
        await client.close()
      }
    } finally {
      await mesh.close()
    }
  })
})

failover.run()
