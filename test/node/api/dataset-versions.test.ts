/**
 * Dataset versions under concurrent jobs on one (embedded) peer: a job reading version v
 * reads v while other jobs append v+1 … v+6; the version it reads stays in the catalog
 * (pinned) past the retention and the peer's garbage collector keeps its manifest, while
 * it collects an unpinned version that retention let go; once the reader ended its version
 * goes too.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { StreamEnvironment } from '../../../node/index.ts'
import { Peer } from '../../../node/cluster/peer.ts'
import { parseCid } from '../../../protocol/cid.ts'
import { waitFor } from '../cluster/fixtures/peers.ts'

const test = suite('dataset versions (concurrent jobs, GC)')
const JOB = new URL('./fixtures/dataset-versions-job.ts', import.meta.url)

test('a reader of version v sees v while appends commit v+1…; GC keeps what it reads, collects what nobody does', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'meshflow-dataset-versions-'))
  const gateFile = join(dir, 'gate')
  // no grace: a block nothing references is collected at once
  const peer = await Peer.start({ dataDir: join(dir, 'peer'), embedded: true, storage: { gcGraceMs: 0, restampAfterMs: 0 } })
  const catalog = (): ReturnType<typeof peer.jobService.registry.datasets.dataset> => peer.jobService.registry.datasets.dataset('sales')
  const append = async (from: number, count: number): Promise<void> => {
    const h = await peer.submit(JOB, { parallelism: 2, args: { from: String(from), count: String(count) } })
    assert.equal(await h.result(), { state: 'FINISHED', error: undefined }, `append of ${from}..`)
  }
  let reader: Awaited<ReturnType<typeof peer.submit>> | undefined
  try {
    await peer.mark('test')
    await append(0, 1_000)
    const v1 = catalog()!.versions.at(-1)!
    assert.is(v1.version, 1)

    reader = await peer.submit(JOB, { parallelism: 2, args: { mode: 'read', gate: gateFile } })
    await waitFor('the reader pinned version 1', () => peer.jobService.registry.pinnedVersions('sales').has(1))

    await append(1_000, 100)
    const v2 = catalog()!.versions.at(-1)!
    assert.is(v2.version, 2)
    for (let k = 1; k <= 5; k++) await append(1_000 + k * 100, 100)
    const versions = catalog()!.versions.map(v => v.version)
    assert.equal(versions, [1, 3, 4, 5, 6, 7], 'the last 5 and the pinned version 1 are retained; version 2 is not')

    await peer.jobService.collectGarbage()
    assert.ok(await peer.jobService.blocks.has(parseCid(v1.cid)), 'the manifest of the version a running job reads is kept')
    assert.not.ok(await peer.jobService.blocks.has(parseCid(v2.cid)), 'the manifest of a version nobody reads or retains is collected')

    // now the reader lists its splits and reads: version 1, though version 7 is the latest
    writeFileSync(gateFile, '')
    assert.equal(await reader.result(), { state: 'FINISHED', error: undefined })
    reader = undefined
    await waitFor('version 1 released', () => !peer.jobService.registry.pinnedVersions('sales').has(1))
    await waitFor('version 1 leaves the catalog', () => catalog()!.versions[0]!.version === 3)
    await peer.jobService.collectGarbage()
    assert.not.ok(await peer.jobService.blocks.has(parseCid(v1.cid)), 'once no job reads version 1, its manifest is collected')
  } finally {
    if (reader !== undefined) writeFileSync(gateFile, '')
    await peer.stop()
  }
  try {
    const env = StreamEnvironment.create({ parallelism: 2 })
    const seen = env.readDataset<{ id: number }>('seen', { columns: ['id'] }).collect()
    await env.execute('read seen', { dataDir: join(dir, 'peer') })
    assert.equal(seen.values.map(r => r.id).sort((a, b) => a - b), Array.from({ length: 1_000 }, (_, i) => i), 'the reader saw exactly version 1')
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test.run()
