/**
 * How a mesh of `meshflow node` processes founds its Raft group and survives losing it:
 * `--bootstrap-expect` (the first leader can be killed the moment it is elected) and
 * `--force-new-mesh` (the last resort after losing the quorum for good).
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { rmSync } from 'node:fs'
import { LocalMesh, bounded, markEntries, runMeshflow, statusJson, type MeshStatusJson } from './local-mesh.ts'
import { NodeProcess, firstTo, waitFor } from './node-process.ts'

const group = suite('meshflow node Raft group (processes)')

const EXPECT_3 = ['--bootstrap-expect', '3']

interface GroupStatus extends MeshStatusJson {
  group?: string
  voters?: string[]
  warnings?: { code: string, message: string, peers: string[], group?: string }[]
}

const groupStatus = async (node: NodeProcess): Promise<GroupStatus> => await statusJson(node.address) as GroupStatus

/** Commits one marker entry to the mesh's metadata log through the peer at `address`; returns its index. */
async function commitEntry (address: string): Promise<number> {
  return (await markEntries(address, ['raft-group-test'], { timeoutMs: 20_000 }))[0]!.index
}

group('--bootstrap-expect 3: the first leader SIGKILLed as soon as it is elected, the two others elect a new one (3 rounds)', async () => {
  await bounded('3 rounds of killing the first leader', 180_000, async () => {
    for (let round = 1; round <= 3; round++) {
      const mesh = await LocalMesh.start(3, { args: EXPECT_3 })
      try {
        const first = await firstTo(mesh.nodes, 'a first leader', n => n.isLeader, 30_000)
        first.kill('SIGKILL')
        const survivors = mesh.nodes.filter(n => n !== first)
        const next = await firstTo(survivors, `a new leader (round ${round})`, n => n.isLeader && n.state.term > first.state.term, 30_000)
        assert.is.not(next.id, first.id)
        const statuses = await Promise.all(survivors.map(groupStatus))
        for (const s of statuses) {
          // one group, founded with all three voters at once (the dead one is still a voter)
          assert.equal([...s.voters ?? []].sort(), mesh.nodes.map(n => n.id).sort(), `round ${round}`)
          assert.ok(s.group !== undefined && s.group === statuses[0]!.group, `round ${round}: groups ${statuses.map(x => x.group).join(' ')}`)
        }
        assert.ok(statuses[0]!.group!.startsWith([...mesh.nodes.map(n => n.id)].sort()[0]! + '@'), 'the smallest id founded the group')
      } finally {
        await mesh.close()
      }
    }
  })
})

group('--force-new-mesh: 2 of 3 voters gone for good, status says why there is no quorum; the survivor restarts the group alone and a new peer joins it', async () => {
  await bounded('force-new-mesh', 150_000, async () => {
    const mesh = await LocalMesh.start(3, { args: EXPECT_3 })
    try {
      const leader = await mesh.agreedLeader(30_000, 3)
      const before = await commitEntry(leader.address)
      const survivor = mesh.nodes.find(n => n !== leader)!
      const gone = mesh.nodes.filter(n => n !== survivor)
      const oldGroup = (await groupStatus(survivor)).group
      assert.ok(oldGroup !== undefined)
      for (const n of gone) {
        n.kill('SIGKILL')
        await n.exited
        rmSync(n.options.dataDir, { recursive: true, force: true })
      }
      const lost = gone.map(n => n.id).sort()

      let status: GroupStatus | undefined
      await waitFor('status to report no quorum', async () => {
        status = await groupStatus(survivor)
        return status.leader === null && status.warnings?.some(w => w.code === 'no-quorum') === true
      }, 30_000)
      const warning = status!.warnings!.find(w => w.code === 'no-quorum')!
      assert.equal([...warning.peers].sort(), lost)
      assert.match(warning.message, `no quorum: 2 of 3 voters lost (`)
      for (const id of lost) assert.match(warning.message, id)
      const text = await runMeshflow(['status', '--mesh', survivor.address])
      assert.is(text.code, 0, text.stderr)
      assert.match(text.stdout, /^leader none \(no quorum\) {2}term \d+ {2}peers \d+\n/)
      assert.match(text.stdout, /\nwarning: no quorum: 2 of 3 voters lost \(/)

      survivor.kill('SIGKILL')
      await survivor.exited
      const forced = await NodeProcess.start({ ...survivor.options, bootstrap: [], args: ['--force-new-mesh'] })
      mesh.nodes[mesh.nodes.indexOf(survivor)] = forced
      await forced.waitFor('leading the new group', () => forced.isLeader, 30_000)
      const after = await commitEntry(forced.address)
      assert.ok(after > before + 1, `the log was kept: entry ${after} after ${before}`)

      const newcomer = await mesh.add({ bootstrap: [forced.address], args: [] })
      await newcomer.waitFor('promoted to voter', () => newcomer.state.role === 'follower' && newcomer.state.leader === forced.id, 30_000)
      let s: GroupStatus | undefined
      await waitFor('the newcomer in the new group', async () => {
        s = await groupStatus(newcomer)
        return s.group !== undefined
      }, 30_000)
      const leaderView = await groupStatus(forced)
      assert.is(s!.group, leaderView.group)
      assert.is.not(leaderView.group, oldGroup)
      assert.equal([...leaderView.voters ?? []].sort(), [forced.id, newcomer.id].sort())
      assert.is(leaderView.warnings, undefined)
      assert.ok(await commitEntry(newcomer.address) > after)
    } finally {
      await mesh.close()
    }
  })
})

group('--force-new-mesh on an empty data directory is one clear line and exit 1', async () => {
  await bounded('force-new-mesh without a log', 30_000, async () => {
    const mesh = new LocalMesh()
    try {
      const r = await runMeshflow(['node', '--listen', '/ip4/127.0.0.1/tcp/0', '--no-mdns', '--data-dir', `${mesh.dir}/empty`, '--force-new-mesh'])
      assert.is(r.code, 1)
      assert.match(r.stderr, /^meshflow: Cannot --force-new-mesh from .*empty: it holds no Raft log/)
    } finally {
      await mesh.close()
    }
  })
})

group.run()
