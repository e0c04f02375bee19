/**
 * A peer whose own event loop stalls for longer than an election timeout (as under a long GC
 * pause or a starved CPU) must not cost the mesh its leader: real `meshflow node` processes,
 * each stalled for real (fixtures/stall-on-signal.ts blocks the loop on SIGUSR2).
 *
 * What the tests wait for is something that happens after the stall and the peer's doubt
 * window: the stalled process reports that its loop ran normally for a while since, and a
 * marker entry then commits. Terms never go back, so a marker committed in the term from
 * before the stall shows no election won meanwhile.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { fileURLToPath } from 'node:url'
import { LocalMesh, bounded, markEntries } from './local-mesh.ts'
import type { NodeProcess } from './node-process.ts'

const stall = suite('meshflow node with a stalled event loop (processes)')

const STALL_FIXTURE = fileURLToPath(new URL('./fixtures/stall-on-signal.ts', import.meta.url))
/** 2.5 s: 2.5 to 5 election timeouts at the default 50 ms ticks (500–1000 ms). */
const STALL_MS = 2500

async function stallable (): Promise<LocalMesh> {
  process.env.MESHFLOW_TEST_STALL_MS = String(STALL_MS)
  const mesh = new LocalMesh()
  try {
    for (let i = 0; i < 3; i++) await mesh.add({ nodeArgs: ['--import', STALL_FIXTURE] })
  } catch (err) {
    await mesh.close()
    throw err
  }
  return mesh
}

/** Stalls each of `nodes` at once and waits until each has run normally for a while after. */
async function stallAndSettle (nodes: readonly NodeProcess[]): Promise<void> {
  const count = (n: NodeProcess): number => n.lines.filter(l => l.startsWith('settled ')).length
  const before = nodes.map(count)
  for (const n of nodes) n.kill('SIGUSR2')
  await Promise.all(nodes.map(async (n, i) => {
    await n.waitFor('its stall to end and its loop to run on', () => count(n) > before[i]!, 60_000)
  }))
}

/** How many lines each node printed so far. */
function linesSoFar (mesh: LocalMesh): number[] {
  return mesh.nodes.map(n => n.lines.length)
}

/**
 * Every node follows `leader` in `term`, and since `from` (linesSoFar) none printed a
 * `role candidate` line, which a pre-vote prints too: not even a pre-vote disturbed it.
 */
function assertNoElection (mesh: LocalMesh, leader: NodeProcess, term: number, from: readonly number[]): void {
  for (const [i, n] of mesh.nodes.entries()) {
    assert.is(n.state.term, term, `${n.name}'s term`)
    assert.is(n.state.leader, leader.id, `${n.name}'s leader`)
    const since = n.lines.slice(from[i])
    assert.not.ok(since.some(l => l.startsWith('role ')), `${n.name} changed its role after the stall:\n${since.join('\n')}`)
  }
}

stall('a follower whose loop stalls for several election timeouts changes neither leader nor term', async () => {
  await bounded('follower stall', 120_000, async () => {
    const mesh = await stallable()
    try {
      const leader = await mesh.agreedLeader(30_000, 3)
      const term = leader.state.term
      const [before] = await markEntries(leader.address, ['before the stall'], { timeoutMs: 30_000 })
      assert.is(before!.term, term)
      const follower = mesh.nodes.find(n => n !== leader)!
      const from = linesSoFar(mesh)
      await stallAndSettle([follower])
      // through the stalled follower, which forwards it to the leader it still follows
      const [after] = await markEntries(follower.address, ['after the stall'], { timeoutMs: 30_000 })
      assert.is(after!.term, term, 'committed in the term from before the stall')
      assert.ok(after!.index > before!.index)
      assertNoElection(mesh, leader, term, from)
    } finally {
      await mesh.close()
    }
  })
})

stall('when every peer\'s loop stalls at once (a starved machine) the leader keeps leading in its term', async () => {
  await bounded('stall of every peer', 120_000, async () => {
    const mesh = await stallable()
    try {
      const leader = await mesh.agreedLeader(30_000, 3)
      const term = leader.state.term
      await markEntries(leader.address, ['before the stall'], { timeoutMs: 30_000 })
      const from = linesSoFar(mesh)
      await stallAndSettle(mesh.nodes)
      const [after] = await markEntries(leader.address, ['after the stall'], { timeoutMs: 30_000 })
      assert.is(after!.term, term, 'committed in the term from before the stall')
      assertNoElection(mesh, leader, term, from)
    } finally {
      await mesh.close()
    }
  })
})

stall.run()
