/**
 * A peer with no listener and no discovery is a mesh of one (what `meshflow run` starts):
 * it founds its Raft group and leads at once, and runs jobs side by side in its process.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Peer } from '../../../node/cluster/peer.ts'
import { StreamEnvironment } from '../../../node/index.ts'

const COUNTED = fileURLToPath(new URL('../../cli/fixtures/counted.ts', import.meta.url))
const ENDLESS = fileURLToPath(new URL('../../cli/fixtures/checkpointed.ts', import.meta.url))

const embedded = suite('Peer (mesh of one)')

function records (out: string): { key: number, n: number }[] {
  return readdirSync(out).filter(f => !f.startsWith('.'))
    .flatMap(f => readFileSync(join(out, f), 'utf8').split('\n').filter(l => l.length > 0).map(l => JSON.parse(l) as { key: number, n: number }))
}

embedded('runs jobs side by side in one process, each exactly once', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'meshflow-embedded-peer-'))
  const peer = await Peer.start({ dataDir: join(dir, 'data'), embedded: true })
  try {
    assert.equal(peer.multiaddrs, [], 'no listener unless asked')
    await peer.mark('test')
    assert.ok(peer.isLeader)
    // an unbounded job keeps running while two bounded ones run beside it and finish
    const endless = await peer.submit(ENDLESS, { name: 'endless' })
    const a = await peer.submit(COUNTED, { name: 'a', parallelism: 2, args: { count: '600', rate: '2000', out: join(dir, 'a') } })
    const b = await peer.submit(COUNTED, { name: 'b', parallelism: 1, args: { count: '400', rate: '2000', out: join(dir, 'b') } })
    const [ra, rb] = await Promise.all([a.result(), b.result()])
    assert.equal(ra, { state: 'FINISHED', error: undefined })
    assert.equal(rb, { state: 'FINISHED', error: undefined })
    assert.is(peer.jobs().find(j => j.id === endless.id)?.state, 'RUNNING')
    assert.is(await endless.cancel(), 'CANCELED')
    for (const [out, count] of [[join(dir, 'a'), 600], [join(dir, 'b'), 400]] as const) {
      const got = records(out).map(r => `${r.key}/${r.n}`).sort()
      const want: string[] = []
      for (let k = 0; k < 5; k++) for (let n = 1; n <= count / 5; n++) want.push(`${k}/${n}`)
      assert.equal(got, want.sort())
    }
  } finally {
    await peer.stop()
    rmSync(dir, { recursive: true, force: true })
  }
})

embedded('StreamEnvironment.execute runs a job with placement constraints: a mesh of one runs every operator itself', async () => {
  const env = StreamEnvironment.create({ parallelism: 2 })
  const out = env.fromCollection([1, 2, 3, 4, 5, 6]).placement({ tier: 'edge' })
    .map(x => x * 10).placement({ tier: 'cloud', region: 'eu' })
    .collect()
  await env.execute('placed')
  assert.equal([...out.values].sort((a, b) => a - b), [10, 20, 30, 40, 50, 60])
})

embedded('a job whose error message holds control characters fails with that error (it is recorded as error text, never refused by the log)', async () => {
  const env = StreamEnvironment.create()
  env.fromCollection([1, 2, 3]).map(x => { if (x === 2) throw new Error('bad \u001b[31mred\u001b[0m'); return x }).name('colourful').print()
  // before the fix the log refused the FAILED entry and execute never settled: a deadline makes that a failure
  let timer: ReturnType<typeof setTimeout> | undefined
  const outcome = await Promise.race([
    env.execute('control-characters').then(() => 'finished', (err: Error) => err),
    new Promise(resolve => { timer = setTimeout(resolve, 60_000, 'hung') })
  ])
  clearTimeout(timer)
  assert.ok(outcome instanceof Error, `the job must fail, got ${String(outcome)}`)
  assert.is(outcome.name, 'JobExecutionError')
  assert.match(outcome.message, /Operator 'colourful' failed: bad \u001b\[31mred/)
})

embedded.run()
