import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { PassThrough } from 'node:stream'
import { formatRecord, printSink } from '../../../node/api/print-sink.ts'

const print = suite('printSink')

print('formatRecord prints strings as they are, bigints as digits, records as JSON', () => {
  assert.is(formatRecord('a b'), 'a b')
  assert.is(formatRecord(12345678901234567890n), '12345678901234567890')
  assert.is(formatRecord({ store: 's1', revenue: 10n, n: 2, nested: [1n] }), '{"store":"s1","revenue":"10","n":2,"nested":["1"]}')
  assert.is(formatRecord(undefined), 'undefined')
})

print('writes one line per record with the prefix and subtask', async () => {
  const out = new PassThrough()
  let text = ''
  out.on('data', (c: Buffer) => { text += c.toString() })
  const writer = await printSink<unknown>('p', out).createWriter({ jobName: 'j', jobId: 'j1', subtaskIndex: 1, parallelism: 2, signal: new AbortController().signal })
  await writer.write([{ sum: 3n }, 'x'])
  assert.is(text, 'p:2> {"sum":"3"}\np:2> x\n')
})

print.run()
