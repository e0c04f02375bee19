/**
 * The vectorized SQL scan gives what the row path gives on the same data: rows written with
 * the DataSet API (nulls, two versions so several segments per partition, 3 partitions),
 * read by sqlScanSource in a job, compared with the bound expressions compiled over the
 * rows themselves. Then its reader alone over segments in memory: pruning by statistics
 * skips segments before they are read, and a restore from a snapshot taken mid-scan neither
 * loses nor doubles rows (emitting rows, and emitting partials).
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { StreamEnvironment } from '../../../../node/index.ts'
import type { DatasetAccess } from '../../../../node/api/dataset-access.ts'
import type { DatasetSchema, Predicate } from '../../../../node/api/dataset-schema.ts'
import type { SourceReaderContext } from '../../../../node/api/source.ts'
import { groupKey } from '../../../../node/api/data-set-keys.ts'
import { encodeSegment } from '../../../../node/storage/datasets/segment-codec.ts'
import type { DatasetManifest } from '../../../../node/storage/datasets/dataset-types.ts'
import { call, constant, input, type AggregateCall, type BoundExpr } from '../../../../node/sql/bound-expression.ts'
import { sqlScanSource, type SqlScanInit } from '../../../../node/sql/exec/sql-scan-source.ts'
import { sqlAggregateCombiner } from '../../../../node/sql/exec/sql-aggregates.ts'
import { compileRowPredicate, compileRowProjection } from '../../../../node/sql/exec/compile-expression.ts'

const test = suite('sqlScanSource')

interface Sale { id: number, store: string | null, amount: number | null, qty: bigint, ok: boolean | null, day: number }
const COLUMNS = ['id', 'store', 'amount', 'qty', 'ok', 'day'] as const
const schema: DatasetSchema = { columns: [{ name: 'id', type: 'number' }, { name: 'store', type: 'string' }, { name: 'amount', type: 'number' }, { name: 'qty', type: 'int64' }, { name: 'ok', type: 'boolean' }, { name: 'day', type: 'timestamp' }] }

function sales (from: number, n: number): Sale[] {
  return Array.from({ length: n }, (_, k) => {
    const i = from + k
    return { id: i, store: i % 11 === 0 ? null : `s${i % 7}`, amount: i % 9 === 0 ? null : (i % 100) + 0.25, qty: BigInt(i % 13), ok: i % 17 === 0 ? null : i % 3 === 0, day: Date.UTC(2020, 0, 1) + Math.floor(i / 100) * 86_400_000 }
  })
}
const asRow = (s: Sale): unknown[] => COLUMNS.map(c => s[c])

// expressions over the read columns [store, amount, qty, ok, day]
const store = input(0, 'VARCHAR', true)
const amount = input(1, 'DOUBLE', true)
const qty = input(2, 'BIGINT', true)
const ok = input(3, 'BOOLEAN', true)
const day = input(4, 'TIMESTAMP', true)
const READ = ['store', 'amount', 'qty', 'ok', 'day']
const toRead = (s: Sale): unknown[] => [s.store, s.amount, s.qty, s.ok, s.day]
const filter = call('and', [
  call('ne', [store, constant('s3', 'VARCHAR')], 'BOOLEAN'),
  call('or', [call('gt', [amount, constant(40, 'DOUBLE')], 'BOOLEAN'), call('is_null', [amount], 'BOOLEAN', false)], 'BOOLEAN')
], 'BOOLEAN')
const outputs: BoundExpr[] = [store, call('mul', [amount, call('sub', [constant(1, 'DOUBLE'), constant(0.5, 'DOUBLE')], 'DOUBLE')], 'DOUBLE'), call('add', [qty, constant(1n, 'BIGINT')], 'BIGINT'), call('year', [day], 'BIGINT'), call('upper', [store], 'VARCHAR')]
const aggregates: AggregateCall[] = [
  { fn: 'count_star', arg: undefined, distinct: false, type: 'BIGINT' },
  { fn: 'sum', arg: amount, distinct: false, type: 'DOUBLE' },
  { fn: 'sum', arg: qty, distinct: false, type: 'BIGINT' },
  { fn: 'avg', arg: amount, distinct: false, type: 'DOUBLE' },
  { fn: 'min', arg: store, distinct: false, type: 'VARCHAR' },
  { fn: 'max', arg: day, distinct: false, type: 'TIMESTAMP' },
  { fn: 'count', arg: qty, distinct: true, type: 'BIGINT' }
]

const json = (rows: readonly unknown[]): string[] => rows.map(r => JSON.stringify(r, (_k, v) => typeof v === 'bigint' ? `${v}n` : v)).sort()
/** Floating sums differ in the last bits with the order of addition. */
const rounded = (rows: readonly unknown[]): string[] => json(rows.map(r => (r as unknown[]).map(v => typeof v === 'number' ? Math.round(v * 1e6) / 1e6 : v)))

