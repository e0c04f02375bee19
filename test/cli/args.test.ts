import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { parseArgs, type FlagSpecs } from '../../node/cli/args.ts'
import { parseCommandLine } from '../../node/cli/command-line.ts'
import { parseJobArgs } from '../../node/cli/job-args.ts'

const SPECS: FlagSpecs = { parallelism: { type: 'int', alias: 'p' }, label: { type: 'string', multiple: true }, json: { type: 'boolean' } }

function throwsUsage (fn: () => unknown, message: string | RegExp): void {
  try {
    fn()
  } catch (err) {
    assert.is((err as Error).name, 'UsageError')
    if (typeof message === 'string') assert.is((err as Error).message, message)
    else assert.match((err as Error).message, message)
    return
  }
  assert.unreachable('expected a UsageError')
}

test('parseArgs reads --flag value, --flag=value, aliases, repeated and boolean flags', () => {
  const p = parseArgs(['a', '-p', '4', '--label=x=1', '--label', 'y=2', '--json', 'b'], SPECS, { command: 't' })
  assert.equal(p.positionals, ['a', 'b'])
  assert.equal({ ...p.flags }, { parallelism: 4, label: ['x=1', 'y=2'], json: true })
  assert.is(p.rest, undefined)
})

test('parseArgs returns everything after -- untouched when the command allows it', () => {
  const p = parseArgs(['x', '--', '--parallelism', 'zz', 'y'], SPECS, { command: 't', rest: true })
  assert.equal(p.rest, ['--parallelism', 'zz', 'y'])
  throwsUsage(() => parseArgs(['--', 'y'], SPECS, { command: 't' }), "'t' takes no arguments after --")
})

test('parseArgs rejects unknown flags, missing and invalid values, and repeats, naming the flag', () => {
  throwsUsage(() => parseArgs(['--nope'], SPECS, { command: 't' }), /^Unknown flag --nope for 't'/)
  throwsUsage(() => parseArgs(['-x'], SPECS, { command: 't' }), /^Unknown flag -x for 't'/)
  throwsUsage(() => parseArgs(['--parallelism'], SPECS, { command: 't' }), '--parallelism needs a value')
  throwsUsage(() => parseArgs(['--parallelism', '--json'], SPECS, { command: 't' }), '--parallelism needs a value')
  throwsUsage(() => parseArgs(['-p', '1.5'], SPECS, { command: 't' }), "--parallelism needs a positive integer, got '1.5'")
  throwsUsage(() => parseArgs(['-p', '-1'], SPECS, { command: 't' }), "--parallelism needs a positive integer, got '-1'")
  throwsUsage(() => parseArgs(['-p', '2', '-p', '3'], SPECS, { command: 't' }), '--parallelism is given more than once')
  throwsUsage(() => parseArgs(['--json=yes'], SPECS, { command: 't' }), "--json takes no value, got 'yes'")
  throwsUsage(() => parseArgs(['--label='], SPECS, { command: 't' }), '--label needs a non-empty value')
})

test('parseJobArgs turns --key value pairs into an args object', () => {
  assert.equal({ ...parseJobArgs(['--count', '10', '--verbose', '--out=a=b', '--offset', '-5', '--last']) },
    { count: '10', verbose: 'true', out: 'a=b', offset: '-5', last: 'true' })
  assert.equal({ ...parseJobArgs([]) }, {})
  const odd = parseJobArgs(['--constructor', 'x', '--__proto__', 'y'])
  assert.is(odd.constructor, 'x')
  assert.is(odd.__proto__, 'y')
})

test('parseJobArgs rejects stray positionals, empty names and repeated keys', () => {
  throwsUsage(() => parseJobArgs(['--a', '1', 'b', '2']), "Unexpected job argument 'b': job arguments are --key value pairs")
  throwsUsage(() => parseJobArgs(['x']), "Unexpected job argument 'x': job arguments are --key value pairs")
  throwsUsage(() => parseJobArgs(['--', 'x']), /needs a name/)
  throwsUsage(() => parseJobArgs(['--a', '1', '--a', '2']), 'Job argument --a is given more than once')
})

test('parseCommandLine parses run with its flags and job arguments', () => {
  assert.equal(parseCommandLine(['run', 'job.ts', '--parallelism', '2', '--', '--count', '5']), {
    type: 'run', job: 'job.ts', parallelism: 2, maxParallelism: undefined, mesh: undefined, fromSavepoint: undefined,
    allowNonRestoredState: false, detach: false, psk: undefined, listen: [], api: undefined, dataDir: undefined, resume: false, threads: undefined, jobArgs: ['--count', '5']
  })
  throwsUsage(() => parseCommandLine(['run', 'a.ts', 'b.ts']), /^Unexpected argument 'b\.ts' for 'run'/)
})

