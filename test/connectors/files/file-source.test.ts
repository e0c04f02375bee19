import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { StreamEnvironment, OutputTag } from 'meshflow'
import { fileSource, listInputFiles, type DeadLetter, type FileSplit } from 'meshflow/connectors/files'
import { readAll, readerOf, withTempDir } from './helpers.ts'

const test = suite('fileSource')

interface Sale { id: number, store: string, amount: number }

function sale (id: number): Sale {
  return { id, store: `s${id % 7}`, amount: id * 1.5 }
}

function jsonl (records: unknown[]): string {
  return records.map(r => JSON.stringify(r) + '\n').join('')
}

const byId = (a: { id: number }, b: { id: number }): number => a.id - b.id

test('reads a directory of jsonl at parallelism 2', async () => {
  await withTempDir(async dir => {
    const all = Array.from({ length: 3000 }, (_, i) => sale(i))
    await writeFile(join(dir, 'a.jsonl'), jsonl(all.slice(0, 1000)))
    await writeFile(join(dir, 'b.jsonl'), jsonl(all.slice(1000, 2500)))
    await writeFile(join(dir, 'c.jsonl'), jsonl(all.slice(2500)))
    await writeFile(join(dir, '.hidden.jsonl'), jsonl([sale(-1)]))
    await writeFile(join(dir, '_SUCCESS'), 'not json')
    await mkdir(join(dir, 'sub'))
    await writeFile(join(dir, 'sub', 'd.jsonl'), jsonl([sale(-2)]))

    const env = StreamEnvironment.create({ parallelism: 2 })
    const out = env.fromSource(fileSource<Sale>({ path: dir, format: 'jsonl' }), undefined, 'sales').collect()
    await env.execute('read-dir')
    assert.equal(out.values.sort(byId), all)
  })
})

test('lists the visible regular files of a directory in name order, one split per file', async () => {
  await withTempDir(async dir => {
    for (const name of ['b.jsonl', 'a.jsonl', '.x', '_y', 'c.csv']) await writeFile(join(dir, name), '')
    await mkdir(join(dir, 'z'))
    assert.equal(await listInputFiles(dir), ['a.jsonl', 'b.jsonl', 'c.csv'].map(n => join(dir, n)))
    const splits = await fileSource({ path: dir, format: 'jsonl' }).createSplits(2)
    assert.equal(splits.map(s => s.id), ['a.jsonl', 'b.jsonl', 'c.csv'].map(n => join(dir, n)))
    assert.equal(splits[0], { id: join(dir, 'a.jsonl'), path: join(dir, 'a.jsonl'), offset: 0, line: 1 })
    // a file path is a directory of one
    assert.equal(await listInputFiles(join(dir, 'b.jsonl')), [join(dir, 'b.jsonl')])
  })
})

test('skips empty lines, handles CRLF, multi-byte characters and a last line without newline', async () => {
  await withTempDir(async dir => {
    const file = join(dir, 'x.jsonl')
    await writeFile(file, '{"s":"é€"}\r\n\r\n   \n{"s":"🎉"}\n\n{"s":"naïve"}')
    for (const chunkBytes of [1, 2, 3, 5, 7, 64 * 1024]) {
      const source = fileSource<{ s: string }>({ path: file, format: 'jsonl', chunkBytes })
      const reader = readerOf(source)
      reader.addSplits(await source.createSplits(1))
      assert.equal(await readAll(reader, 2), [{ s: 'é€' }, { s: '🎉' }, { s: 'naïve' }], `chunkBytes ${chunkBytes}`)
      await reader.close()
    }
  })
})

