import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { StreamEnvironment } from 'meshflow'
import { LocalMesh, bounded, runMeshflow } from './local-mesh.ts'
import job from '../node/cluster/fixtures/windowed-job.ts'

const dist = suite('meshflow run --mesh (processes)')
const JOB = 'test/node/cluster/fixtures/windowed-job.ts'

function readLines (dir: string): string[] {
  if (!existsSync(dir)) return []
  return readdirSync(dir).filter(f => !f.startsWith('.')).flatMap(f => readFileSync(join(dir, f), 'utf8').split('\n').filter(l => l.length > 0)).map(l => JSON.parse(l) as string).sort()
}

dist('three peer processes run a keyed windowed job at parallelism 4 exactly as the embedded runtime does, on at least two peers', async () => {
  await bounded('distributed run', 90_000, async () => {
    const mesh = await LocalMesh.start(3)
    try {
      await mesh.agreedLeader(25_000, 3)
      const expectedDir = join(mesh.dir, 'expected')
      const env = StreamEnvironment.create({ parallelism: 4 })
      await job.build(env, { out: expectedDir, count: '30000' })
      await env.execute('reference')
      const expected = readLines(expectedDir)
      assert.ok(expected.length > 100)

      const out = join(mesh.dir, 'out')
      const via = mesh.nodes[2]!.address
      const run = await runMeshflow(['run', JOB, '--mesh', via, '--parallelism', '4', '--', '--out', out, '--count', '30000'], { timeoutMs: 60_000 })
      assert.is(run.code, 0, run.stderr)
      assert.match(run.stderr, /Job 'windowed-job' \(\S+\) finished in \d+ ms/)
      assert.equal(readLines(out), expected)

      const jobs = await runMeshflow(['jobs', '--mesh', via, '--json'])
      assert.is(jobs.code, 0, jobs.stderr)
      const list = JSON.parse(jobs.stdout) as { id: string, name: string, state: string, restarts: number, tasks: { vertex: string, subtask: number, peer: string }[] }[]
      assert.is(list.length, 1)
      // the fields of DESIGN §7 first, then what checkpointing adds
      assert.equal(Object.keys(list[0]!), ['id', 'name', 'state', 'restarts', 'tasks', 'checkpoints', 'restoreHistory'])
      assert.is(list[0]!.state, 'FINISHED')
      assert.ok(new Set(list[0]!.tasks.map(t => t.peer)).size >= 2, 'tasks ran on at least two peers')
      const ids = new Set(mesh.nodes.map(n => n.id))
      assert.ok(list[0]!.tasks.every(t => ids.has(t.peer)))
    } finally {
      await mesh.close()
    }
  })
})

dist('run --detach prints the job id alone; cancel stops it; a failing job exits 1 naming the operator', async () => {
  await bounded('detach and cancel', 90_000, async () => {
    const mesh = await LocalMesh.start(2)
    try {
      await mesh.agreedLeader(25_000, 2)
      const via = mesh.nodes[0]!.address
      const detached = await runMeshflow(['run', 'test/node/cluster/fixtures/slow-job.ts', '--mesh', via, '--detach', '-p', '2'])
      assert.is(detached.code, 0, detached.stderr)
      const id = detached.stdout.trim()
      assert.match(id, /^[0-9a-f-]{36}$/)
      const cancel = await runMeshflow(['cancel', id, '--mesh', via])
      assert.is(cancel.code, 0, cancel.stderr)
      assert.is(cancel.stdout, `${id} CANCELED\n`)

      const failing = await runMeshflow(['run', JOB, '--mesh', via, '-p', '2', '--', '--out', join(mesh.dir, 'f'), '--fail', 'run'], { timeoutMs: 60_000 })
      assert.is(failing.code, 1)
      const lines = failing.stderr.trim().split('\n')
      assert.match(lines[lines.length - 1]!, /^meshflow: Job 'windowed-job' \(\S+\) failed: .*Operator 'check'.*record 5000 is poison/)
      assert.not.match(failing.stderr, /\n\s+at /, 'no stack trace')

      const table = await runMeshflow(['jobs', '--mesh', via])
      assert.match(table.stdout, /^ID\s+NAME\s+STATE\s+RESTARTS\s+TASKS/)
      assert.match(table.stdout, /CANCELED/)
      assert.match(table.stdout, /FAILED/)
    } finally {
      await mesh.close()
    }
  })
})

dist.run()
