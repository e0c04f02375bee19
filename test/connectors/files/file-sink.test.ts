import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { StreamEnvironment, type Source, type SourceSplit } from 'meshflow'
import { datagen } from 'meshflow/connectors/datagen'
import { fileSink, fileSource, FileSinkWriter } from 'meshflow/connectors/files'
import { createRecordEncoder } from '../../../connectors/files/record-encoder.ts'
import { readAll, readerOf, until, withTempDir } from './helpers.ts'

const test = suite('fileSink')

interface Row { id: number, name: string, tags: string[] }

function row (id: number): Row {
  return { id, name: `n${id}, "q" é`, tags: id % 2 === 0 ? ['even'] : [] }
}

const byId = (a: { id: number }, b: { id: number }): number => a.id - b.id

const visible = async (dir: string): Promise<string[]> => (await readdir(dir)).filter(n => !n.startsWith('.')).sort()
/** Hidden parts (without the writers' claims, see part-cleanup.ts). */
const hidden = async (dir: string): Promise<string[]> => (await readdir(dir)).filter(n => n.startsWith('.') && !n.endsWith('.sink')).sort()

async function readBack<T> (dir: string, format: 'jsonl' | 'csv'): Promise<T[]> {
  const env = StreamEnvironment.create({ parallelism: 2 })
  const out = env.fromSource(fileSource<T>({ path: dir, format }), undefined, 'read-back').collect()
  await env.execute('read-back')
  return out.values
}

/** A source that emits `first`, then waits for `release()` before it ends. */
function pausingSource<T> (first: T[]): { source: Source<T, SourceSplit>, release: () => void } {
  let release!: () => void
  const released = new Promise<void>(resolve => { release = resolve })
  const source: Source<T, SourceSplit> = {
    bounded: true,
    createSplits: () => [{ id: '0' }],
    createReader: () => {
      let step = 0
      return {
        addSplits () {},
        pollNext () {
          step++
          if (step === 1) return first
          if (step === 2) return released.then(() => null)
          return null
        },
        snapshotSplits: () => [],
        close () {}
      }
    }
  }
  return { source, release }
}

test('writes jsonl that reads back equal', async () => {
  await withTempDir(async dir => {
    const out = join(dir, 'out')
    const env = StreamEnvironment.create({ parallelism: 2 })
    env.fromSource(datagen({ count: 5000, generate: row }), undefined, 'rows').sinkTo(fileSink({ path: out, format: 'jsonl' }))
    const result = await env.execute('write-jsonl')
    const files = await visible(out)
    const job = result.jobId.slice(0, 8)
    assert.equal(files, [`part-${job}-0-end-0.jsonl`, `part-${job}-1-end-0.jsonl`])
    assert.equal(await hidden(out), [])
    assert.equal((await readBack<Row>(out, 'jsonl')).sort(byId), Array.from({ length: 5000 }, (_, i) => row(i)))
    // one record per line
    const text = await readFile(join(out, files[0]!), 'utf8')
    assert.is(text.split('\n').length - 1, 2500)
  })
})

test('writes csv that reads back equal', async () => {
  await withTempDir(async dir => {
    const out = join(dir, 'out')
    const records = Array.from({ length: 1000 }, (_, i) => ({ id: String(i), name: `n${i}, "q"`, note: i % 3 === 0 ? '' : 'x;y' }))
    const env = StreamEnvironment.create({ parallelism: 2 })
    env.fromSource(datagen({ count: records.length, generate: i => records[i]! })).sinkTo(fileSink({ path: out, format: 'csv' }))
    await env.execute('write-csv')
    const back = await readBack<{ id: string }>(out, 'csv')
    assert.equal(back.sort((a, b) => Number(a.id) - Number(b.id)), records)
  })
})

test('writes csv whose fields hold line breaks, delimiters and quotes, and reads it back equal', async () => {
  await withTempDir(async dir => {
    const out = join(dir, 'out')
    const texts = ['a\nb', 'c\r\nd', 'e,f', 'say "hi"', '"', '\r\n', '\n\n', 'x\r', '"\n",', '', 'é\r\n€ 🎉', 'plain']
    const records = Array.from({ length: 300 }, (_, i) => ({ id: String(i), text: texts[i % texts.length]!, more: texts[(i * 7 + 3) % texts.length]! }))
    const env = StreamEnvironment.create({ parallelism: 2 })
    env.fromSource(datagen({ count: records.length, generate: i => records[i]! })).sinkTo(fileSink({ path: out, format: 'csv' }))
    await env.execute('write-csv-line-breaks')
    const byNumber = (a: { id: string }, b: { id: string }): number => Number(a.id) - Number(b.id)
    assert.equal((await readBack<{ id: string }>(out, 'csv')).sort(byNumber), records)
    // in chunks of a few bytes too, so that chunk boundaries cut quoted fields, doubled quotes and CRLFs
    const source = fileSource<{ id: string }>({ path: out, format: 'csv', chunkBytes: 5 })
    const reader = readerOf(source)
    reader.addSplits(await source.createSplits(1))
    assert.equal((await readAll(reader, 7)).sort(byNumber), records)
    await reader.close()
  })
})