test('returns buffered records synchronously: a promise only when it must read', async () => {
  await withTempDir(async dir => {
    const file = join(dir, 'x.jsonl')
    await writeFile(file, jsonl(Array.from({ length: 100 }, (_, i) => sale(i))))
    const source = fileSource<Sale>({ path: file, format: 'jsonl' })
    const reader = readerOf(source)
    reader.addSplits(await source.createSplits(1))
    const first = reader.pollNext(10)
    assert.instance(first, Promise)
    assert.equal(((await first) ?? []).map(s => s.id), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    const second = reader.pollNext(10)
    assert.ok(Array.isArray(second))
    assert.equal(second.map(s => s.id), [10, 11, 12, 13, 14, 15, 16, 17, 18, 19])
    await reader.close()
  })
})

test('names the file and line of a malformed jsonl line', async () => {
  await withTempDir(async dir => {
    const file = join(dir, 'sales.jsonl')
    const lines = Array.from({ length: 30 }, (_, i) => JSON.stringify(sale(i)))
    lines[16] = '{"id": 16, "store": oops}'
    await writeFile(join(dir, 'a.jsonl'), jsonl([sale(100)]))
    await writeFile(file, lines.join('\n') + '\n')
    const env = StreamEnvironment.create({ parallelism: 2 })
    env.fromSource(fileSource<Sale>({ path: dir, format: 'jsonl' }), undefined, 'sales').collect()
    try {
      await env.execute('malformed')
      assert.unreachable('the job should fail')
    } catch (err) {
      assert.instance(err, Error)
      const message = (err as Error).message
      assert.ok(message.includes(`Malformed JSON in ${file} line 17: `), message)
      assert.not.match(message, /column/)
      let cause: unknown = err
      while (cause instanceof Error && cause.name !== 'MalformedRecordError') cause = cause.cause
      assert.is((cause as Error).name, 'MalformedRecordError')
      assert.is((cause as { line: number }).line, 17)
      assert.is((cause as { path: string }).path, file)
      assert.is((cause as { domain: string }).domain, 'user')
    }
  })
})

test('routes malformed lines to the dead-letter output and keeps the rest', async () => {
  await withTempDir(async dir => {
    const file = join(dir, 'sales.jsonl')
    const lines = Array.from({ length: 20 }, (_, i) => JSON.stringify(sale(i)))
    lines[4] = 'not json'
    lines[12] = '{"id":'
    await writeFile(file, lines.join('\n'))
    const env = StreamEnvironment.create({ parallelism: 2 })
    const bad = new OutputTag<DeadLetter>('bad-lines')
    const sales = env.fromSource(fileSource<Sale>({ path: dir, format: 'jsonl', deadLetter: bad }), undefined, 'sales')
    const good = sales.collect()
    const rejected = sales.sideOutput(bad).collect()
    await env.execute('dead-letter')
    assert.equal(good.values.sort(byId), Array.from({ length: 20 }, (_, i) => sale(i)).filter(s => s.id !== 4 && s.id !== 12))
    const letters = rejected.values.sort((a, b) => a.line - b.line)
    assert.equal(letters.map(l => ({ path: l.path, line: l.line, text: l.text })), [
      { path: file, line: 5, text: 'not json' },
      { path: file, line: 13, text: '{"id":' }
    ])
    for (const l of letters) assert.type(l.error, 'string')
  })
})

test('fails with an error naming a missing path', async () => {
  await withTempDir(async dir => {
    const missing = join(dir, 'nope')
    const env = StreamEnvironment.create({ parallelism: 1 })
    env.fromSource(fileSource({ path: missing, format: 'jsonl' }), undefined, 'input').collect()
    try {
      await env.execute('missing')
      assert.unreachable('the job should fail')
    } catch (err) {
      assert.ok((err as Error).message.includes(`File or directory not found: ${missing}`), (err as Error).message)
    }
  })
})

test('resumes at the next unread line from snapshotSplits()', async () => {
  await withTempDir(async dir => {
    const file = join(dir, 'x.jsonl')
    const all = Array.from({ length: 50 }, (_, i) => sale(i))
    // empty and CRLF lines make line numbers and byte offsets differ from record indices
    const text = all.map((r, i) => JSON.stringify(r) + (i % 5 === 0 ? '\r\n\n' : '\n')).join('')
    await writeFile(file, text)
    const source = fileSource<Sale>({ path: file, format: 'jsonl', chunkBytes: 13 })
    for (const cut of [1, 7, 23, 49, 50]) {
      const first = readerOf(source)
      first.addSplits(await source.createSplits(1))
      const before = await readAll(first, 3, cut)
      const state = first.snapshotSplits()
      await first.close()
      if (cut === 50) {
        // the last line was read; the reader notices the end on its next poll
        assert.ok(state.length <= 1)
      } else {
        assert.is(state.length, 1)
        const split = state[0]!
        assert.is(split.offset, Buffer.byteLength(text.split('\n').slice(0, split.line - 1).map(l => l + '\n').join('')))
      }
      const second = readerOf(source)
      second.addSplits(JSON.parse(JSON.stringify(state)) as FileSplit[])
      const after = await readAll(second, 4)
      await second.close()
      assert.equal([...before, ...after], all, `cut after ${cut} records`)
    }
  })
})

test('reports line numbers after a restore', async () => {
  await withTempDir(async dir => {
    const file = join(dir, 'x.jsonl')
    await writeFile(file, '{"id":1}\n\n{"id":2}\n{"id":3}\nbroken\n')
    const source = fileSource<{ id: number }>({ path: file, format: 'jsonl' })
    const first = readerOf(source)
    first.addSplits(await source.createSplits(1))
    assert.equal(await readAll(first, 2, 2), [{ id: 1 }, { id: 2 }])
    const state = first.snapshotSplits()
    assert.equal(state, [{ id: file, path: file, offset: 19, line: 4 }])
    await first.close()
    const second = readerOf(source)
    second.addSplits(state)
    try {
      await readAll(second)
      assert.unreachable('should fail')
    } catch (err) {
      assert.match((err as Error).message, `Malformed JSON in ${file} line 5:`)
    }
    await second.close()
  })
})

test('reads csv with a header into objects of strings', async () => {
  await withTempDir(async dir => {
    const file = join(dir, 'x.csv')
    await writeFile(file, 'id,name,note\r\n1,Ann,"likes ""tea"", not coffee"\r\n\r\n2,Bob,\r\n')
    const source = fileSource<Record<string, string>>({ path: file, format: 'csv' })
    const reader = readerOf(source)
    reader.addSplits(await source.createSplits(1))
    assert.equal(await readAll(reader), [
      { id: '1', name: 'Ann', note: 'likes "tea", not coffee' },
      { id: '2', name: 'Bob', note: '' }
    ])
  })
})

test('reads csv without header as arrays, or named by columns', async () => {
  await withTempDir(async dir => {
    const file = join(dir, 'x.csv')
    await writeFile(file, '1;a\n2;"b;c"\n')
    const arrays = fileSource<string[]>({ path: file, format: 'csv', csv: { header: false, delimiter: ';' } })
    const arrayReader = readerOf(arrays)
    arrayReader.addSplits(await arrays.createSplits(1))
    assert.equal(await readAll(arrayReader), [['1', 'a'], ['2', 'b;c']])
    const named = fileSource({ path: file, format: 'csv', csv: { header: false, delimiter: ';', columns: ['n', 'v'] } })
    const namedReader = readerOf(named)
    namedReader.addSplits(await named.createSplits(1))
    assert.equal(await readAll(namedReader), [{ n: '1', v: 'a' }, { n: '2', v: 'b;c' }])
    // with a header, columns replace the header's names
    await writeFile(file, 'x;y\n1;a\n')
    const renamed = fileSource({ path: file, format: 'csv', csv: { delimiter: ';', columns: ['n', 'v'] } })
    const renamedReader = readerOf(renamed)
    renamedReader.addSplits(await renamed.createSplits(1))
    assert.equal(await readAll(renamedReader), [{ n: '1', v: 'a' }])
  })
})

test('names the file and line of a CSV row with the wrong number of fields', async () => {
  await withTempDir(async dir => {
    const file = join(dir, 'x.csv')
    await writeFile(file, 'a,b\n1,2\n3\n4,5\n"6,7\n')
    const source = fileSource({ path: file, format: 'csv' })
    const reader = readerOf(source)
    reader.addSplits(await source.createSplits(1))
    try {
      await readAll(reader)
      assert.unreachable('should fail')
    } catch (err) {
      assert.is((err as Error).message, `Malformed CSV in ${file} line 3: Expected 2 fields, found 1`)
    }
    const letters: DeadLetter[] = []
    const lenient = fileSource({ path: file, format: 'csv', deadLetter: new OutputTag<DeadLetter>('bad') })
    const second = readerOf(lenient, letters)
    second.addSplits(await lenient.createSplits(1))
    assert.equal(await readAll(second), [{ a: '1', b: '2' }, { a: '4', b: '5' }])
    assert.equal(letters.map(l => [l.line, l.text]), [[3, '3'], [5, '"6,7']])
    assert.match(letters[1]!.error, /Unterminated quoted field/)
  })
})

test('resumes a CSV file after its header', async () => {
  await withTempDir(async dir => {
    const file = join(dir, 'x.csv')
    await writeFile(file, '\nid,v\n1,a\n2,b\n3,c\n')
    const source = fileSource<Record<string, string>>({ path: file, format: 'csv', chunkBytes: 4 })
    const first = readerOf(source)
    first.addSplits(await source.createSplits(1))
    assert.equal(await readAll(first, 1, 1), [{ id: '1', v: 'a' }])
    const state = first.snapshotSplits()
    await first.close()
    const second = readerOf(source)
    second.addSplits(state)
    assert.equal(await readAll(second), [{ id: '2', v: 'b' }, { id: '3', v: 'c' }])
    // a snapshot taken before the header was read still reads the header
    const third = readerOf(source)
    third.addSplits([{ id: file, path: file, offset: 1, line: 2 }])
    assert.equal((await readAll(third)).length, 3)
  })
})

test('reads csv records whose quoted fields span lines, resuming between them with the right line numbers', async () => {
  await withTempDir(async dir => {
    const file = join(dir, 'x.csv')
    // lines: 1 header, 2-3 id 1, 4-5 id 2, 6 id 3, 7-9 id 4, 10 malformed, 11 id 6
    await writeFile(file, 'id,note\n1,"two\nlines"\n2,"crlf\r\ninside"\r\n3,plain\n4,"a ""quoted""\n\nblank line"\n5\n6,last\n')
    const all = [
      { id: '1', note: 'two\nlines' }, { id: '2', note: 'crlf\r\ninside' }, { id: '3', note: 'plain' },
      { id: '4', note: 'a "quoted"\n\nblank line' }, { id: '6', note: 'last' }
    ]
    const source = fileSource<Record<string, string>>({ path: file, format: 'csv', chunkBytes: 3, deadLetter: new OutputTag<DeadLetter>('bad') })
    for (let cut = 1; cut <= all.length; cut++) {
      const letters: DeadLetter[] = []
      const first = readerOf(source, letters)
      first.addSplits(await source.createSplits(1))
      const before = await readAll(first, 1, cut)
      const state = first.snapshotSplits()
      await first.close()
      const second = readerOf(source, letters)
      second.addSplits(JSON.parse(JSON.stringify(state)) as FileSplit[])
      const after = await readAll(second, 2)
      await second.close()
      assert.equal([...before, ...after], all, `cut after ${cut} records`)
      assert.equal(letters.map(l => [l.line, l.text]), [[10, '5']], `cut after ${cut} records`)
    }
  })
})

test('fails a line longer than maxLineBytes instead of buffering it', async () => {
  await withTempDir(async dir => {
    const file = join(dir, 'x.jsonl')
    await writeFile(file, '{"a":1}\n' + JSON.stringify({ big: 'x'.repeat(10_000) }) + '\n')
    const source = fileSource({ path: file, format: 'jsonl', chunkBytes: 1024, maxLineBytes: 4096 })
    const reader = readerOf(source)
    reader.addSplits(await source.createSplits(1))
    try {
      await readAll(reader)
      assert.unreachable('should fail')
    } catch (err) {
      assert.is((err as Error).name, 'LineTooLongError')
      assert.match((err as Error).message, `Line 2 of ${file} is longer than 4096 bytes`)
    }
    await reader.close()
  })
})

test('ends at once for an empty directory', async () => {
  await withTempDir(async dir => {
    const env = StreamEnvironment.create({ parallelism: 2 })
    const out = env.fromSource(fileSource({ path: dir, format: 'jsonl' })).collect()
    await env.execute('empty')
    assert.equal(out.values, [])
  })
})

test('rejects invalid options at once', () => {
  assert.throws(() => fileSource({ path: '', format: 'jsonl' }), /needs a path/)
  assert.throws(() => fileSource({ path: 'x', format: 'xml' as 'csv' }), /format must be 'jsonl', 'csv', 'text' or 'parquet'/)
  assert.throws(() => fileSource({ path: 'x', format: 'csv', csv: { delimiter: '"' } }), /delimiter/)
  assert.throws(() => fileSource({ path: 'x', format: 'jsonl', chunkBytes: 0 }), /chunkBytes/)
})

test.run()
