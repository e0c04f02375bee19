// Data locality across `meshflow node` processes (issue 12): a 3-peer mesh keeps two
// copies of each block (MESHFLOW_REPLICAS=2); datasets written by a job are read by scans
// that `jobs --json` shows placed on a replica holder of their partition; a join of two
// datasets partitioned alike runs with each scan pair and join subtask on one peer and
// gives the shuffled join's rows; after a full mesh restart, with the copy of each
// partition's segment on the peer that reads it corrupted on disk, the scan reads around the
// corruption (exact rows) and the corrupt copies are replaced by good ones.
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromString } from '@libp2p/peer-id'
import { LocalMesh, bounded, runMeshflow } from './local-mesh.ts'
import { MeshClient } from '../../node/cluster/mesh-client.ts'
import { createMeshHost, parseMultiaddr } from '../../node/mesh/mesh-host.ts'
import { BlockClient } from '../../node/storage/block-client.ts'
import { PeerStore } from '../../node/storage/peer-store.ts'
import { parseCid } from '../../protocol/cid.ts'
import { decodeDatasetManifest } from '../../node/storage/datasets/dataset-manifest.ts'

process.env.MESHFLOW_REPLICAS = '2'

const test = suite('locality (processes)')
const JOB = 'test/cluster/fixtures/locality-job.ts'
const PARTITIONS = 6

interface TaskJson { vertex: string, subtask: number, peer: string, partitions?: number[], local?: boolean }
interface JobJson { id: string, name: string, state: string, tasks: TaskJson[] }

function readLines (dir: string): string[] {
  if (!existsSync(dir)) return []
  return readdirSync(dir).filter(f => !f.startsWith('.')).flatMap(f => readFileSync(join(dir, f), 'utf8').split('\n').filter(l => l.length > 0)).sort()
}

const canonical = (rows: readonly Record<string, unknown>[]): string[] => rows.map(r => JSON.stringify(r)).sort()
const rowsOf = (n: number, mod: number, col: string): Record<string, unknown>[] => Array.from({ length: n }, (_, i) => ({ k: `k${i % mod}`, [col]: i }))

/** Runs the fixture job on the mesh at parallelism `p`; resolves with its id. */
async function run (via: string, p: number, args: readonly string[]): Promise<string> {
  const r = await runMeshflow(['run', JOB, '--mesh', via, '--parallelism', String(p), '--', ...args], { timeoutMs: 120_000 })
  assert.is(r.code, 0, r.stderr)
  const id = /Job 'locality-job' \((\S+)\) finished/.exec(r.stderr)?.[1]
  assert.ok(id !== undefined, r.stderr)
  return id
}

async function jobJson (via: string, id: string): Promise<JobJson> {
  const r = await runMeshflow(['jobs', '--mesh', via, '--json'])
  assert.is(r.code, 0, r.stderr)
  const job = (JSON.parse(r.stdout) as JobJson[]).find(j => j.id === id)
  assert.ok(job !== undefined, `job ${id} in jobs --json`)
  return job
}

/** Scan tasks of `job`, by partition read (each reads one partition at parallelism = partitions). */
function scans (job: JobJson): Map<string, Map<number, TaskJson>> {
  const out = new Map<string, Map<number, TaskJson>>()
  for (const t of job.tasks) {
    if (t.partitions === undefined) continue
    assert.equal(t.partitions, [t.subtask], `${t.vertex}[${t.subtask}] reads partition ${t.subtask}`)
    const m = out.get(t.vertex) ?? new Map<number, TaskJson>()
    m.set(t.subtask, t)
    out.set(t.vertex, m)
  }
  return out
}

