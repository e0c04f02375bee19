import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { statSync } from 'node:fs'
import { join } from 'node:path'
import { LocalMesh, bounded, runMeshflow, statusJson } from './local-mesh.ts'
import { NodeProcess, sleep } from './node-process.ts'

const psk = suite('meshflow node --psk (processes)')

psk('a peer with another pre-shared key is refused: it never joins, and status over the wrong key fails', async () => {
  await bounded('psk', 60_000, async () => {
    const mesh = new LocalMesh()
    let intruder: NodeProcess | undefined
    try {
      const key = join(mesh.dir, 'mesh.key')
      const other = join(mesh.dir, 'other.key')
      for (const file of [key, other]) {
        const r = await runMeshflow(['keygen', '--out', file])
        assert.is(r.code, 0, r.stderr)
        assert.is(statSync(file).mode & 0o777, 0o600)
      }
      mesh.options = { psk: key }
      for (let i = 0; i < 3; i++) await mesh.add()
      const leader = await mesh.agreedLeader(20_000, 3)

      intruder = await NodeProcess.start({ dataDir: join(mesh.dir, 'intruder'), psk: other, bootstrap: [mesh.nodes[0]!.address] })
      // the intruder keeps retrying its bootstrap address (every second); give it a few tries
      await sleep(4000)
      assert.ok(intruder.alive, intruder.stderr)
      assert.equal(intruder.lines.filter(l => l.startsWith('peer ')), [], 'the intruder met no peer')
      // alone, it may form a mesh of its own after the bootstrap delay, but never follows ours
      assert.ok(intruder.state.leader === undefined || intruder.state.leader === intruder.id, JSON.stringify(intruder.state))
      for (const n of mesh.nodes) {
        assert.not.ok(n.lines.some(l => l.includes(intruder!.id)), `${n.name} never saw the intruder`)
        const s = await statusJson(n.address, { psk: key })
        assert.is(s.leader, leader.id)
        assert.equal(s.peers.map(p => p.id).sort(), mesh.nodes.map(x => x.id).sort())
      }

      const [wrongKey, noKey, intruderStatus] = await Promise.all([
        runMeshflow(['status', '--mesh', leader.address, '--psk', other]),
        runMeshflow(['status', '--mesh', leader.address]),
        runMeshflow(['status', '--mesh', intruder.address, '--psk', key])
      ])
      for (const r of [wrongKey, noKey, intruderStatus]) {
        assert.is(r.code, 1)
        assert.is(r.stdout, '')
        assert.is(r.stderr.trimEnd().split('\n').length, 1, r.stderr)
        assert.match(r.stderr, /^meshflow: Cannot reach the mesh at \/ip4\/127\.0\.0\.1\/tcp\/\d+\/p2p\/\w+: /)
      }
    } finally {
      intruder?.kill('SIGKILL')
      await intruder?.exited
      await mesh.close()
    }
  })
})

psk.run()