/** Partials merged per key and turned into result rows, as FinalAggregateOperator does. */
function finish (partials: readonly unknown[], groupBy: readonly BoundExpr[]): unknown[] {
  const { combiner } = sqlAggregateCombiner(groupBy, aggregates)
  const groups = new Map<unknown, [unknown, unknown]>()
  for (const p of partials as [unknown, unknown][]) {
    const k = groupBy.length === 0 ? 0 : groupKey(p[0])
    const held = groups.get(k)
    if (held === undefined) groups.set(k, [p[0], p[1]])
    else held[1] = combiner.merge(held[1], p[1])
  }
  if (groupBy.length === 0 && groups.size === 0) return [combiner.empty!()]
  return [...groups.values()].map(([k, acc]) => combiner.result(k, acc))
}

/** The row path: the same filter, projection and aggregates compiled over the rows. */
function reference (rows: readonly unknown[][], groupBy?: readonly BoundExpr[]): unknown[] {
  const keep = compileRowPredicate(filter)
  const kept = rows.filter(r => keep(r))
  if (groupBy === undefined) return kept.map(compileRowProjection(outputs))
  const { key, combiner } = sqlAggregateCombiner(groupBy, aggregates)
  const partials = kept.map(r => [key?.(r), combiner.first(r)])
  return finish(partials, groupBy)
}

let dir = ''
test.before.each(() => { dir = mkdtempSync(join(tmpdir(), 'meshflow-sql-scan-')) })
test.after.each(() => { rmSync(dir, { recursive: true, force: true }) })

async function write (rows: Sale[], mode: 'append' | 'overwrite'): Promise<void> {
  const env = StreamEnvironment.create({ parallelism: 2 })
  env.fromCollection(rows).toDataSet().writeDataset('sales', { mode, schema, partitionBy: 'id', partitions: 3 })
  await env.execute('write sales', { dataDir: dir })
}

async function scan (init: Omit<SqlScanInit, 'dataset' | 'columns'>, parallelism: number): Promise<unknown[]> {
  const env = StreamEnvironment.create({ parallelism })
  const out = env.fromSource(sqlScanSource({ dataset: 'sales', columns: READ, ...init })).collect()
  await env.execute('sql scan', { dataDir: dir })
  return out.values
}

test('rows: the filter and projection over the columns equal the row path, at parallelism 1 and 3', async () => {
  const all = [...sales(0, 3_000), ...sales(3_000, 1_500)]
  await write(all.slice(0, 3_000), 'overwrite')
  await write(all.slice(3_000), 'append')
  const expected = reference(all.map(toRead))
  assert.ok(expected.length > 1_000 && expected.length < all.length, 'the filter keeps some rows')
  for (const p of [1, 3]) assert.equal(json(await scan({ filter, outputs }, p)), json(expected), `parallelism ${p}`)
  // no filter, no outputs: the columns as read
  assert.equal(json(await scan({}, 2)), json(all.map(toRead)))
})

test('partials: every key shape merged after the scan equals the row path\'s groups', async () => {
  const all = [...sales(0, 2_500), ...sales(2_500, 2_500)]
  await write(all.slice(0, 2_500), 'overwrite')
  await write(all.slice(2_500), 'append')
  const shapes: BoundExpr[][] = [[], [store], [store, ok], [qty], [call('year', [day], 'BIGINT'), store], [call('mod', [qty, constant(4n, 'BIGINT')], 'BIGINT')]]
  for (const groupBy of shapes) {
    const partials = await scan({ filter, aggregate: { groupBy, aggregates } }, 2)
    const got = finish(partials, groupBy)
    assert.equal(rounded(got), rounded(reference(all.map(toRead), groupBy)), `group by ${groupBy.length} keys`)
  }
})

test('partials: a whole-set aggregate over no rows is one row of count 0 and NULLs', async () => {
  await write(sales(0, 500), 'overwrite')
  const none = call('gt', [amount, constant(1e9, 'DOUBLE')], 'BOOLEAN')
  const partials = await scan({ filter: none, predicate: { op: '>', column: 'amount', value: 1e9 }, aggregate: { groupBy: [], aggregates } }, 2)
  assert.equal(partials, [])
  assert.equal(finish(partials, []), [[0n, null, null, null, null, null, 0n]])
})

// --- the reader alone, over segments held in memory ---------------------------------------

/** Datasets in memory: one manifest, segments by CID, counting reads. */
class MemoryDatasets implements DatasetAccess {
  readonly reads: string[] = []
  readonly #segments = new Map<string, Uint8Array>()
  readonly #manifest: DatasetManifest

  constructor (partitions: readonly (readonly Sale[][])[]) {
    this.#manifest = {
      type: 'meshflow-dataset',
      name: 'sales',
      version: 1,
      schema,
      partitioning: { kind: 'round-robin', partitions: partitions.length },
      createdAt: 0,
      partitions: partitions.map((segments, p) => segments.map((rows, s) => {
        const e = encodeSegment(schema, rows)
        const cid = `p${p}s${s}`
        this.#segments.set(cid, e.bytes)
        return { cid, rows: e.rows, bytes: e.bytes.byteLength, stats: e.stats }
      }))
    }
  }

  async manifest (): Promise<DatasetManifest> { return this.#manifest }
  async readSegment (cid: string): Promise<Uint8Array> {
    this.reads.push(cid)
    return this.#segments.get(cid)!
  }

  async writeSegment (): Promise<string> { throw new Error('read only') }
  async commit (): Promise<never> { throw new Error('read only') }
}

