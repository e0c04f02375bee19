import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { LocalMesh, bounded, until } from './local-mesh.ts'
import { runCli, type CliResult } from '../cli/spawn-cli.ts'
import { duck, lit } from '../connectors/files/duckdb.ts'

const test = suite('meshflow dataset commands (3-peer mesh)')

function ok (r: CliResult, what: string): CliResult {
  assert.is(r.code, 0, `${what}: exit ${String(r.code)}, stderr ${r.stderr}`)
  return r
}

test('imports through one peer, lists and shows from another, exports Parquet DuckDB reads, removes', async () => {
  await bounded('dataset commands on a mesh', 300_000, async () => {
    const mesh = await LocalMesh.start(3)
    try {
      await mesh.agreedLeader(60_000, 3)
      const [a, b, c] = mesh.nodes
      let text = 'id,store,amount\n'
      for (let i = 0; i < 4000; i++) text += `${i},s${i % 5},${i}\n`
      const file = join(mesh.dir, 'sales.csv')
      await writeFile(file, text)

      const imported = ok(await runCli(['dataset', 'import', 'sales', file, '--format', 'csv', '--partition-by', 'store', '--partitions', '4', '-p', '3', '--mesh', a!.address],
        { MESHFLOW_IMPORT_SPLIT_BYTES: '10000' }), 'import')
      assert.match(imported.stdout, /^imported 4000 rows .* into dataset 'sales' version 1: .* stored in 4 partitions/)

      const listed = JSON.parse(ok(await runCli(['datasets', '--json', '--mesh', b!.address]), 'datasets').stdout)
      assert.is(listed.length, 1)
      assert.equal({ ...listed[0], bytes: 0, createdAt: 0 }, { name: 'sales', version: 1, partitions: 4, rows: 4000, bytes: 0, segments: listed[0].segments, versions: 1, createdAt: 0, replicas: { expected: 3, healthy: 4, underReplicated: 0 } })
      const show = JSON.parse(ok(await runCli(['dataset', 'show', 'sales', '--json', '--mesh', c!.address]), 'show').stdout)
      assert.equal(show.partitions.map((p: { holders: unknown[] }) => p.holders.length), [3, 3, 3, 3])
      assert.equal(show.partitions.reduce((n: number, p: { rows: number }) => n + p.rows, 0), 4000)

      const out = join(mesh.dir, 'out')
      ok(await runCli(['dataset', 'export', 'sales', out, '--format', 'parquet', '--mesh', c!.address]), 'export')
      const [agg] = await duck(`SELECT count(*)::INTEGER AS n, sum(amount) AS total FROM read_parquet(${lit(join(out, '*.parquet'))})`)
      assert.equal(agg, { n: 4000, total: 3999 * 4000 / 2 })

      ok(await runCli(['dataset', 'rm', 'sales', '--mesh', b!.address]), 'rm')
      await until('no datasets on the third peer', 30_000, async () => JSON.parse((await runCli(['datasets', '--json', '--mesh', c!.address])).stdout || 'null')?.length === 0)
    } finally {
      await mesh.close()
    }
  })
})

test.run()