test('writes a csv header from the columns option and quotes fields per RFC 4180', async () => {
  await withTempDir(async dir => {
    const env = StreamEnvironment.create({ parallelism: 1 })
    env.fromCollection([{ a: 'x,y', b: 'say "hi"', c: 1 }, { a: null, b: 'line\nbreak', c: 2 }])
      .sinkTo(fileSink({ path: dir, format: 'csv', csv: { columns: ['c', 'a', 'b'] } }))
    await env.execute('csv-quoting')
    const [file] = await visible(dir)
    assert.is(await readFile(join(dir, file!), 'utf8'), 'c,a,b\n1,"x,y","say ""hi"""\n2,,"line\nbreak"\n')
  })
})

test('keeps part files hidden while the job runs and makes them visible on finish', async () => {
  await withTempDir(async dir => {
    const { source, release } = pausingSource([{ id: 1 }, { id: 2 }])
    const env = StreamEnvironment.create({ parallelism: 1 })
    env.fromSource(source).sinkTo(fileSink({ path: dir, format: 'jsonl' }))
    const run = env.execute('hidden-while-running')
    try {
      await until(async () => (await hidden(dir)).length > 0)
      const [part] = await hidden(dir)
      assert.match(part!, /^\.part-[0-9a-f]{8}-0-[0-9a-f]{8}-0\.jsonl\.inprogress$/)
      assert.equal(await visible(dir), [])
      assert.is(await readFile(join(dir, part!), 'utf8'), '{"id":1}\n{"id":2}\n')
    } finally {
      release()
    }
    const result = await run
    assert.equal(await hidden(dir), [])
    assert.equal(await visible(dir), [`part-${result.jobId.slice(0, 8)}-0-end-0.jsonl`])
  })
})

test('leaves no visible file when the job fails', async () => {
  await withTempDir(async dir => {
    await writeFile(join(dir, 'earlier.jsonl'), '{"kept":true}\n')
    const env = StreamEnvironment.create({ parallelism: 1, batchSize: 10 })
    env.fromCollection(Array.from({ length: 100 }, (_, i) => i))
      .map(i => {
        if (i === 55) throw new Error('boom at 55')
        return { i }
      })
      .sinkTo(fileSink({ path: dir, format: 'jsonl' }))
    try {
      await env.execute('failing')
      assert.unreachable('the job should fail')
    } catch (err) {
      assert.match((err as Error).message, /boom at 55/)
    }
    assert.equal(await visible(dir), ['earlier.jsonl'])
    // the parts nothing will ever commit are removed
    assert.equal(await hidden(dir), [])
    assert.is(await readFile(join(dir, 'earlier.jsonl'), 'utf8'), '{"kept":true}\n')
  })
})

test('never overwrites the output of an earlier run in the same directory', async () => {
  await withTempDir(async dir => {
    const run = async (from: number): Promise<string> => {
      const env = StreamEnvironment.create({ parallelism: 2 })
      env.fromSource(datagen({ count: 100, generate: i => ({ id: from + i }) })).sinkTo(fileSink({ path: dir, format: 'jsonl' }))
      return (await env.execute('run')).jobId
    }
    const first = await run(0)
    const second = await run(100)
    const files = await visible(dir)
    assert.is(files.length, 4)
    assert.is(files.filter(f => f.startsWith(`part-${first.slice(0, 8)}-`)).length, 2)
    assert.is(files.filter(f => f.startsWith(`part-${second.slice(0, 8)}-`)).length, 2)
    assert.equal((await readBack<{ id: number }>(dir, 'jsonl')).sort(byId), Array.from({ length: 200 }, (_, i) => ({ id: i })))
  })
})

const writer = suite('FileSinkWriter')

function context (jobId = 'abcdef0123456789', subtaskIndex = 3) {
  return { jobName: 'test', jobId, subtaskIndex, parallelism: 4, signal: new AbortController().signal }
}

/** A writer with a fixed instance id, so that in-progress names are known. */
function writerIn<T> (dir: string, rollBytes = 1024, jobId = 'abcdef0123456789', instanceId = 'w1'): FileSinkWriter<T> {
  return new FileSinkWriter<T>({ dir, extension: 'jsonl', encoder: createRecordEncoder<T>('jsonl', {}), rollBytes, jobId, subtaskIndex: 3, instanceId })
}

