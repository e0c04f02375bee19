import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SqlSession } from 'meshflow'
import { LocalMesh, runMeshflow } from '../../../cluster/local-mesh.ts'

// A 3-peer mesh of `meshflow node` processes: SQL statements planned by a client and run
// as jobs of the mesh, results read back from the peers that hold them.
const MeshSql = suite('SqlSession.connect')

let mesh: LocalMesh
let files: string

MeshSql.before(async () => {
  mesh = await LocalMesh.start(3)
  await mesh.agreedLeader(60_000, 3)
  files = mkdtempSync(join(tmpdir(), 'meshflow-sql-mesh-'))
  const lines = ['store,amount,qty']
  for (let i = 0; i < 3000; i++) lines.push(`${i % 7 === 0 ? '' : `s${i % 5}`},${i % 11 === 0 ? '' : (i * 0.5).toFixed(1)},${i}`)
  writeFileSync(join(files, 'sales.csv'), lines.join('\n') + '\n')
  const imported = await runMeshflow(['dataset', 'import', 'sales', join(files, 'sales.csv'), '--format', 'csv', '--schema', 'store:string,amount:number,qty:int64', '--partitions', '3', '--mesh', mesh.nodes[1]!.address], { timeoutMs: 120_000 })
  assert.is(imported.code, 0, imported.stderr)
})

MeshSql.after(async () => {
  await mesh?.close()
  if (files !== undefined) rmSync(files, { recursive: true, force: true })
})

MeshSql('runs a grouped, ordered query on the mesh with the rows, types and NULLs the embedded peer gives', async () => {
  const session = await SqlSession.connect({ mesh: mesh.nodes[2]!.address, parallelism: 3 })
  try {
    const r = await session.execute('SELECT store, COUNT(*) AS n, SUM(amount) AS total, MAX(qty) AS top FROM sales GROUP BY store ORDER BY store NULLS FIRST')
    assert.is(r.kind, 'rows')
    if (r.kind !== 'rows') return
    assert.equal(r.columns.map(c => [c.name, c.type]), [['store', 'VARCHAR'], ['n', 'BIGINT'], ['total', 'DOUBLE'], ['top', 'BIGINT']])
    // the expected rows, computed here from the same generator
    const groups = new Map<string | null, { n: bigint, total: number | null, top: bigint }>()
    for (let i = 0; i < 3000; i++) {
      const store = i % 7 === 0 ? null : `s${i % 5}`
      const amount = i % 11 === 0 ? null : Number((i * 0.5).toFixed(1))
      const g = groups.get(store) ?? { n: 0n, total: null, top: -1n }
      g.n++
      if (amount !== null) g.total = (g.total ?? 0) + amount
      if (BigInt(i) > g.top) g.top = BigInt(i)
      groups.set(store, g)
    }
    const expected = [...groups.entries()].sort((a, b) => a[0] === null ? -1 : b[0] === null ? 1 : a[0] < b[0] ? -1 : 1)
    assert.equal(r.rows.map(row => [row[0], row[1], row[3]]), expected.map(([s, g]) => [s, g.n, g.top]))
    r.rows.forEach((row, i) => assert.ok(Math.abs((row[2] as number) - expected[i]![1].total!) < 1e-6, `total of ${String(row[0])}`))
    const datasets = await runMeshflow(['datasets', '--json', '--mesh', mesh.nodes[0]!.address])
    assert.not.ok(datasets.stdout.includes('sql-result-'), 'the result dataset is dropped once read')
  } finally {
    await session.close()
  }
})

MeshSql('writes a dataset with CREATE TABLE AS and appends with INSERT INTO, then reads it back', async () => {
  const session = await SqlSession.connect({ mesh: mesh.nodes[0]!.address })
  try {
    const created = await session.execute('CREATE TABLE big AS SELECT store, amount FROM sales WHERE amount >= 1000')
    const kept = Array.from({ length: 3000 }, (_, i) => i).filter(i => i % 11 !== 0 && i * 0.5 >= 1000)
    assert.equal(created.kind === 'status' ? created.rows : undefined, kept.length)
    const inserted = await session.execute("INSERT INTO big SELECT 'extra', 1.5")
    assert.equal(inserted.kind === 'status' ? inserted.rows : undefined, 1)
    const count = await session.execute("SELECT COUNT(*) AS n, COUNT(DISTINCT store) AS stores FROM big WHERE store IS NOT NULL")
    const withStore = kept.filter(i => i % 7 !== 0).length + 1
    assert.equal(count.kind === 'rows' ? count.rows : undefined, [[BigInt(withStore), 6n]])
  } finally {
    await session.close()
  }
})

MeshSql('joins two datasets on the mesh with the rows a direct count gives', async () => {
  const session = await SqlSession.connect({ mesh: mesh.nodes[1]!.address, parallelism: 3 })
  try {
    await session.execute("CREATE TABLE regions AS SELECT store, CASE WHEN store IN ('s0', 's1') THEN 'north' ELSE 'south' END AS region FROM sales WHERE store IS NOT NULL GROUP BY store")
    const r = await session.execute('SELECT t.region, COUNT(*) AS n, MAX(s.qty) AS top FROM sales s JOIN regions t ON s.store = t.store GROUP BY t.region ORDER BY t.region')
    const expected = { north: { n: 0n, top: -1n }, south: { n: 0n, top: -1n } }
    for (let i = 0; i < 3000; i++) {
      if (i % 7 === 0) continue // no store
      const g = expected[i % 5 < 2 ? 'north' : 'south']
      g.n++
      if (BigInt(i) > g.top) g.top = BigInt(i)
    }
    assert.equal(r.kind === 'rows' ? r.rows : undefined, [['north', expected.north.n, expected.north.top], ['south', expected.south.n, expected.south.top]])
  } finally {
    await session.close()
  }
})

MeshSql('reports a mistake with its position before any job runs', async () => {
  const session = await SqlSession.connect({ mesh: mesh.nodes[1]!.address })
  try {
    await session.execute('SELECT amout FROM sales')
    assert.unreachable('the query ran')
  } catch (err) {
    assert.is((err as Error).name, 'SqlUnknownColumnError')
    assert.is((err as { column: number }).column, 8)
  } finally {
    await session.close()
  }
})

MeshSql.run()
