import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { corruptWal } from '../node/storage/fixtures/corrupt-wal.ts'
import { LocalMesh, markEntries, raftLogOf, bounded, runMeshflow, statusJson } from './local-mesh.ts'
import { NodeProcess } from './node-process.ts'

const repair = suite('meshflow node with a corrupt disk (processes)')

repair('a follower whose WAL is corrupt refuses to start naming its data dir; with --repair it rejoins as a learner, catches up and votes again, unnoticed by the others', async () => {
  await bounded('disk repair', 150_000, async () => {
    const mesh = await LocalMesh.start(3)
    try {
      const leader = await mesh.agreedLeader(30_000, 3)
      const { term } = leader.state
      const victim = mesh.nodes.find(n => n !== leader)!
      const other = mesh.nodes.find(n => n !== leader && n !== victim)!
      const before = (await markEntries(other.address, Array.from({ length: 40 }, (_, i) => `disk-repair before ${i}`))).at(-1)!.index

      victim.kill('SIGKILL')
      await victim.exited
      const wal = corruptWal(victim.options.dataDir)

      // without --repair: one line naming the data dir and what is damaged, non-zero exit
      const refused = await runMeshflow(['node', '--listen', '/ip4/127.0.0.1/tcp/0', '--no-mdns', '--data-dir', victim.options.dataDir, '--bootstrap', leader.address])
      assert.is.not(refused.code, 0, `exited ${refused.code}: ${refused.stderr}`)
      assert.not.match(refused.stdout, /listening/)
      const line = refused.stderr.trim()
      assert.not.match(line, /\n/, 'one line')
      assert.match(line, `meshflow: The Raft state in ${victim.options.dataDir} is damaged (its write-ahead log cannot be recovered with absolute consistency: `)
      assert.match(line, /: start with --repair to drop it and rejoin as a fresh learner$/)
      assert.ok(wal.startsWith(victim.options.dataDir))

      // with --repair: same identity, a learner first (not voting while it catches up), then a follower
      const repaired = await NodeProcess.start({ ...victim.options, bootstrap: [leader.address], args: ['--repair'] })
      mesh.nodes[mesh.nodes.indexOf(victim)] = repaired
      assert.is(repaired.id, victim.id, 'the identity key survived the repair')
      await repaired.waitFor('a learner line naming the leader', () => repaired.lines.some(l => l.startsWith('role learner') && l.endsWith(`leader ${leader.id}`)), 30_000)
      await repaired.waitFor('following (voting) again', () => repaired.state.role === 'follower' && repaired.state.leader === leader.id, 60_000)
      const after = (await markEntries(repaired.address, Array.from({ length: 5 }, (_, i) => `disk-repair after ${i}`))).at(-1)!.index
      assert.ok(after > before)

      // the others never noticed: same leader, same term, no errors, and status shows the scrub counts
      for (const n of [leader, other]) assert.equal(n.state, { role: n === leader ? 'leader' : 'follower', term, leader: leader.id }, n.name)
      const status = await statusJson(repaired.address)
      assert.is(status.leader, leader.id)
      assert.is(status.term, term)
      assert.is(status.peers.find(p => p.id === repaired.id)?.role, 'follower')
      const self = status.peers.find(p => p.id === repaired.id) as { scrub?: Record<string, unknown> }
      assert.equal(Object.keys(self.scrub ?? {}), ['scanned', 'corrupt', 'repaired', 'unrepairable', 'passes', 'lastPassAt'])

      // stop gracefully: the repaired peer's log is the leader's, up to the last committed entry
      const stops = await Promise.all(mesh.nodes.map(async n => await n.stop()))
      assert.equal(stops.map(s => s.code), [0, 0, 0], mesh.nodes.map(n => `${n.name}: ${n.stderr}`).join('\n'))
      const leaderLog = await raftLogOf(leader.options.dataDir)
      const repairedLog = await raftLogOf(repaired.options.dataDir)
      assert.ok(repairedLog.length >= after, `the repaired log holds ${repairedLog.length} entries, ${after} committed`)
      assert.equal(repairedLog.slice(0, after), leaderLog.slice(0, after))
      // and it opens normally again, without --repair
      const again = await NodeProcess.start({ ...repaired.options, bootstrap: [leader.address], args: [] })
      mesh.nodes[mesh.nodes.indexOf(repaired)] = again
      await again.waitFor('started as a follower or on its own', () => again.state.role !== 'unknown', 30_000)
      assert.is((await again.stop()).code, 0, again.stderr)
    } finally {
      await mesh.close()
    }
  })
})

repair.run()
