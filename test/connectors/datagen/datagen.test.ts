import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { datagen, type DatagenSplit } from 'meshflow/connectors/datagen'
import type { SourceReader } from 'meshflow'

const test = suite('datagen')

async function drain (reader: SourceReader<number, DatagenSplit>, max = 7): Promise<number[]> {
  const out: number[] = []
  for (;;) {
    let batch = reader.pollNext(max)
    if (batch instanceof Promise) batch = await batch
    if (batch === null) return out
    out.push(...batch)
  }
}

function reader (options: Parameters<typeof datagen<number>>[0], signal = new AbortController().signal): SourceReader<number, DatagenSplit> {
  return datagen(options).createReader({ subtaskIndex: 0, parallelism: 1, signal, output: () => {} })
}

test('a reader given restored splits of unequal progress reads each to the end exactly once', async () => {
  // splits of former subtasks, some much further along: they finish first, at every
  // position of the reader's round-robin cursor
  for (let max = 1; max <= 9; max++) {
    for (let ahead = 30; ahead < 36; ahead++) {
      const r = reader({ count: 40, generate: i => i })
      const splits = [{ id: '0', next: ahead, stride: 3 }, { id: '1', next: 1, stride: 3 }, { id: '2', next: ahead - 1, stride: 3 }]
      r.addSplits(splits)
      const want = splits.flatMap(s => Array.from({ length: Math.ceil((40 - s.next) / 3) }, (_, k) => s.next + 3 * k))
      assert.equal((await drain(r, max)).sort((a, b) => a - b), want.sort((a, b) => a - b), `max ${max}, ahead ${ahead}`)
    }
  }
})

test('a reader with restored splits at different points emits indices in increasing order (event time stays in order)', async () => {
  const r = reader({ count: 100, generate: i => i })
  r.addSplits([{ id: '0', next: 60, stride: 2 }, { id: '1', next: 21, stride: 2 }])
  const got = await drain(r, 8)
  assert.equal(got, [...got].sort((a, b) => a - b))
  assert.is(got.length, 20 + 40)
})

test('a rate-limited reader whose first split ends keeps reading the others (no crash in the timer)', async () => {
  const r = reader({ count: 60, generate: i => i, ratePerSec: 2_000 })
  r.addSplits([{ id: '0', next: 54, stride: 3 }, { id: '1', next: 1, stride: 3 }, { id: '2', next: 2, stride: 3 }])
  const got = await drain(r, 4)
  assert.is(got.length, 2 + 20 + 20)
  assert.is(new Set(got).size, got.length)
})

test('snapshotSplits gives the next index of each unfinished split', async () => {
  const r = reader({ count: 20, generate: i => i })
  r.addSplits(datagen({ count: 20, generate: i => i }).createSplits(2) as DatagenSplit[])
  const first = r.pollNext(6) as number[]
  assert.is(first.length, 6)
  const snap = r.snapshotSplits()
  assert.equal(snap.map(s => s.id), ['0', '1'])
  const resumed = reader({ count: 20, generate: i => i })
  resumed.addSplits(snap)
  const rest = await drain(resumed)
  assert.equal([...first, ...rest].sort((a, b) => a - b), Array.from({ length: 20 }, (_, i) => i))
})

test('a waiting rate-limited read ends with null when the job is cancelled, leaving no listener behind', async () => {
  const controller = new AbortController()
  const r = reader({ generate: i => i, ratePerSec: 1 }, controller.signal)
  r.addSplits([{ id: '0', next: 0, stride: 1 }])
  r.pollNext(10)
  const waiting = r.pollNext(10)
  assert.ok(waiting instanceof Promise)
  controller.abort()
  assert.is(await waiting, null)
})

test.run()
