import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { runCli, startCli } from './spawn-cli.ts'

const F = 'test/cli/fixtures'

function lines (text: string): string[] {
  return text.split('\n').filter(l => l.length > 0)
}

/** The JSON record of a `print('seen')` line; the sink adds `:<subtask>` at parallelism > 1. */
function seen (stdout: string): { args: Record<string, string>, parallelism: number, maxParallelism: number } {
  const [line] = lines(stdout)
  const m = /^seen(?::\d+)?> (.*)$/.exec(line ?? '')
  assert.ok(m, `unexpected output: ${stdout}`)
  return JSON.parse(m[1]!)
}

/** The one stderr line of a failed command (asserts there is exactly one). */
function oneErrorLine (stderr: string): string {
  const ls = lines(stderr)
  assert.is(ls.length, 1, `expected one line on stderr, got:\n${stderr}`)
  assert.not.match(stderr, /\n\s+at /, 'no stack trace')
  return ls[0]!
}

test('meshflow run runs a bounded job, prints its output and exits 0 with a summary line', async () => {
  const r = await runCli(['run', `${F}/words.ts`])
  assert.is(r.code, 0, r.stderr)
  assert.equal(lines(r.stdout), ['count> to=1', 'count> be=1', 'count> or=1', 'count> not=1', 'count> to=2', 'count> be=2'])
  assert.match(oneErrorLine(r.stderr), /^meshflow: Job 'words' finished in \d+ ms \(6 source records\)$/)
})

test('meshflow run passes the job arguments after -- to build, and --parallelism to the environment', async () => {
  const r = await runCli(['run', `${F}/echo-args.ts`, '--parallelism', '3', '--max-parallelism', '64', '--',
    '--count', '10', '--verbose', '--out=out/x', '--offset', '-5'])
  assert.is(r.code, 0, r.stderr)
  assert.equal(seen(r.stdout), {
    args: { count: '10', verbose: 'true', out: 'out/x', offset: '-5' }, parallelism: 3, maxParallelism: 64
  })
})

test('meshflow run accepts a flag after the job file and -p as --parallelism', async () => {
  const r = await runCli(['run', '-p', '2', `${F}/echo-args.ts`])
  assert.is(r.code, 0, r.stderr)
  assert.is(seen(r.stdout).parallelism, 2)
})

test('meshflow run exits 1 with one line naming the operator when a map throws', async () => {
  const r = await runCli(['run', `${F}/failing-map.ts`])
  assert.is(r.code, 1)
  assert.is(oneErrorLine(r.stderr), "meshflow: Job 'failing-map' failed: Operator 'parse' (uid p1) failed: boom")
})

test('meshflow run prints stack traces of a failure when MESHFLOW_DEBUG=1', async () => {
  const r = await runCli(['run', `${F}/failing-map.ts`], { MESHFLOW_DEBUG: '1' })
  assert.is(r.code, 1)
  assert.is(lines(r.stderr)[0], "meshflow: Job 'failing-map' failed: Operator 'parse' (uid p1) failed: boom")
  assert.match(r.stderr, /\n\s+at /)
  assert.match(r.stderr, /Error: boom/)
})

test('meshflow run exits 1 with one line when build throws', async () => {
  const r = await runCli(['run', `${F}/build-throws.ts`, '--', '--mode', 'fast'])
  assert.is(r.code, 1)
  assert.is(oneErrorLine(r.stderr), "meshflow: Job 'build-throws' failed: Bad configuration: fast")
})

test('meshflow run exits 2 naming an unknown flag', async () => {
  const r = await runCli(['run', `${F}/words.ts`, '--paralelism', '2'])
  assert.is(r.code, 2)
  assert.match(oneErrorLine(r.stderr), /^meshflow: Unknown flag --paralelism\b/)
  assert.is(r.stdout, '')
})

