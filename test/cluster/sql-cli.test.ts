import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { LocalMesh, bounded } from './local-mesh.ts'
import { runCli, type CliResult } from '../cli/spawn-cli.ts'

const test = suite('meshflow sql --mesh')

function ok (r: CliResult, what: string): CliResult {
  assert.is(r.code, 0, `${what}: exit ${String(r.code)}, stderr ${r.stderr}`)
  return r
}

test('runs queries, EXPLAIN and CREATE TABLE AS on a mesh, and shows a SQL error with its caret', async () => {
  await bounded('sql on a mesh', 300_000, async () => {
    const mesh = await LocalMesh.start(2)
    try {
      await mesh.agreedLeader(60_000, 2)
      const [a, b] = mesh.nodes
      let text = 'id,store,amount\n'
      for (let i = 0; i < 1000; i++) text += `${i},s${i % 4},${i % 10 === 0 ? '' : i}\n`
      await writeFile(join(mesh.dir, 'sales.csv'), text)
      ok(await runCli(['dataset', 'import', 'sales', join(mesh.dir, 'sales.csv'), '--format', 'csv', '--mesh', a!.address]), 'import')

      const query = 'SELECT store, COUNT(*) AS n, COUNT(amount) AS priced, SUM(amount) AS total FROM sales GROUP BY store ORDER BY store'
      const table = ok(await runCli(['sql', query, '--mesh', b!.address]), 'table')
      assert.is(table.stdout.replace(/\(\d+\.\d\d s\)/, '(T s)'), [
        'store    n  priced   total',
        's0     250     200  100000',
        's1     250     250  124750',
        's2     250     200  100000',
        's3     250     250  125250',
        '4 rows (T s)',
        ''
      ].join('\n'))
      const json = JSON.parse(ok(await runCli(['sql', query, '--format', 'json'], { MESHFLOW_MESH: a!.address }), 'json').stdout)
      assert.equal(json[0], { store: 's0', n: 250, priced: 200, total: 100000 })

      assert.match(ok(await runCli(['sql', 'EXPLAIN ' + query, '--mesh', a!.address]), 'explain').stdout, /^Logical plan:\n[^]*\n\nPhysical plan:\n/)
      assert.is(ok(await runCli(['sql', "CREATE TABLE s1 AS SELECT id FROM sales WHERE store = 's1'", '--mesh', a!.address]), 'create').stdout, 'Created s1 with 250 rows\n')
      assert.is(ok(await runCli(['sql', 'SELECT COUNT(*) AS n FROM s1', '--format', 'csv', '--mesh', b!.address]), 'query it').stdout, 'n\n250\n')

      const bad = await runCli(['sql', 'SELECT amout FROM sales', '--mesh', b!.address])
      assert.is(bad.code, 2, bad.stderr)
      assert.is(bad.stderr, "meshflow: Unknown column 'amout' at 1:8 — did you mean 'amount'?\nSELECT amout FROM sales\n       ^\n")
    } finally {
      await mesh.close()
    }
  })
})

test.run()
