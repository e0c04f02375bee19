/**
 * Co-located joins (issue 12, DESIGN §6): a join of dataset scans hash-partitioned on the
 * join key with the partition count the join runs at reads them without a shuffle (no hash
 * edge in the job graph) and gives exactly the shuffled join's rows, inner and outer, with
 * duplicate, missing and null keys. One side partitioned alike skips its shuffle alone;
 * other partitioning, another key, another parallelism or max parallelism keep the shuffle
 * (small sides are not broadcast here: `broadcastMaxRows: 0`).
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { StreamEnvironment } from '../../../node/index.ts'
import { datasetCatalogView, type DatasetCatalogEntries } from '../../../node/api/dataset-catalog-view.ts'
import type { JobGraph } from '../../../node/graph/job-graph.ts'
import type { JoinStrategy } from '../../../node/api/data-set-join.ts'

const colocated = suite('co-located join')

interface A { k: string | null, v: number }
interface B { k: string | null, w: number }
const SCHEMA_A = { columns: [{ name: 'k', type: 'string' as const }, { name: 'v', type: 'number' as const }] }
const SCHEMA_B = { columns: [{ name: 'k', type: 'string' as const }, { name: 'w', type: 'number' as const }] }
const rowsA: A[] = Array.from({ length: 400 }, (_, i) => ({ k: i % 37 === 0 ? null : `k${i % 41}`, v: i }))
const rowsB: B[] = Array.from({ length: 150 }, (_, i) => ({ k: i % 29 === 0 ? null : `k${(i * 7) % 53}`, w: i }))

let dir = ''
colocated.before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'meshflow-colocated-'))
  const env = StreamEnvironment.create({ parallelism: 2 })
  env.fromCollection(rowsA).toDataSet().writeDataset('a', { partitionBy: 'k', partitions: 4, schema: SCHEMA_A })
  env.fromCollection(rowsB).toDataSet().writeDataset('b', { partitionBy: 'k', partitions: 4, schema: SCHEMA_B })
  env.fromCollection(rowsB).toDataSet().writeDataset('b3', { partitionBy: 'k', partitions: 3, schema: SCHEMA_B })
  await env.execute('write', { dataDir: dir })
})
colocated.after(() => { rmSync(dir, { recursive: true, force: true }) })

/** What the JobManager resolves for these datasets (job-dataset-view.ts), for a build in this process. */
const ENTRIES: DatasetCatalogEntries = {
  a: { schema: SCHEMA_A, rows: rowsA.length, partitioning: { kind: 'hash', column: 'k', partitions: 4 } },
  b: { schema: SCHEMA_B, rows: rowsB.length, partitioning: { kind: 'hash', column: 'k', partitions: 4 } },
  b3: { schema: SCHEMA_B, rows: rowsB.length, partitioning: { kind: 'hash', column: 'k', partitions: 3 } }
}

type Kind = 'join' | 'leftOuterJoin' | 'rightOuterJoin' | 'fullOuterJoin'

function build (options: { kind?: Kind, right?: string, parallelism?: number, maxParallelism?: number, strategy?: JoinStrategy } = {}): { env: StreamEnvironment, out: { values: unknown[] } } {
  const env = StreamEnvironment.create({ parallelism: options.parallelism ?? 4, ...(options.maxParallelism === undefined ? {} : { maxParallelism: options.maxParallelism }) })
  env.attachDatasetCatalog(datasetCatalogView(ENTRIES, true))
  const left = env.readDataset<A>('a')
  const right = env.readDataset<B>(options.right ?? 'b')
  const out = left[options.kind ?? 'join'](right, options.strategy === undefined ? { broadcastMaxRows: 0 } : { strategy: options.strategy }).where('k').equalTo('k')
    .with((x: A | null, y: B | null) => ({ k: x?.k ?? y?.k ?? null, v: x?.v ?? null, w: y?.w ?? null })).collect()
  return { env, out }
}

const hashEdges = (g: JobGraph): number => g.vertices.flatMap(v => v.inputs).filter(e => e.partition === 'hash').length
const sorted = (rows: readonly unknown[]): string[] => rows.map(r => JSON.stringify(r)).sort()

function direct (kind: Kind): string[] {
  const match = (x: A, y: B): boolean => x.k !== null && x.k === y.k
  const out: unknown[] = []
  for (const x of rowsA) {
    const ys = rowsB.filter(y => match(x, y))
    for (const y of ys) out.push({ k: x.k, v: x.v, w: y.w })
    if (ys.length === 0 && (kind === 'leftOuterJoin' || kind === 'fullOuterJoin')) out.push({ k: x.k, v: x.v, w: null })
  }
  if (kind === 'rightOuterJoin' || kind === 'fullOuterJoin') {
    for (const y of rowsB) if (!rowsA.some(x => match(x, y))) out.push({ k: y.k, v: null, w: y.w })
  }
  return sorted(out)
}

for (const kind of ['join', 'leftOuterJoin', 'rightOuterJoin', 'fullOuterJoin'] as const) {
  colocated(`${kind} of datasets partitioned alike has no hash edge and gives the shuffled join's rows`, async () => {
    const co = build({ kind })
    const graph = co.env.getJobGraph()
    assert.is(hashEdges(graph), 0)
    const joinVertex = graph.vertices.find(v => v.inputs.length === 2)!
    assert.equal(joinVertex.inputs.map(e => [e.partition, e.from.parallelism, e.to.parallelism]), [['forward', 4, 4], ['forward', 4, 4]])
    await co.env.execute('co-located', { dataDir: dir })
    const shuffled = build({ kind, strategy: 'repartition-hash-second' })
    assert.is(hashEdges(shuffled.env.getJobGraph()), 2)
    await shuffled.env.execute('shuffled', { dataDir: dir })
    assert.equal(sorted(co.out.values), sorted(shuffled.out.values))
    assert.equal(sorted(co.out.values), direct(kind))
  })
}

colocated('one side partitioned alike skips its shuffle alone; the rows are the same', async () => {
  const one = build({ right: 'b3' })
  const graph = one.env.getJobGraph()
  const joinVertex = graph.vertices.find(v => v.inputs.length === 2)!
  assert.equal(joinVertex.inputs.map(e => e.partition).sort(), ['forward', 'hash'])
  await one.env.execute('one side', { dataDir: dir })
  assert.equal(sorted(one.out.values), direct('join'))
})

colocated('another parallelism, max parallelism or key keeps the shuffle', () => {
  assert.is(hashEdges(build({ parallelism: 2 }).env.getJobGraph()), 2)
  assert.is(hashEdges(build({ maxParallelism: 64 }).env.getJobGraph()), 2)
  const env = StreamEnvironment.create({ parallelism: 4 })
  env.attachDatasetCatalog(datasetCatalogView(ENTRIES, true))
  env.readDataset<A>('a').join(env.readDataset<B>('b'), { broadcastMaxRows: 0 }).where('v').equalTo('w').with((x, y) => [x, y]).collect()
  assert.is(hashEdges(env.getJobGraph()), 2)
})

colocated('a co-located join whose parallelism is changed afterwards fails the build naming it', () => {
  const env = StreamEnvironment.create({ parallelism: 4 })
  env.attachDatasetCatalog(datasetCatalogView(ENTRIES, true))
  env.readDataset<A>('a').join(env.readDataset<B>('b')).where('k').equalTo('k').with((x, y) => [x, y]).setParallelism(2).collect()
  assert.throws(() => env.getJobGraph(), /join reads dataset partitions where they are, at parallelism 4, but 'join' was set to 2: keep 4 or pass the strategy 'repartition-hash-second'/)
})

colocated.run()