test('meshflow run exits 2 naming a flag with a missing or invalid value', async () => {
  const missing = await runCli(['run', `${F}/words.ts`, '--parallelism'])
  assert.is(missing.code, 2)
  assert.is(oneErrorLine(missing.stderr), 'meshflow: --parallelism needs a value')
  const invalid = await runCli(['run', `${F}/words.ts`, '--parallelism', 'two'])
  assert.is(invalid.code, 2)
  assert.is(oneErrorLine(invalid.stderr), "meshflow: --parallelism needs a positive integer, got 'two'")
  const zero = await runCli(['run', `${F}/words.ts`, '--max-parallelism=0'])
  assert.is(zero.code, 2)
  assert.is(oneErrorLine(zero.stderr), "meshflow: --max-parallelism needs a positive integer, got '0'")
})

test('meshflow run exits 2 on a stray job argument', async () => {
  const r = await runCli(['run', `${F}/echo-args.ts`, '--', 'stray'])
  assert.is(r.code, 2)
  assert.is(oneErrorLine(r.stderr), "meshflow: Unexpected job argument 'stray': job arguments are --key value pairs")
})

test('meshflow run reports a missing job file in one line', async () => {
  const r = await runCli(['run', `${F}/no-such-job.ts`])
  assert.is(r.code, 1)
  assert.is(oneErrorLine(r.stderr), `meshflow: Job file not found: ${F}/no-such-job.ts`)
})

test('meshflow run reports a module that is not a job in one line', async () => {
  const r = await runCli(['run', `${F}/not-a-job.ts`])
  assert.is(r.code, 1)
  assert.match(oneErrorLine(r.stderr), /^meshflow: test\/cli\/fixtures\/not-a-job\.ts has a default export that is not a job: .*defineJob/)
})

test('meshflow run without a job file exits 2', async () => {
  const r = await runCli(['run'])
  assert.is(r.code, 2)
  assert.match(oneErrorLine(r.stderr), /^meshflow: 'run' needs a job file/)
})

test('meshflow run --detach without --mesh is rejected', async () => {
  const r = await runCli(['run', `${F}/words.ts`, '--detach'])
  assert.is(r.code, 2)
  assert.match(oneErrorLine(r.stderr), /^meshflow: --detach needs --mesh/)
})

test('meshflow run --mesh against an address where no peer listens fails in one line naming the address', async () => {
  const r = await runCli(['run', `${F}/words.ts`, '--mesh', '/ip4/127.0.0.1/tcp/1'])
  assert.is(r.code, 1)
  assert.match(oneErrorLine(r.stderr), /^meshflow: .*\/ip4\/127\.0\.0\.1\/tcp\/1.*(refused|no answer)/)
  assert.is(r.stdout, '')
})

test('meshflow run --mesh refuses the embedded run\'s flags, naming the flag', async () => {
  for (const flag of [['--resume'], ['--listen', '/ip4/127.0.0.1/tcp/0'], ['--data-dir', 'd'], ['--api', '8080']]) {
    const r = await runCli(['run', `${F}/words.ts`, '--mesh', '/ip4/127.0.0.1/tcp/1', ...flag])
    assert.is(r.code, 2, flag.join(' '))
    assert.is(oneErrorLine(r.stderr), `meshflow: ${flag[0]!} is for an embedded run (without --mesh): a mesh keeps its own data`)
  }
})

test('meshflow run --psk without --mesh is a usage error', async () => {
  const r = await runCli(['run', `${F}/words.ts`, '--psk', 'k'])
  assert.is(r.code, 2)
  assert.is(oneErrorLine(r.stderr), "meshflow: --psk needs --mesh or --listen: it is the key of the mesh a job is submitted to, or of the embedded run's listener")
})