test('parseCommandLine parses the embedded run flags --listen (repeated), --api, --data-dir and --resume', () => {
  const r = parseCommandLine(['run', 'job.ts', '--listen', '/ip4/127.0.0.1/tcp/0', '--data-dir=d', '--listen=/ip4/127.0.0.1/tcp/7001', '--api', '8080', '--resume', '-dp4'])
  assert.equal(r, {
    type: 'run', job: 'job.ts', parallelism: 4, maxParallelism: undefined, mesh: undefined, fromSavepoint: undefined, allowNonRestoredState: false,
    detach: true, psk: undefined, listen: ['/ip4/127.0.0.1/tcp/0', '/ip4/127.0.0.1/tcp/7001'], api: 8080, dataDir: 'd', resume: true, threads: undefined, jobArgs: []
  })
  assert.is((parseCommandLine(['run', 'job.ts', '--threads', '0']) as { threads: number }).threads, 0)
  assert.is((parseCommandLine(['run', 'job.ts', '--threads=3']) as { threads: number }).threads, 3)
  throwsUsage(() => parseCommandLine(['run', 'job.ts', '--threads', '-1']), "--threads needs 0 or a positive integer, got '-1'")
  throwsUsage(() => parseCommandLine(['node', '--threads', '1.5']), "--threads needs 0 or a positive integer, got '1.5'")
  throwsUsage(() => parseCommandLine(['run', 'job.ts', '--api', 'http']), "--api needs a positive integer, got 'http'")
  throwsUsage(() => parseCommandLine(['run', 'job.ts', '--api']), '--api needs a value')
  throwsUsage(() => parseCommandLine(['run', 'job.ts', '--data-dir', 'a', '--data-dir', 'b']), '--data-dir is given more than once')
  throwsUsage(() => parseCommandLine(['run', 'job.ts', '--resume=1']), "--resume takes no value, got '1'")
  throwsUsage(() => parseCommandLine(['run', 'job.ts', '--listen', '--resume']), '--listen needs a value')
  throwsUsage(() => parseCommandLine(['run', 'job.ts', '--from-savepoint', '--', 'x']), '--from-savepoint needs a value')
  throwsUsage(() => parseCommandLine(['keygen', '--', 'x']), "'keygen' takes no arguments after --")
  assert.equal(parseCommandLine(['run', 'job.ts', '--nope', '--help']), { type: 'help', topic: 'run' })
})

test('parseCommandLine: node --bootstrap-expect N (at most the voter count) and --force-new-mesh (not both)', () => {
  const node = (...args: string[]): unknown => parseCommandLine(['node', ...args])
  assert.equal((node('--bootstrap-expect', '3') as { bootstrapExpect: number }).bootstrapExpect, 3)
  assert.equal((node('--bootstrap-expect', '7', '--max-voters', '7') as { bootstrapExpect: number }).bootstrapExpect, 7)
  assert.equal((node('--force-new-mesh') as { forceNewMesh: boolean }).forceNewMesh, true)
  throwsUsage(() => node('--bootstrap-expect', '6'), '--bootstrap-expect 6 exceeds the number of voters (5, see --max-voters)')
  throwsUsage(() => node('--bootstrap-expect', '4', '--max-voters', '3'), '--bootstrap-expect 4 exceeds the number of voters (3, see --max-voters)')
  throwsUsage(() => node('--bootstrap-expect', '0'), "--bootstrap-expect needs a positive integer, got '0'")
  throwsUsage(() => node('--bootstrap-expect', '3', '--force-new-mesh'), '--bootstrap-expect and --force-new-mesh exclude each other')
})

