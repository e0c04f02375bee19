import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdtempSync, rmSync, writeFileSync, readdirSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { StreamEnvironment } from 'meshflow'
import { bundleJob, importJobBundle } from '../../../node/cluster/job-bundle.ts'

const bundle = suite('bundleJob')
let dir = ''
bundle.before.each(() => { dir = mkdtempSync(join(tmpdir(), 'meshflow-bundle-')) })
bundle.after.each(() => { rmSync(dir, { recursive: true, force: true }) })

const fixture = new URL('./fixtures/bundled-job.ts', import.meta.url).pathname

bundle('inlines the job\'s own modules and keeps the engine external', async () => {
  const b = await bundleJob(fixture)
  assert.ok(b.code.includes('key-'), 'the helper module is inlined')
  assert.match(b.code, /meshflow-runtime:meshflow"/)
  assert.match(b.code, /meshflow-runtime:meshflow\/connectors\/datagen"/)
  assert.not.match(b.code, /class DataStream/, 'the engine is not bundled in')
})

bundle('a bundle written far from the repository runs with this installation\'s API classes', async () => {
  const b = await bundleJob(fixture)
  const { definition: job } = await importJobBundle(b.code, { dir: join(dir, 'jobs') })
  const files = readdirSync(join(dir, 'jobs'))
  assert.is(files.length, 1)
  assert.match(readFileSync(join(dir, 'jobs', files[0]!), 'utf8'), /file:\/\/.*node\/index\.ts/)
  const env = StreamEnvironment.create({ parallelism: 2 })
  await job.build(env, { count: '300' })
  // the job built its pipeline on our environment with our classes: its uid is in our graph
  const graph = env.getJobGraph()
  assert.ok(graph.vertices.some(v => v.operators.some(o => o.id === 'counts')))
  const result = await env.execute('bundled')
  assert.is(result.tasks.filter(t => t.source).reduce((n, t) => n + t.recordsIn, 0), 300)
})

bundle('a module that is not a job, or does not bundle, fails with a clear JobCodeError', async () => {
  const notJob = join(dir, 'not-job.ts')
  writeFileSync(notJob, 'export default 42\n')
  const b = await bundleJob(notJob)
  try {
    await importJobBundle(b.code, { dir: join(dir, 'jobs') })
    assert.unreachable()
  } catch (err) {
    assert.is((err as Error).name, 'JobCodeError')
    assert.match((err as Error).message, /defineJob/)
  }
  const broken = join(dir, 'broken.ts')
  writeFileSync(broken, 'import { x } from "./missing.ts"\nexport default x\n')
  try {
    await bundleJob(broken)
    assert.unreachable()
  } catch (err) {
    assert.is((err as Error).name, 'JobCodeError')
    assert.match((err as Error).message, /missing\.ts/)
  }
})

bundle.run()