test('meshflow run --from-savepoint without --mesh looks in the embedded data dir, and --allow-non-restored-state needs it', async () => {
  const r = await runCli(['run', `${F}/words.ts`, '--from-savepoint', 'before-v2'])
  assert.is(r.code, 1)
  assert.match(oneErrorLine(r.stderr), /^meshflow: .*No savepoint named 'before-v2'$/)
  const both = await runCli(['run', `${F}/words.ts`, '--from-savepoint', 'before-v2', '--resume'])
  assert.is(both.code, 2)
  assert.match(oneErrorLine(both.stderr), /^meshflow: --resume and --from-savepoint exclude each other/)
  const allow = await runCli(['run', `${F}/words.ts`, '--allow-non-restored-state'])
  assert.is(allow.code, 2)
  assert.match(oneErrorLine(allow.stderr), /^meshflow: --allow-non-restored-state needs --from-savepoint NAME/)
})

test('meshflow savepoints, savepoint, stop and savepoint --delete need a mesh address', async () => {
  for (const args of [['savepoints', '--json'], ['savepoint', 'j1', 'before-v2'], ['stop', 'j1', '--savepoint', 'sp'], ['savepoint', '--delete', 'sp']]) {
    const r = await runCli(args)
    assert.is(r.code, 2, args.join(' '))
    assert.is(oneErrorLine(r.stderr), `meshflow: '${args[0]!}' needs --mesh MA (or MESHFLOW_MESH): the multiaddr of any peer of the mesh`)
  }
})

test('meshflow savepoint with a bad name is a usage error before anything connects', async () => {
  const r = await runCli(['savepoint', 'j1', 'a/b', '--mesh', '/ip4/127.0.0.1/tcp/1'])
  assert.is(r.code, 2)
  assert.is(oneErrorLine(r.stderr), "meshflow: NAME \"a/b\" is not a valid savepoint name: use 1 to 200 characters, without '/' or control characters")
})

test('meshflow jobs and cancel need a mesh address', async () => {
  for (const args of [['jobs'], ['cancel', 'j1']]) {
    const r = await runCli(args)
    assert.is(r.code, 2, args.join(' '))
    assert.match(oneErrorLine(r.stderr), new RegExp(`^meshflow: '${args[0]!}' needs --mesh MA`))
  }
})

test('meshflow checks the flags of the mesh commands too', async () => {
  const r = await runCli(['node', '--slots', 'many'])
  assert.is(r.code, 2)
  assert.is(oneErrorLine(r.stderr), "meshflow: --slots needs a positive integer, got 'many'")
})

test('meshflow with an unknown command or none exits 2', async () => {
  const unknown = await runCli(['launch'])
  assert.is(unknown.code, 2)
  assert.is(oneErrorLine(unknown.stderr), "meshflow: Unknown command 'launch' (see meshflow --help)")
  const none = await runCli([])
  assert.is(none.code, 2)
  assert.is(oneErrorLine(none.stderr), 'meshflow: Missing command (see meshflow --help)')
})

test('meshflow --help, help and run --help print usage', async () => {
  const help = await runCli(['--help'])
  assert.is(help.code, 0)
  assert.match(help.stdout, /^Usage: meshflow <command>/)
  assert.match(help.stdout, /meshflow run JOB\.ts/)
  assert.match(help.stdout, /meshflow node/)
  const helpCmd = await runCli(['help'])
  assert.is(helpCmd.stdout, help.stdout)
  const runHelp = await runCli(['run', '--help'])
  assert.is(runHelp.code, 0)
  assert.match(runHelp.stdout, /^Usage: meshflow run JOB\.ts/)
  assert.match(runHelp.stdout, /--parallelism N/)
})

test('meshflow --version prints the package version', async () => {
  const { readFileSync } = await import('node:fs')
  const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
  const r = await runCli(['--version'])
  assert.is(r.code, 0)
  assert.is(r.stdout, `${version}\n`)
})

test('meshflow run cancels the job on SIGINT and exits 130', async () => {
  const run = startCli(['run', `${F}/endless.ts`])
  await run.waitForStdout('tick 3\n')
  run.child.kill('SIGINT')
  const r = await run.done
  assert.is(r.code, 130)
  assert.is(oneErrorLine(r.stderr), "meshflow: Job 'endless' was cancelled")
})

test.run()
