import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { formatDatasets, humanBytes, replicaHealth } from '../../node/cli/format-datasets.ts'
import { ImportProgress } from '../../node/cli/import-progress.ts'
import { parseSchemaFlag } from '../../node/cli/dataset-command-line.ts'
import type { DatasetDetail } from '../../protocol/client-datasets.ts'

const test = suite('dataset command output')

function detail (partitions: DatasetDetail['partitions']): DatasetDetail {
  return {
    name: 'sales', version: 1, schema: { columns: [{ name: 'a', type: 'number' }] }, partitioning: { kind: 'round-robin', partitions: partitions.length },
    rows: 0, bytes: 0, createdAt: 0, versions: [], partitions
  }
}

test('replicaHealth counts partitions whose segments have the expected copies', () => {
  const h = (peer: string, segments: number): { peer: string, segments: number, bytes: number } => ({ peer, segments, bytes: segments * 10 })
  const d = detail([
    { partition: 0, segments: 2, rows: 2, bytes: 20, holders: [h('a', 2), h('b', 2), h('c', 2)] },
    { partition: 1, segments: 2, rows: 2, bytes: 20, holders: [h('a', 2), h('b', 2), h('c', 1)] },
    { partition: 2, segments: 1, rows: 1, bytes: 10, holders: [h('a', 1), h('b', 1)] },
    { partition: 3, segments: 0, rows: 0, bytes: 0, holders: [] }
  ])
  assert.equal(replicaHealth(d, 3), { expected: 3, healthy: 2, underReplicated: 2 })
  assert.equal(replicaHealth(d, 2), { expected: 2, healthy: 4, underReplicated: 0 })
  const info = { name: 'sales', version: 1, cid: 'bafkqaaa', partitions: 4, rows: 5, bytes: 1500, segments: 5, versions: 1, createdAt: 0 }
  assert.match(formatDatasets([{ info, replicas: replicaHealth(d, 3) }], false), /sales\s+1\s+4\s+5\s+1\.5 kB\s+2\/4 under 3x/)
  assert.is(formatDatasets([], false), 'no datasets\n')
  assert.is(humanBytes(999), '999 B')
})

test('ImportProgress draws a bar of the bytes read since its start, only on a terminal', () => {
  let now = 0
  let read = 1000
  const written: string[] = []
  const stream = Object.assign(Object.create(null), { isTTY: true, write: (s: string) => { written.push(s); return true } }) as NodeJS.WritableStream & { isTTY: boolean }
  const bar = new ImportProgress({ stream, label: 'importing sales', totalBytes: 4000, measureBytes: () => read, now: () => now })
  bar.start()
  now = 2000
  read = 3000
  assert.is(bar.line(), 'importing sales  [###############...............] 50%  2.0 kB / 4.0 kB  1.0 kB/s  2.0 s')
  bar.stop()
  assert.is(written.at(-1), '\r\x1b[K')
  const quiet = new ImportProgress({ stream: { ...stream, isTTY: false } as typeof stream, label: 'x', totalBytes: 1 })
  assert.is(quiet.enabled, false)
})

test('parseSchemaFlag reads col:type pairs', () => {
  assert.equal(parseSchemaFlag('store:string, amount:number,ts:timestamp'), { columns: [{ name: 'store', type: 'string' }, { name: 'amount', type: 'number' }, { name: 'ts', type: 'timestamp' }] })
  assert.throws(() => parseSchemaFlag('a:number,a:string'), /names column 'a' twice/)
})

test.run()