writer('rolls to a new hidden part when one reaches rollBytes and commits them all on finish', async () => {
  await withTempDir(async dir => {
    const w = writerIn<{ n: number }>(dir, 30)
    await w.write([{ n: 1 }, { n: 2 }])           // 16 bytes
    assert.is(w.closedParts.length, 0)
    await w.write([{ n: 3 }, { n: 4 }])           // 32: rolls
    assert.is(w.closedParts.length, 1)
    assert.is(w.inProgressPath, undefined)
    await w.write([{ n: 5 }])
    assert.is(w.inProgressPath, join(dir, '.part-abcdef01-3-w1-1.jsonl.inprogress'))
    assert.equal(await hidden(dir), ['.part-abcdef01-3-w1-0.jsonl.inprogress', '.part-abcdef01-3-w1-1.jsonl.inprogress'])
    assert.equal(await visible(dir), [])
    await w.finish()
    await w.close()
    assert.equal(await hidden(dir), [])
    assert.equal(await visible(dir), ['part-abcdef01-3-end-0.jsonl', 'part-abcdef01-3-end-1.jsonl'])
    assert.is(await readFile(join(dir, 'part-abcdef01-3-end-0.jsonl'), 'utf8'), '{"n":1}\n{"n":2}\n{"n":3}\n{"n":4}\n')
    assert.is(await readFile(join(dir, 'part-abcdef01-3-end-1.jsonl'), 'utf8'), '{"n":5}\n')
  })
})

writer('starts every csv part with the header', async () => {
  await withTempDir(async dir => {
    const w = await fileSink<{ a: string }>({ path: dir, format: 'csv', rollBytes: 1 }).createWriter(context()) as FileSinkWriter<{ a: string }>
    await w.write([{ a: 'x' }])
    await w.write([{ a: 'y' }])
    await w.finish()
    await w.close()
    for (const f of await visible(dir)) assert.match(await readFile(join(dir, f), 'utf8'), /^a\n[xy]\n$/)
  })
})

writer('close without finish removes what it did not hand over and keeps what was committed', async () => {
  await withTempDir(async dir => {
    const w = writerIn<number>(dir)
    await w.write([1, 2])
    const prepared = await w.prepareCommit(1)
    assert.equal(prepared.flatMap(p => 'path' in p ? [p.path] : []), [join(dir, 'part-abcdef01-3-1-0.jsonl')])
    await w.commit(prepared)
    // committing again is a no-op
    await w.commit(prepared)
    await w.write([3])
    const handedOver = await w.prepareCommit(2)
    await w.write([4])
    await w.close()
    assert.equal(await visible(dir), ['part-abcdef01-3-1-0.jsonl'])
    // a prepared part belongs to its commit (a checkpoint): close leaves it for that commit
    assert.equal(await hidden(dir), ['.part-abcdef01-3-2-0.jsonl.pending'])
    assert.equal(handedOver.flatMap(p => 'hiddenPath' in p ? [p.hiddenPath] : []), [join(dir, '.part-abcdef01-3-2-0.jsonl.pending')])
  })
})

writer('skips part numbers an earlier writer with the same job id prefix used', async () => {
  await withTempDir(async dir => {
    const sink = fileSink<number>({ path: dir, format: 'jsonl' })
    const a = await sink.createWriter(context('abcdef01-aaaa')) as FileSinkWriter<number>
    await a.write([1])
    await a.finish()
    await a.close()
    const b = await sink.createWriter(context('abcdef01-bbbb')) as FileSinkWriter<number>
    const c = await sink.createWriter(context('abcdef01-cccc')) as FileSinkWriter<number>
    await b.write([2])
    await c.write([3])
    await b.finish()
    await c.finish()
    await b.close()
    await c.close()
    const files = await visible(dir)
    assert.equal(files, ['part-abcdef01-3-end-0.jsonl', 'part-abcdef01-3-end-1.jsonl', 'part-abcdef01-3-end-2.jsonl'])
    const contents = await Promise.all(files.map(f => readFile(join(dir, f), 'utf8')))
    assert.equal(contents.sort(), ['1\n', '2\n', '3\n'])
  })
})

writer('writes nothing for a subtask without records', async () => {
  await withTempDir(async dir => {
    const w = await fileSink<number>({ path: join(dir, 'a', 'b'), format: 'jsonl' }).createWriter(context())
    await w.write([])
    await w.finish()
    await w.close()
    assert.equal(await readdir(join(dir, 'a', 'b')), [])
  })
})

writer('fails with an error naming a path that is a file', async () => {
  await withTempDir(async dir => {
    await writeFile(join(dir, 'f'), '')
    try {
      await fileSink({ path: join(dir, 'f'), format: 'jsonl' }).createWriter(context())
      assert.unreachable('should fail')
    } catch (err) {
      assert.is((err as Error).name, 'InvalidPathError')
      assert.match((err as Error).message, `Path ${join(dir, 'f')} is not a directory`)
    }
  })
})

writer('rejects invalid options at once', () => {
  assert.throws(() => fileSink({ path: '', format: 'jsonl' }), /needs a path/)
  assert.throws(() => fileSink({ path: 'x', format: 'tsv' as 'csv' }), /format must be/)
  assert.throws(() => fileSink({ path: 'x', format: 'jsonl', rollBytes: 0 }), /rollBytes/)
})

test.run()
writer.run()