test('parseCommandLine parses the mesh commands of DESIGN §7', () => {
  assert.equal(parseCommandLine(['node', '--listen', '/ip4/0.0.0.0/tcp/7000', '--label', 'tier=edge', '--slots', '2']), {
    type: 'node', listen: ['/ip4/0.0.0.0/tcp/7000'], bootstrap: [], dataDir: undefined, slots: 2, threads: undefined, labels: ['tier=edge'], psk: undefined, api: undefined,
    mdns: true, maxVoters: undefined, repair: false, scrubIntervalS: undefined, scrubRate: undefined, bootstrapExpect: undefined, forceNewMesh: false
  })
  assert.equal(parseCommandLine(['node', '--no-mdns', '--max-voters', '3', '--psk', 'k', '--api', '8080', '--bootstrap', '/ip4/10.0.0.1/tcp/7000',
    '--bootstrap', '/ip4/10.0.0.2/tcp/7000', '--data-dir', 'd', '--repair', '--scrub-interval', '60', '--scrub-rate', '1048576']), {
    type: 'node', listen: [], bootstrap: ['/ip4/10.0.0.1/tcp/7000', '/ip4/10.0.0.2/tcp/7000'], dataDir: 'd', slots: undefined, threads: undefined, labels: [], psk: 'k', api: 8080,
    mdns: false, maxVoters: 3, repair: true, scrubIntervalS: 60, scrubRate: 1048576, bootstrapExpect: undefined, forceNewMesh: false
  })
  assert.equal(parseCommandLine(['jobs', '--json']), { type: 'jobs', mesh: undefined, json: true, psk: undefined })
  assert.equal(parseCommandLine(['status', '--mesh', '/ip4/127.0.0.1/tcp/7000', '--psk', 'k']), { type: 'status', mesh: '/ip4/127.0.0.1/tcp/7000', json: false, psk: 'k' })
  assert.equal(parseCommandLine(['keygen', '--out', 'k']), { type: 'keygen', out: 'k' })
  throwsUsage(() => parseCommandLine(['node', '--label', 'a=1', '--label', 'a=2']), '--label a is given more than once')
  throwsUsage(() => parseCommandLine(['node', '--no-mdns=yes']), "--no-mdns takes no value, got 'yes'")
  throwsUsage(() => parseCommandLine(['node', '--max-voters', '0']), "--max-voters needs a positive integer, got '0'")
  assert.equal(parseCommandLine(['stop', 'j1', '--savepoint', 'sp', '--drain']), { type: 'stop', jobId: 'j1', savepoint: 'sp', drain: true, mesh: undefined, psk: undefined })
  assert.equal(parseCommandLine(['cancel', 'j1', '--mesh', '/ip4/127.0.0.1/tcp/7000', '--psk', 'k']), { type: 'cancel', jobId: 'j1', savepoint: undefined, drain: false, mesh: '/ip4/127.0.0.1/tcp/7000', psk: 'k' })
  throwsUsage(() => parseCommandLine(['stop', 'j1']), "'stop' needs --savepoint NAME")
  throwsUsage(() => parseCommandLine(['savepoint', 'j1']), /^'savepoint' needs a savepoint NAME/)
  throwsUsage(() => parseCommandLine(['node', '--label', 'edge']), "--label needs key=value, got 'edge'")
})

test('parseCommandLine parses savepoint, stop --savepoint [--drain] and savepoint --delete', () => {
  const mesh = '/ip4/127.0.0.1/tcp/7000'
  assert.equal(parseCommandLine(['savepoint', 'j1', 'before-v2', '--mesh', mesh, '--psk', 'k']),
    { type: 'savepoint', jobId: 'j1', savepoint: 'before-v2', drain: false, mesh, psk: 'k' })
  assert.equal((parseCommandLine(['savepoint', 'j1', 'nightly 2026-11-24 (ü)']) as { savepoint?: string }).savepoint, 'nightly 2026-11-24 (ü)')
  assert.equal(parseCommandLine(['stop', 'j1', '--savepoint', 'sp', '--psk', 'k']), { type: 'stop', jobId: 'j1', savepoint: 'sp', drain: false, mesh: undefined, psk: 'k' })
  assert.equal(parseCommandLine(['savepoint', '--delete', 'before-v2', '--mesh', mesh]), { type: 'delete-savepoint', savepoint: 'before-v2', mesh, psk: undefined })
  assert.equal(parseCommandLine(['savepoint', 'before-v2', '--delete']), { type: 'delete-savepoint', savepoint: 'before-v2', mesh: undefined, psk: undefined })
  assert.equal(parseCommandLine(['savepoints', '--json', '--mesh', mesh]), { type: 'savepoints', mesh, json: true, psk: undefined })
  assert.equal(parseCommandLine(['savepoint', '--delete', '--help']), { type: 'help', topic: 'savepoint' })
})

