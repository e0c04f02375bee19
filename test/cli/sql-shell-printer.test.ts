import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { PassThrough } from 'node:stream'
import type { SqlColumn } from '../../node/sql/sql-types.ts'
import { ShellPrinter, morePrompt, printStream, type ShellOutput } from '../../node/cli/sql-shell-printer.ts'

const test = suite('ShellPrinter')

const columns: SqlColumn[] = [{ name: 'window_start', type: 'TIMESTAMP', nullable: false }, { name: 'n', type: 'BIGINT', nullable: false }]

/** An output that keeps what was written. */
function output (): { stream: ShellOutput, text: () => string } {
  const stream = new PassThrough()
  let text = ''
  stream.setEncoding('utf8').on('data', (d: string) => { text += d })
  return { stream, text: () => text }
}

const noInput = { readLine: async (): Promise<string | undefined> => undefined, prompt: (): void => {} }

test('ShellPrinter prints a stream\'s batches as they arrive, then the row count', async () => {
  const out = output()
  const printer = new ShellPrinter({ output: out.stream, ...noInput })
  let seenBeforeSecond = ''
  async function * batches (): AsyncGenerator<unknown[][]> {
    yield [[0, 3n], [60_000, 12n]]
    await new Promise(resolve => setImmediate(resolve))
    seenBeforeSecond = out.text()
    yield [[120_000, 1234n]]
  }
  await printer.print({ kind: 'stream', columns, batches: batches() }, new AbortController().signal)
  assert.is(seenBeforeSecond, 'window_start          n\n1970-01-01 00:00:00   3\n1970-01-01 00:01:00  12\n')
  assert.match(out.text(), /^window_start {10}n\n1970-01-01 00:00:00 {3}3\n1970-01-01 00:01:00 {2}12\n1970-01-01 00:02:00 {2}1234\n3 rows \(\d+\.\d\d s\)\n$/)
})

test('ShellPrinter stops a stream that never ends when its signal aborts', async () => {
  const out = output()
  const printer = new ShellPrinter({ output: out.stream, ...noInput })
  const controller = new AbortController()
  async function * forever (): AsyncGenerator<unknown[][]> {
    yield [[0, 1n]]
    controller.abort() // Ctrl-C while the next window is pending
    await new Promise(() => {})
  }
  await printer.print({ kind: 'stream', columns, batches: forever() }, controller.signal)
  assert.match(out.text(), /\n1 row \(\d+\.\d\d s\), stopped by Ctrl-C\n$/)
})

test('ShellPrinter pages rows longer than the terminal and stops on q', async () => {
  const out = output()
  Object.assign(out.stream, { rows: 5, columns: 80 })
  const prompts: string[] = []
  const answers = ['', 'q']
  const printer = new ShellPrinter({ output: out.stream, readLine: async () => answers.shift(), prompt: t => { prompts.push(t) } }, { paged: true })
  const rows = Array.from({ length: 20 }, (_, i) => [i])
  await printer.print({ kind: 'rows', columns: [{ name: 'i', type: 'INTEGER', nullable: false }], rows, elapsedMs: 10 }, new AbortController().signal)
  assert.equal(prompts, [morePrompt(17), morePrompt(13)])
  // each page: 4 lines (the fifth row of the screen is the prompt's); the prompt line is erased after each answer
  const shown = out.text().replace(/\u001b\[[0-9;]*[A-Za-z]/g, '')
  assert.is(shown, ' i\n 0\n 1\n 2\n 3\n 4\n 5\n 6\n20 rows (0.01 s)\n')
})

test('printStream writes a stream as CSV lines, or as one JSON array closed when Ctrl-C stops it', async () => {
  async function * two (): AsyncGenerator<unknown[][]> {
    yield [[0, 1n]]
    yield []
    yield [[60_000, 2n]]
  }
  const csv = output()
  await printStream({ kind: 'stream', columns, batches: two() }, 'csv', csv.stream, new AbortController().signal)
  assert.is(csv.text(), 'window_start,n\n1970-01-01T00:00:00.000Z,1\n1970-01-01T00:01:00.000Z,2\n')

  const json = output()
  const controller = new AbortController()
  async function * stopped (): AsyncGenerator<unknown[][]> {
    yield * two()
    controller.abort()
    await new Promise(() => {})
  }
  await printStream({ kind: 'stream', columns, batches: stopped() }, 'json', json.stream, controller.signal)
  assert.equal(JSON.parse(json.text()), [{ window_start: '1970-01-01T00:00:00.000Z', n: 1 }, { window_start: '1970-01-01T00:01:00.000Z', n: 2 }])
})

test.run()