const context = (datasets: DatasetAccess): SourceReaderContext => ({ subtaskIndex: 0, parallelism: 1, signal: new AbortController().signal, datasets, output: () => {} })

/** 2 partitions of 5 segments of 400 rows, ids ascending. */
const memory = (): { datasets: MemoryDatasets, rows: Sale[] } => {
  const rows = sales(0, 4_000)
  const parts = [0, 1].map(p => [0, 1, 2, 3, 4].map(s => rows.slice((p * 5 + s) * 400, (p * 5 + s + 1) * 400)))
  return { datasets: new MemoryDatasets(parts), rows }
}

async function drain (reader: { pollNext: (max: number) => unknown[] | null | Promise<unknown[] | null> }, max: number, limit = Infinity): Promise<unknown[]> {
  const out: unknown[] = []
  let polls = 0
  while (polls++ < limit) {
    const batch = await reader.pollNext(max)
    if (batch === null) break
    out.push(...batch)
  }
  return out
}

test('pruning: a predicate on the id range reads only the segments that may match', async () => {
  const { datasets, rows } = memory()
  const idIn = call('and', [call('ge', [input(0, 'DOUBLE', true), constant(1_000, 'DOUBLE')], 'BOOLEAN'), call('lt', [input(0, 'DOUBLE', true), constant(1_200, 'DOUBLE')], 'BOOLEAN')], 'BOOLEAN')
  const predicate: Predicate = { op: 'and', args: [{ op: '>=', column: 'id', value: 1_000 }, { op: '<', column: 'id', value: 1_200 }] }
  const source = sqlScanSource({ dataset: 'sales', columns: ['id', 'store'], predicate, filter: idIn })
  const splits = await source.createSplits(1, { datasets })
  assert.equal(splits.map(s => s.segments), [['p0s2'], []])
  const reader = source.createReader(context(datasets))
  reader.addSplits(splits)
  const got = await drain(reader, 64)
  assert.equal(datasets.reads, ['p0s2'])
  assert.equal(json(got), json(rows.slice(1_000, 1_200).map(r => [r.id, r.store])))
})

test('restore: a snapshot taken mid-scan resumes without losing or doubling rows or partials', async () => {
  const { datasets, rows } = memory()
  const f = call('or', [call('is_null', [input(1, 'VARCHAR', true)], 'BOOLEAN', false), call('ne', [input(1, 'VARCHAR', true), constant('s2', 'VARCHAR')], 'BOOLEAN')], 'BOOLEAN')
  const expectedRows = rows.filter(r => r.store !== 's2').map(r => [r.id, r.store])
  for (const [polls, max] of [[1, 100], [3, 100], [7, 150], [12, 333]] as const) {
    const source = sqlScanSource({ dataset: 'sales', columns: ['id', 'store'], filter: f })
    const first = source.createReader(context(datasets))
    first.addSplits(await source.createSplits(1, { datasets }))
    const before = await drain(first, max, polls)
    const snapshot = structuredClone(first.snapshotSplits())
    const second = source.createReader(context(datasets))
    second.addSplits(snapshot)
    const after = await drain(second, max)
    assert.equal(json([...before, ...after]), json(expectedRows), `rows after ${polls} polls of ${max}`)
  }
  // partials: maxKeys small so partials go out between segments
  const groupBy = [input(0, 'DOUBLE', true)]
  const aggs: AggregateCall[] = [{ fn: 'count_star', arg: undefined, distinct: false, type: 'BIGINT' }]
  for (const polls of [1, 2, 5, 9]) {
    const source = sqlScanSource({ dataset: 'sales', columns: ['id', 'store'], filter: f, aggregate: { groupBy, aggregates: aggs }, maxKeys: 500 })
    const first = source.createReader(context(datasets))
    first.addSplits(await source.createSplits(1, { datasets }))
    const before = await drain(first, 256, polls)
    const second = source.createReader(context(datasets))
    second.addSplits(structuredClone(first.snapshotSplits()))
    const after = await drain(second, 256)
    const counts = new Map<unknown, bigint>()
    // what the restored job emits is the partials after the snapshot; those before it were emitted before the checkpoint
    for (const [k, acc] of [...before, ...after] as [unknown, unknown[]][]) counts.set(k, (counts.get(k) ?? 0n) + BigInt(acc[0] as number))
    assert.is(counts.size, expectedRows.length, `partials after ${polls} polls`)
    assert.ok([...counts.values()].every(n => n === 1n), `each row counted once after ${polls} polls`)
  }
})

test.run()