test('parseCommandLine rejects savepoint command lines, naming what is wrong', () => {
  throwsUsage(() => parseCommandLine(['savepoint', '--delete']), "'savepoint --delete' needs a savepoint NAME (usage: meshflow savepoint --delete NAME)")
  throwsUsage(() => parseCommandLine(['savepoint', '--delete', 'j1', 'sp']), "Unexpected argument 'sp' for 'savepoint --delete' (usage: meshflow savepoint --delete NAME)")
  throwsUsage(() => parseCommandLine(['savepoint', 'j1', 'sp', 'x']), "Unexpected argument 'x' for 'savepoint' (usage: meshflow savepoint JOB_ID NAME)")
  throwsUsage(() => parseCommandLine(['savepoint']), "'savepoint' needs a JOB_ID (usage: meshflow savepoint JOB_ID NAME)")
  throwsUsage(() => parseCommandLine(['savepoint', 'j1', 'sp', '--drain']), /^Unknown flag --drain for 'savepoint'/)
  throwsUsage(() => parseCommandLine(['savepoint', '--delete=yes', 'sp']), "--delete takes no value, got 'yes'")
  const invalid = (what: string, name: string): string => `${what} ${name} is not a valid savepoint name: use 1 to 200 characters, without '/' or control characters`
  throwsUsage(() => parseCommandLine(['savepoint', 'j1', 'a/b']), invalid('NAME', '"a/b"'))
  throwsUsage(() => parseCommandLine(['savepoint', 'j1', '']), invalid('NAME', '""'))
  throwsUsage(() => parseCommandLine(['savepoint', '--delete', 'a\tb']), invalid('NAME', '"a\\tb"'))
  throwsUsage(() => parseCommandLine(['savepoint', 'j1', 'x'.repeat(201)]), invalid('NAME', `"${'x'.repeat(60)}…"`))
  throwsUsage(() => parseCommandLine(['stop', 'j1', '--savepoint', '../up']), invalid('--savepoint', '"../up"'))
  throwsUsage(() => parseCommandLine(['stop', 'j1', '--drain']), "'stop' needs --savepoint NAME")
  throwsUsage(() => parseCommandLine(['stop', '--savepoint', 'sp']), "'stop' needs a JOB_ID (usage: meshflow stop JOB_ID --savepoint NAME [--drain])")
  throwsUsage(() => parseCommandLine(['savepoints', 'x']), "Unexpected argument 'x' for 'savepoints' (usage: meshflow savepoints [--mesh MA] [--json] [--psk FILE])")
})

test('parseCommandLine parses run --from-savepoint [--allow-non-restored-state] and checks them', () => {
  const r = parseCommandLine(['run', 'job.ts', '--mesh', '/ip4/127.0.0.1/tcp/7000', '--from-savepoint', 'before-v2', '--allow-non-restored-state'])
  assert.equal(r, {
    type: 'run', job: 'job.ts', parallelism: undefined, maxParallelism: undefined, mesh: '/ip4/127.0.0.1/tcp/7000', fromSavepoint: 'before-v2',
    allowNonRestoredState: true, detach: false, psk: undefined, listen: [], api: undefined, dataDir: undefined, resume: false, threads: undefined, jobArgs: []
  })
  assert.is((parseCommandLine(['run', 'job.ts', '--from-savepoint=sp']) as { fromSavepoint?: string }).fromSavepoint, 'sp')
  throwsUsage(() => parseCommandLine(['run', 'job.ts', '--allow-non-restored-state']),
    '--allow-non-restored-state needs --from-savepoint NAME: it says what to do with state the savepoint has and the job lacks')
  throwsUsage(() => parseCommandLine(['run', 'job.ts', '--from-savepoint', 'a/b']),
    "--from-savepoint \"a/b\" is not a valid savepoint name: use 1 to 200 characters, without '/' or control characters")
  throwsUsage(() => parseCommandLine(['run', 'job.ts', '--from-savepoint']), '--from-savepoint needs a value')
})

test('parseCommandLine handles help, version and unknown commands', () => {
  assert.equal(parseCommandLine(['--help']), { type: 'help', topic: undefined })
  assert.equal(parseCommandLine(['help', 'run']), { type: 'help', topic: 'run' })
  assert.equal(parseCommandLine(['jobs', '-h']), { type: 'help', topic: 'jobs' })
  assert.equal(parseCommandLine(['run', 'job.ts', '--', '--help']).type, 'run')
  assert.equal(parseCommandLine(['--version']), { type: 'version' })
  throwsUsage(() => parseCommandLine(['--parallelism', '2']), /^Unknown flag --parallelism \(a command comes first/)
  throwsUsage(() => parseCommandLine(['help', 'nope']), "Unknown command 'nope' (see meshflow --help)")
})

test.run()
