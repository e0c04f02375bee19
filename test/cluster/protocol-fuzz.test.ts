// Fuzzing three `meshflow node` processes over real noise connections (issue 9): random,
// truncated, oversized and well-formed-but-wrong frames on every protocol. No peer exits,
// the mesh keeps its leader, and a job submitted afterwards finishes with exact output.
//
//   MESHFLOW_FUZZ_FRAMES=100000 npm test -- protocol-fuzz     (the benchmark run: npm run bench -- control)
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { join } from 'node:path'
import { LocalMesh, bounded, runMeshflow } from './local-mesh.ts'
import { fuzz } from './fuzz-runner.ts'
import { committedLines, expectedWindows } from './fixtures/checkpointed-output.ts'

const test = suite('protocol fuzz (processes)')
const FRAMES = Number(process.env.MESHFLOW_FUZZ_FRAMES ?? 4_000)
const SEED = Number(process.env.MESHFLOW_FUZZ_SEED ?? 7)

test(`${FRAMES} fuzzed frames on every protocol: no peer exits, and a job submitted afterwards finishes exactly`, async () => {
  const mesh = await LocalMesh.start(3)
  try {
    await bounded('protocol fuzz', 280_000, async () => {
      await mesh.agreedLeader(25_000, 3)
      const summary = await fuzz(FRAMES, SEED, mesh.nodes.map(n => n.address), 200_000)
      assert.is(summary.frames, FRAMES)
      assert.ok(summary.answers > 0, 'valid requests were answered')
      assert.ok(mesh.nodes.every(n => n.alive), mesh.nodes.map(n => `${n.name}: ${n.stderr.slice(-2000)}`).join('\n'))
      const leader = await mesh.agreedLeader(30_000, 3)
      const out = join(mesh.dir, 'out')
      const count = 5_000
      const run = await runMeshflow(['run', 'test/cluster/fixtures/checkpointed-job.ts', '--mesh', leader.address, '--parallelism', '3', '--',
        '--out', out, '--count', String(count), '--rate', '10000', '--interval', '300'], { timeoutMs: 90_000 })
      assert.is(run.code, 0, run.stderr)
      assert.equal(committedLines(out), expectedWindows(count))
      assert.ok(mesh.nodes.every(n => n.alive))
    })
  } finally {
    await mesh.close()
  }
})

test.run()
