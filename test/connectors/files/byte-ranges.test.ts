import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { StreamEnvironment } from 'meshflow'
import { fileSource, type FileSplit } from 'meshflow/connectors/files'
import { readAll, readerOf, withTempDir } from './helpers.ts'

const test = suite('fileSource byte ranges')

const schema = { columns: [{ name: 'id', type: 'int64' }, { name: 'store', type: 'string' }, { name: 'amount', type: 'number' }] } as const
type Row = { id: bigint, store: string, amount: number }

function csvText (n: number): string {
  // empty and CRLF lines make line numbers differ from row numbers
  let text = 'id,store,amount\n'
  for (let i = 0; i < n; i++) text += `${i},s${i % 7},${i * 1.5}${i % 50 === 0 ? '\r\n\n' : '\n'}`
  return text
}

/** The 1-based number of the line starting at byte `offset` of `text`. */
function lineAt (text: string, offset: number): number {
  return Buffer.from(text).subarray(0, offset).toString().split('\n').length
}

test('cuts a large CSV file into ranges at line starts, one per subtask, with their line numbers', async () => {
  await withTempDir(async dir => {
    const file = join(dir, 'sales.csv')
    const text = csvText(3000)
    await writeFile(file, text)
    const splits = await fileSource({ path: file, format: 'csv', schema, splitBytes: 1000 }).createSplits(4) as FileSplit[]
    assert.is(splits.length, 4)
    const bytes = Buffer.from(text)
    for (const [i, s] of splits.entries()) {
      assert.ok(s.offset === 0 || bytes[s.offset - 1] === 0x0a, `split ${i} starts at a line start`)
      assert.is(s.line, lineAt(text, s.offset))
      assert.is(s.end, splits[i + 1]?.offset)
    }
    // one subtask, or a file below splitBytes: one split
    assert.is((await fileSource({ path: file, format: 'csv', splitBytes: 1000 }).createSplits(1)).length, 1)
    assert.is((await fileSource({ path: file, format: 'csv' }).createSplits(4)).length, 1)
  })
})

test('reads every row once at parallelism 3, typed by the header every range knows', async () => {
  await withTempDir(async dir => {
    const file = join(dir, 'sales.csv')
    await writeFile(file, csvText(5000))
    const env = StreamEnvironment.create({ parallelism: 3 })
    const out = env.fromSource(fileSource<Row>({ path: file, format: 'csv', schema, splitBytes: 2000 }), undefined, 'sales').collect()
    await env.execute('ranges')
    const ids = out.values.map(r => Number(r.id)).sort((a, b) => a - b)
    assert.equal(ids, Array.from({ length: 5000 }, (_, i) => i))
    assert.equal(out.values.find(r => r.id === 4321n), { id: 4321n, store: `s${4321 % 7}`, amount: 4321 * 1.5 })
  })
})

test('names the file and line of a malformed row in a later range', async () => {
  await withTempDir(async dir => {
    const file = join(dir, 'sales.csv')
    const lines = csvText(4000).split('\n')
    const bad = 3500
    lines[bad - 1] = '3490,s1,not-a-number'
    await writeFile(file, lines.join('\n'))
    const env = StreamEnvironment.create({ parallelism: 4 })
    env.fromSource(fileSource<Row>({ path: file, format: 'csv', schema, splitBytes: 1000 }), undefined, 'sales').collect()
    try {
      await env.execute('malformed-range')
      assert.unreachable('the job should fail')
    } catch (err) {
      assert.ok((err as Error).message.includes(`${file}:${bad}:`), (err as Error).message)
    }
  })
})

test('keeps a CSV file with quotes whole, and cuts JSON Lines whatever they hold', async () => {
  await withTempDir(async dir => {
    const csv = join(dir, 'q.csv')
    await writeFile(csv, csvText(2000) + '1,"a\nb",2\n')
    assert.is((await fileSource({ path: csv, format: 'csv', splitBytes: 1000 }).createSplits(4)).length, 1)
    const jsonl = join(dir, 'q.jsonl')
    await writeFile(jsonl, Array.from({ length: 2000 }, (_, i) => JSON.stringify({ id: i, s: '"q"' })).join('\n'))
    assert.is((await fileSource({ path: jsonl, format: 'jsonl', splitBytes: 1000 }).createSplits(4)).length, 4)
  })
})

test('a range resumes exactly from its snapshot and stops at its end', async () => {
  await withTempDir(async dir => {
    const file = join(dir, 'sales.csv')
    await writeFile(file, csvText(3000))
    const source = fileSource<Row>({ path: file, format: 'csv', schema, splitBytes: 1000, chunkBytes: 100 })
    const splits = await source.createSplits(3) as FileSplit[]
    const middle = splits[1]!
    const whole = readerOf(source)
    whole.addSplits([middle])
    const expected = await readAll(whole, 17)
    await whole.close()
    assert.ok(expected.length > 100)
    for (const cut of [1, 99, expected.length - 1]) {
      const first = readerOf(source)
      first.addSplits([middle])
      const before = await readAll(first, 7, cut)
      const state = JSON.parse(JSON.stringify(first.snapshotSplits())) as FileSplit[]
      await first.close()
      assert.is(state[0]!.end, middle.end)
      const second = readerOf(source)
      second.addSplits(state)
      const after = await readAll(second, 5)
      await second.close()
      assert.equal([...before, ...after], expected, `cut after ${cut}`)
    }
  })
})

test.run()