test('scans placed on replica holders, a co-located join, a corrupt replica read around after a full restart', async () => {
  await bounded('locality across processes', 420_000, async () => {
    const mesh = await LocalMesh.start(3, { args: ['--slots', '4'] })
    const host = await createMeshHost({ listen: [], mdns: false, privateKey: await generateKeyPair('Ed25519') })
    const blocks = new BlockClient({ host })
    let client: MeshClient | undefined
    try {
      await mesh.agreedLeader(30_000, 3)
      const via = mesh.nodes[1]!.address
      await run(via, 1, ['--mode', 'write', '--name', 'a', '--rows', '3000', '--mod', '50', '--partitions', String(PARTITIONS), '--col', 'v'])
      await run(via, 1, ['--mode', 'write', '--name', 'b', '--rows', '1200', '--mod', '60', '--partitions', String(PARTITIONS), '--col', 'w'])
      client = await MeshClient.connect({ mesh: via, signal: AbortSignal.timeout(10_000) })
      const shown = await client.showDataset('a')
      const holders = shown.partitions.map(p => new Set(p.holders.map(h => h.peer)))
      for (const [p, h] of holders.entries()) assert.is(h.size, 2, `partition ${p} of a has two copies (R=2), held by ${[...h].join(', ')}`)

      // a scan: each partition read by a task on a peer holding it
      const expectedA = canonical(rowsOf(3000, 50, 'v'))
      const out1 = join(mesh.dir, 'scan-1')
      const scan1 = await jobJson(via, await run(via, PARTITIONS, ['--mode', 'scan', '--name', 'a', '--out', out1]))
      assert.equal(readLines(out1), expectedA)
      const [[, placed]] = [...scans(scan1)] as [[string, Map<number, TaskJson>]]
      assert.is(placed.size, PARTITIONS)
      for (const [p, t] of placed) {
        assert.ok(holders[p]!.has(t.peer), `partition ${p} was read on ${t.peer}, which holds it (holders ${[...holders[p]!].join(', ')})`)
        assert.is(t.local, true)
      }
      assert.ok(new Set([...placed.values()].map(t => t.peer)).size >= 2, 'the scan spread over the holders')

      // a join of a and b (both hash-partitioned on k into 6): no shuffle, one peer per partition
      const colocatedOut = join(mesh.dir, 'join-colocated')
      const shuffledOut = join(mesh.dir, 'join-shuffled')
      const joined = await jobJson(via, await run(via, PARTITIONS, ['--mode', 'join', '--out', colocatedOut]))
      await run(via, PARTITIONS, ['--mode', 'join', '--strategy', 'repartition-hash-second', '--out', shuffledOut])
      const a = rowsOf(3000, 50, 'v') as { k: string, v: number }[]
      const b = rowsOf(1200, 60, 'w') as { k: string, w: number }[]
      const direct = canonical(a.flatMap(x => b.filter(y => y.k === x.k).map(y => ({ k: x.k, v: x.v, w: y.w }))))
      assert.equal(readLines(colocatedOut), direct)
      assert.equal(readLines(shuffledOut), direct)
      const scanVertices = [...scans(joined).values()]
      assert.is(scanVertices.length, 2, 'two scans')
      const joinTasks = joined.tasks.filter(t => t.partitions === undefined && t.vertex.startsWith('join'))
      assert.is(joinTasks.length, PARTITIONS)
      for (const t of joinTasks) {
        assert.equal(scanVertices.map(s => s.get(t.subtask)!.peer), [t.peer, t.peer], `join subtask ${t.subtask} runs with both scans of partition ${t.subtask}`)
      }

      // the segments of a, and their good bytes, before the mesh stops
      for (const node of mesh.nodes) await host.dial(parseMultiaddr(node.address), { signal: AbortSignal.timeout(10_000) })
      const manifestCid = parseCid(shown.versions.at(-1)!.cid)
      const manifest = decodeDatasetManifest((await blocks.get(peerIdFromString([...holders[0]!][0]!), manifestCid, { signal: AbortSignal.timeout(10_000) }))!)
      const good = new Map<string, Uint8Array>()
      for (const [p, segments] of manifest.partitions.entries()) {
        for (const s of segments) {
          const from = [...holders[p]!].find(peer => peer !== placed.get(p)!.peer)!
          good.set(s.cid, (await blocks.get(peerIdFromString(from), parseCid(s.cid), { signal: AbortSignal.timeout(10_000) }))!)
        }
      }

      // a full stop; on the peer that read each partition, its copy of the partition's segments rots
      for (const node of mesh.nodes) node.kill('SIGTERM')
      for (const node of mesh.nodes) await node.exited
      const corrupted: { peer: string, cid: string }[] = []
      for (const node of mesh.nodes) {
        const store = await PeerStore.open(node.options.dataDir)
        try {
          for (const [p, t] of placed) {
            if (t.peer !== node.id) continue
            for (const s of manifest.partitions[p]!) {
              const bytes = Buffer.from(good.get(s.cid)!)
              bytes[bytes.length >> 1] = bytes[bytes.length >> 1]! ^ 0xff
              await store.db.insert('@meshflow/blocks', { cid: Buffer.from(parseCid(s.cid).bytes), data: bytes })
              corrupted.push({ peer: node.id, cid: s.cid })
            }
          }
          await store.db.flush()
        } finally {
          await store.close()
        }
      }
      assert.ok(corrupted.length >= PARTITIONS, 'every partition has a corrupt copy')
      await client.close().catch(() => {})
      client = undefined
      for (const node of [...mesh.nodes]) await mesh.restart(node)
      await mesh.agreedLeader(60_000, 3)
      const again = mesh.nodes[0]!.address

      // the dataset survived the restart, and each scan reads its corrupt local copy's good twin
      const out2 = join(mesh.dir, 'scan-2')
      const scan2 = await jobJson(again, await run(again, PARTITIONS, ['--mode', 'scan', '--name', 'a', '--out', out2]))
      assert.equal(readLines(out2), expectedA, 'exact rows, read around the corrupt copies')
      const [[, placedAgain]] = [...scans(scan2)] as [[string, Map<number, TaskJson>]]
      for (const [p, t] of placedAgain) assert.is(t.peer, placed.get(p)!.peer, `partition ${p} was read again on the peer whose copy rotted`)
      for (const node of mesh.nodes) await host.dial(parseMultiaddr(node.address), { signal: AbortSignal.timeout(10_000) })
      for (const c of corrupted) {
        const now = await blocks.get(peerIdFromString(c.peer), parseCid(c.cid), { signal: AbortSignal.timeout(10_000) })
        assert.equal(now, good.get(c.cid), `the corrupt copy of ${c.cid} on ${c.peer} was replaced by the one read around it`)
      }
    } finally {
      await client?.close().catch(() => {})
      await blocks.stop()
      await host.stop()
      await mesh.close()
    }
  })
})

test.run()
