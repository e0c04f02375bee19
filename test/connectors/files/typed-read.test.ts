/**
 * fileSource typed by a schema: CSV fields and JSON Lines values become the column types,
 * a value that does not convert fails naming file:line, column and value (or goes to the
 * dead-letter output), and what the CSV sink writes reads back typed (property test).
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import * as fc from 'fast-check'
import { readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { StreamEnvironment, OutputTag } from 'meshflow'
import type { DatasetSchema } from '../../../node/api/dataset-schema.ts'
import { fileSink, fileSource, inferCsvSchema, type DeadLetter, type FileSplit } from 'meshflow/connectors/files'
import { readAll, readerOf, withTempDir } from './helpers.ts'

const test = suite('fileSource typed')

const schema: DatasetSchema = {
  columns: [
    { name: 'id', type: 'int64' },
    { name: 'store', type: 'string' },
    { name: 'amount', type: 'number' },
    { name: 'paid', type: 'boolean' },
    { name: 'ts', type: 'timestamp' }
  ]
}

async function read<T> (path: string, options: Parameters<typeof fileSource>[0], sideOutputs: unknown[] = []): Promise<T[]> {
  const source = fileSource<T>({ ...options, path } as Parameters<typeof fileSource>[0] & { format: 'csv' })
  const reader = readerOf(source, sideOutputs)
  reader.addSplits(await source.createSplits(1))
  try {
    return await readAll(reader, 3)
  } finally {
    await reader.close()
  }
}

async function rejection (fn: () => Promise<unknown>): Promise<Error> {
  try {
    await fn()
  } catch (err) {
    return err as Error
  }
  throw new Error('expected a rejection')
}

test('types CSV fields by the schema, finding columns in the header by name', async () => {
  await withTempDir(async dir => {
    const file = join(dir, 'sales.csv')
    await writeFile(file, 'ts,note,amount,store,paid,id\n2024-01-01T00:00:00Z,x,2.5,s1,true,1\n1704067200123,,,"s,2",0,9007199254740993\n')
    const rows = await read(file, { path: file, format: 'csv', schema })
    assert.equal(rows, [
      { id: 1n, store: 's1', amount: 2.5, paid: true, ts: 1704067200000 },
      { id: 9007199254740993n, store: 's,2', amount: null, paid: false, ts: 1704067200123 }
    ])
    assert.equal(Object.keys(rows[0]!), ['id', 'store', 'amount', 'paid', 'ts'], 'the schema\'s columns in its order')
  })
})

test('without a header the fields are the schema\'s columns in order', async () => {
  await withTempDir(async dir => {
    const file = join(dir, 'x.csv')
    await writeFile(file, '7;s;1e2;1;0\n')
    assert.equal(await read(file, { path: file, format: 'csv', schema, csv: { header: false, delimiter: ';' } }), [
      { id: 7n, store: 's', amount: 100, paid: true, ts: 0 }
    ])
  })
})

test('a value that does not convert fails naming file:line, column and value', async () => {
  await withTempDir(async dir => {
    const file = join(dir, 'sales.csv')
    const lines = ['id,store,amount,paid,ts']
    for (let i = 0; i < 1040; i++) lines.push(`${i},s,${i},true,${i}`)
    lines.push('1040,s,abc,true,5')
    await writeFile(file, lines.join('\n') + '\n')
    const err = await rejection(() => read(file, { path: file, format: 'csv', schema }))
    assert.is(err.name, 'InvalidValueError')
    assert.is(err.message, `${file}:1042: column 'amount': 'abc' is not a number`)
    assert.is((err as unknown as { column: string }).column, 'amount')
  })
})

test('a header without a schema column fails at line 1, even with a dead-letter output', async () => {
  await withTempDir(async dir => {
    const file = join(dir, 'x.csv')
    await writeFile(file, 'id,store\n1,a\n')
    const err = await rejection(() => read(file, { path: file, format: 'csv', schema, deadLetter: new OutputTag<DeadLetter>('bad') }))
    assert.is(err.name, 'MalformedRecordError')
    assert.match(err.message, `${file} line 1: The header has no column 'amount'`)
  })
})

test('values that do not convert go to the dead-letter output and reading goes on', async () => {
  await withTempDir(async dir => {
    const file = join(dir, 'x.jsonl')
    await writeFile(file, [
      '{"id":1,"store":"a","amount":1.5,"paid":true,"ts":"2024-01-01"}',
      '{"id":1.5,"store":"b"}',
      '{"id":"3","store":7,"amount":"2","paid":0,"extra":true}',
      '[1]',
      '{"id":4,"ts":"soon"}'
    ].join('\n'))
    const env = StreamEnvironment.create({ parallelism: 1 })
    const bad = new OutputTag<DeadLetter>('bad')
    const rows = env.fromSource(fileSource({ path: file, format: 'jsonl', schema, deadLetter: bad }), undefined, 'typed')
    const out = rows.collect()
    const letters = rows.sideOutput(bad).collect()
    await env.execute('typed-jsonl')
    assert.equal(out.values, [
      { id: 1n, store: 'a', amount: 1.5, paid: true, ts: 1704067200000 },
      { id: 3n, store: '7', amount: 2, paid: false, ts: null }
    ])
    assert.equal(letters.values.map(l => [l.line, l.error]), [
      [2, "column 'id': 1.5 is not an integer"],
      [4, 'Expected a JSON object'],
      [5, "column 'ts': 'soon' is not a timestamp (epoch ms or ISO-8601)"]
    ])
  })
})

test('a reader restored in the middle of a typed CSV file reads the header again and resumes exactly', async () => {
  await withTempDir(async dir => {
    const file = join(dir, 'x.csv')
    const lines = ['amount,id,store,paid,ts']
    for (let i = 0; i < 50; i++) lines.push(`${i / 2},${i},s${i},${i % 2},${i}`)
    await writeFile(file, lines.join('\n'))
    const source = fileSource<{ id: bigint }>({ path: file, format: 'csv', schema, chunkBytes: 16 })
    const first = readerOf(source)
    first.addSplits(await source.createSplits(1))
    const head = await readAll(first, 7, 21)
    const state = JSON.parse(JSON.stringify(first.snapshotSplits())) as FileSplit[]
    await first.close()
    const second = readerOf(source)
    second.addSplits(state)
    const tail = await readAll(second, 5)
    await second.close()
    assert.equal([...head, ...tail].map(r => r.id), Array.from({ length: 50 }, (_, i) => BigInt(i)))
  })
})

test('what the CSV sink writes reads back typed (property)', async () => {
  const row = fc.record({
    id: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
    // an empty string reads back as null (an empty field is null)
    store: fc.option(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 8 }), { nil: null }),
    amount: fc.option(fc.double({ noNaN: true }).map(d => Object.is(d, -0) ? 0 : d), { nil: null }),
    paid: fc.option(fc.boolean(), { nil: null }),
    ts: fc.option(fc.integer({ min: -8.64e15, max: 8.64e15 }), { nil: null })
  }, { noNullPrototype: true })
  await fc.assert(fc.asyncProperty(fc.array(row, { minLength: 1, maxLength: 30 }), fc.constantFrom(',', ';', '\t'), async (rows, delimiter) => {
    await withTempDir(async dir => {
      const env = StreamEnvironment.create({ parallelism: 1 })
      env.fromCollection(rows).sinkTo(fileSink({ path: dir, format: 'csv', csv: { delimiter } }))
      await env.execute('write-csv')
      const [part] = (await readdir(dir)).filter(n => !n.startsWith('.'))
      assert.equal(await read(join(dir, part!), { path: '', format: 'csv', schema, csv: { delimiter } }), rows)
    })
  }), { numRuns: 25 })
})

test('inferCsvSchema infers types from the first lines', async () => {
  await withTempDir(async dir => {
    const file = join(dir, 'x.csv')
    await writeFile(file, 'id,big,price,ok,day,name,empty\n1,9223372036854775807,2.5,true,2024-01-01,a,\n2,1,3,false,2024-01-02T10:00:00Z,"b,c",\n')
    assert.equal(await inferCsvSchema(file), {
      columns: [
        { name: 'id', type: 'number' },
        { name: 'big', type: 'int64' },
        { name: 'price', type: 'number' },
        { name: 'ok', type: 'boolean' },
        { name: 'day', type: 'timestamp' },
        { name: 'name', type: 'string' },
        { name: 'empty', type: 'string' }
      ]
    })
  })
})

test('rejects a schema that is invalid or does not apply', () => {
  assert.throws(() => fileSource({ path: 'x', format: 'csv', schema: { columns: [] } }), /at least one column/)
  assert.throws(() => fileSource({ path: 'x', format: 'csv', schema: { columns: [{ name: 'a', type: 'string' }, { name: 'a', type: 'number' }] } }), /names column 'a' twice/)
  assert.throws(() => fileSource({ path: 'x', format: 'csv', schema: { columns: [{ name: 'a', type: 'date' as 'string' }] } }), /column 'a' has unknown type date/)
  assert.throws(() => fileSource({ path: 'x', format: 'text', schema }), /not text/)
})

test.run()
