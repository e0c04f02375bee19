/**
 * `--task-memory SIZE` on `meshflow node` and `meshflow run`, and the sizes it takes
 * (parseMemorySize): units, a clear error for a bad value, embedded only for `run`.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { parseCommandLine, type NodeCommand, type RunCommand } from '../../node/cli/command-line.ts'
import { parseMemorySize } from '../../node/runtime/spill/memory-size.ts'
import { runCommand } from '../../node/cli/run-command.ts'
import type { CliIo } from '../../node/cli/cli-io.ts'

const TaskMemory = suite('--task-memory')

TaskMemory('parseMemorySize reads bytes and binary units, and refuses what is not a size or is below 64k', () => {
  assert.is(parseMemorySize('x', '256m'), 256 * 1024 * 1024)
  assert.is(parseMemorySize('x', '1G'), 1024 ** 3)
  assert.is(parseMemorySize('x', '1.5g'), 1.5 * 1024 ** 3)
  assert.is(parseMemorySize('x', '64KiB'), 65536)
  assert.is(parseMemorySize('x', 100_000), 100_000)
  for (const bad of ['', 'lots', '12q', '-1m', '1k', 1000, 2.5e3, null]) {
    assert.throws(() => parseMemorySize('--task-memory', bad), (e: Error) => e.name === 'InvalidMemorySizeError' && e.message.startsWith('--task-memory must be a size such as 512k, 256m or 1g (at least 64k), got'), String(bad))
  }
})

TaskMemory('node and run take --task-memory; a bad value is a usage error naming the flag', () => {
  assert.is((parseCommandLine(['node', '--task-memory', '1g']) as NodeCommand).taskMemory, 1024 ** 3)
  assert.is((parseCommandLine(['run', 'job.ts', '--task-memory=64m']) as RunCommand).taskMemory, 64 * 1024 ** 2)
  assert.is((parseCommandLine(['node']) as NodeCommand).taskMemory, undefined)
  assert.throws(() => parseCommandLine(['node', '--task-memory', 'big']), (e: Error) => e.name === 'UsageError' && e.message === '--task-memory must be a size such as 512k, 256m or 1g (at least 64k), got "big"')
})

TaskMemory('run --task-memory is for an embedded run: with --mesh it is refused', async () => {
  const command = parseCommandLine(['run', 'job.ts', '--mesh', '/ip4/127.0.0.1/tcp/1', '--task-memory', '1g']) as RunCommand
  const io = { env: {}, cwd: process.cwd() } as unknown as CliIo
  try {
    await runCommand(command, io)
    assert.unreachable('refused')
  } catch (e) {
    assert.is((e as Error).message, '--task-memory is for an embedded run (without --mesh): a mesh keeps its own data')
  }
})

TaskMemory.run()
