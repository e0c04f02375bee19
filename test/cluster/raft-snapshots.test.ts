/**
 * Raft snapshots across real `meshflow node` processes: with a small snapshot threshold
 * (the hidden MESHFLOW_RAFT_SNAPSHOT_EVERY / _MARGIN knobs), a follower stopped while the
 * log moves past the leader's snapshot comes back, restores its own snapshot, and catches
 * up through InstallSnapshot (its debug log says so, and once the third peer is gone a
 * commit needs its acknowledgement); its store then holds the leader's snapshot and only
 * the tail of the log.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { PeerStore } from '../../node/storage/peer-store.ts'
import { RaftLogStore } from '../../node/storage/raft-log-store.ts'
import { LocalMesh, bounded, markEntries } from './local-mesh.ts'
import { waitFor, type NodeProcess } from './node-process.ts'

const SNAPSHOT_EVERY = 40
const SNAPSHOT_MARGIN = 5
// inherited by the node processes (NodeProcess passes the environment on)
process.env.MESHFLOW_RAFT_SNAPSHOT_EVERY = String(SNAPSHOT_EVERY)
process.env.MESHFLOW_RAFT_SNAPSHOT_MARGIN = String(SNAPSHOT_MARGIN)
process.env.DEBUG = 'meshflow:cluster:raft-node'

const snapshots = suite('meshflow node Raft snapshots (processes)')

/** Commits `n` marker entries through `node` and returns the last one's index. */
async function writeEntries (node: NodeProcess, n: number, tag: string): Promise<number> {
  return (await markEntries(node.address, Array.from({ length: n }, (_, i) => `raft-snapshots ${tag} ${i}`), { timeoutMs: 15_000 })).at(-1)!.index
}

/** The `restored snapshot N` lines of a node's debug log. */
function restoredLines (node: NodeProcess): { index: number, installed: boolean }[] {
  return [...node.stderr.matchAll(/restored snapshot (\d+) \(term \d+, \d+ bytes\)( installed from the leader)?/g)]
    .map(m => ({ index: Number(m[1]), installed: m[2] !== undefined }))
}

async function storedLog (dataDir: string): Promise<{ snapshotIndex: number, first: number, last: number }> {
  const store = await PeerStore.open(dataDir)
  try {
    const { entries, snapshot } = await new RaftLogStore(store).load()
    return { snapshotIndex: snapshot?.meta.index ?? 0, first: entries[0]?.index ?? 0, last: entries.at(-1)?.index ?? 0 }
  } finally {
    await store.close()
  }
}

snapshots('a follower stopped while the log moved past the snapshot catches up through InstallSnapshot', async () => {
  await bounded('raft snapshots', 150_000, async () => {
    const mesh = await LocalMesh.start(3)
    try {
      const leader = await mesh.agreedLeader(30_000, 3)
      const [lagger, other] = mesh.nodes.filter(n => n !== leader) as [NodeProcess, NodeProcess]
      const first = await writeEntries(leader, 2 * SNAPSHOT_EVERY, 'before')
      const stopped = await lagger.stop()
      assert.is(stopped.code, 0, lagger.stderr)
      const before = await storedLog(lagger.options.dataDir)
      assert.ok(before.snapshotIndex >= SNAPSHOT_EVERY, `the follower snapshotted on its own (at ${before.snapshotIndex})`)
      assert.ok(before.first <= before.snapshotIndex + 1 && before.first > 1, `and compacted its log (from ${before.first})`)

      const last = await writeEntries(leader, 3 * SNAPSHOT_EVERY, 'while-stopped')
      assert.ok(last > first)
      const again = await mesh.restart(lagger)
      // on start it restores its own snapshot, then the leader installs a newer one (the
      // debug log is on stderr, which NodeProcess.waitFor does not watch: poll)
      await waitFor('a restore of its own snapshot', () => restoredLines(again).some(l => !l.installed), 30_000)
      assert.is(restoredLines(again).find(l => !l.installed)?.index, before.snapshotIndex)
      await waitFor('InstallSnapshot from the leader', () => restoredLines(again).some(l => l.installed && l.index > before.last), 60_000)
      const installed = restoredLines(again).find(l => l.installed)!

      // without the third peer a commit needs the restarted follower: it has caught up
      await other.stop()
      const final = await writeEntries(leader, 1, 'after')
      assert.ok(final > last)
      const stops = await Promise.all([again.stop(), leader.stop()])
      assert.equal(stops.map(s => s.code), [0, 0], again.stderr)
      const after = await storedLog(again.options.dataDir)
      assert.ok(after.snapshotIndex >= installed.index, `its store holds the installed snapshot (${after.snapshotIndex} >= ${installed.index})`)
      assert.ok(after.last >= final, `and the log up to the final entry (${after.last} >= ${final})`)
      assert.ok(after.first > before.last, `and nothing of its old log (first ${after.first} after ${before.last})`)
    } finally {
      await mesh.close()
    }
  })
})

snapshots.run()
