import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileSource, type FileSplit } from 'meshflow/connectors/files'
import { readAll, readerOf, withTempDir } from './helpers.ts'

const test = suite('fileSource text')

test('reads each non-empty line as a string and resumes at the exact line', async () => {
  await withTempDir(async dir => {
    const file = join(dir, 'x.log')
    const lines = Array.from({ length: 40 }, (_, i) => `line ${i}, "quoted" é`)
    await writeFile(file, lines.join('\r\n') + '\n\n')
    const source = fileSource<string>({ path: file, format: 'text', chunkBytes: 7 })
    const first = readerOf(source)
    first.addSplits(await source.createSplits(1))
    const head = await readAll(first, 3, 13)
    const state = JSON.parse(JSON.stringify(first.snapshotSplits())) as FileSplit[]
    await first.close()
    const second = readerOf(source)
    second.addSplits(state)
    const tail = await readAll(second, 4)
    await second.close()
    assert.equal([...head, ...tail], lines)
  })
})

test.run()
