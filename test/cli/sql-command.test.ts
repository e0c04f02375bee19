import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { spawn } from 'node:child_process'
import { runCli, BIN, type CliResult } from './spawn-cli.ts'

const test = suite('meshflow sql (one statement, embedded)')

let dir = ''

/** Runs `meshflow ...args` in `dir` on the embedded store `dir/data`. */
async function cli (args: readonly string[], env: Record<string, string> = {}): Promise<CliResult> {
  return await runCli(args, { MESHFLOW_DATA_DIR: join(dir, 'data'), ...env }, dir)
}

function ok (r: CliResult, what: string): CliResult {
  assert.is(r.code, 0, `${what}: exit ${String(r.code)}, stderr ${r.stderr}`)
  assert.is(r.stderr, '', what)
  return r
}

/** The time in `N rows (0.12 s)` varies: replaced by `T`. */
function timeless (text: string): string {
  return text.replace(/\((\d+\.\d\d) s\)/g, '(T s)')
}

/** A usage error: exit 2, one line on stderr naming `expected`, nothing on stdout. */
function usageError (r: CliResult, expected: string): void {
  assert.is(r.code, 2, r.stderr)
  assert.is(r.stdout, '')
  const lines = r.stderr.trimEnd().split('\n')
  assert.is(lines.length, 1, r.stderr)
  assert.ok(lines[0]!.startsWith('meshflow: ') && lines[0]!.includes(expected), lines[0])
}

const QUERY = 'SELECT id, name, amount, big, ts, CAST(ts AS DATE) AS day, ok FROM t ORDER BY id'

test.before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'meshflow-sql-'))
  await writeFile(join(dir, 't.csv'), [
    'id,name,amount,big,ts,ok',
    '1,plain,1.5,9007199254740993,2024-03-01T10:00:00Z,true',
    '2,"with, comma",,-3,2024-03-02T00:00:00.250Z,false',
    '3,"say ""hi""",-0.25,,2024-03-03T23:59:59Z,',
    ''
  ].join('\n'))
  ok(await cli(['dataset', 'import', 't', 't.csv', '--format', 'csv', '--schema', 'id:int64,name:string,amount:number,big:int64,ts:timestamp,ok:boolean']), 'import')
})
test.after(async () => { await rm(dir, { recursive: true, force: true }) })

test('sqlCommand prints rows as an aligned table with the row count and time', async () => {
  const r = ok(await cli(['sql', QUERY]), 'table')
  assert.is(timeless(r.stdout), [
    'id  name         amount               big  ts                       day         ok',
    ' 1  plain           1.5  9007199254740993  2024-03-01 10:00:00      2024-03-01  true',
    ' 2  with, comma    NULL                -3  2024-03-02 00:00:00.250  2024-03-02  false',
    ' 3  say "hi"      -0.25              NULL  2024-03-03 23:59:59      2024-03-03  NULL',
    '3 rows (T s)',
    ''
  ].join('\n'))
})

test('sqlCommand --format json prints one array of row objects (big BIGINTs as strings, ISO timestamps, DATE as YYYY-MM-DD)', async () => {
  const r = ok(await cli(['sql', QUERY, '--format', 'json']), 'json')
  assert.is(r.stdout, JSON.stringify([
    { id: 1, name: 'plain', amount: 1.5, big: '9007199254740993', ts: '2024-03-01T10:00:00.000Z', day: '2024-03-01', ok: true },
    { id: 2, name: 'with, comma', amount: null, big: -3, ts: '2024-03-02T00:00:00.250Z', day: '2024-03-02', ok: false },
    { id: 3, name: 'say "hi"', amount: -0.25, big: null, ts: '2024-03-03T23:59:59.000Z', day: '2024-03-03', ok: null }
  ]) + '\n')
})

test('sqlCommand --format csv prints a header, RFC 4180 quoting and NULL as an empty field', async () => {
  const r = ok(await cli(['sql', QUERY + ';', '--format', 'csv']), 'csv')
  assert.is(r.stdout, [
    'id,name,amount,big,ts,day,ok',
    '1,plain,1.5,9007199254740993,2024-03-01T10:00:00.000Z,2024-03-01,true',
    '2,"with, comma",,-3,2024-03-02T00:00:00.250Z,2024-03-02,false',
    '3,"say ""hi""",-0.25,,2024-03-03T23:59:59.000Z,2024-03-03,',
    ''
  ].join('\n'))
})

test('sqlCommand prints an empty result as the heading and 0 rows', async () => {
  const r = ok(await cli(['sql', 'SELECT id, name FROM t WHERE id > 10']), 'empty')
  assert.is(timeless(r.stdout), 'id  name\n0 rows (T s)\n')
  assert.is(ok(await cli(['sql', 'SELECT id, name FROM t WHERE id > 10', '--format', 'json']), 'empty json').stdout, '[]\n')
  assert.is(ok(await cli(['sql', 'SELECT id, name FROM t WHERE id > 10', '--format', 'csv']), 'empty csv').stdout, 'id,name\n')
})

test('sqlCommand prints EXPLAIN, SHOW TABLES and DESCRIBE', async () => {
  const explain = ok(await cli(['sql', 'EXPLAIN SELECT name FROM t WHERE amount > 1']), 'explain').stdout
  assert.match(explain, /^Logical plan:\n/)
  assert.match(explain, /\n\nPhysical plan:\n/)
  assert.match(explain, /Scan t@1/)
  assert.is(timeless(ok(await cli(['sql', 'SHOW TABLES']), 'show').stdout), 'name\nt\n1 row (T s)\n')
  assert.is(timeless(ok(await cli(['sql', 'DESCRIBE t']), 'describe').stdout), [
    'column_name  column_type  null',
    'id           BIGINT       NO',
    'name         VARCHAR      NO',
    'amount       DOUBLE       YES',
    'big          BIGINT       YES',
    'ts           TIMESTAMP    NO',
    'ok           BOOLEAN      YES',
    '6 rows (T s)',
    ''
  ].join('\n'))
})

test('sqlCommand prints what CREATE TABLE AS did, and the new dataset answers queries', async () => {
  const created = ok(await cli(['sql', 'CREATE TABLE named AS SELECT id, name FROM t WHERE amount IS NOT NULL']), 'create')
  assert.is(created.stdout, 'Created named with 2 rows\n')
  assert.is(ok(await cli(['sql', 'SELECT name FROM named ORDER BY name', '--format', 'csv']), 'query it').stdout, 'name\nplain\n"say ""hi"""\n')
})

test('sqlCommand prints a SQL error with the query line and a caret on stderr and exits 2', async () => {
  const r = await cli(['sql', 'SELECT id, amout FROM t'])
  assert.is(r.code, 2, r.stderr)
  assert.is(r.stdout, '')
  assert.is(r.stderr, [
    "meshflow: Unknown column 'amout' at 1:12 — did you mean 'amount'?",
    'SELECT id, amout FROM t',
    '           ^',
    ''
  ].join('\n'))
  // on the line of the problem, however many lines the query has
  const syntax = await cli(['sql', 'SELECT id\n  FROM t\n  WHERE amount >'])
  assert.is(syntax.code, 2, syntax.stderr)
  const [message, line, caret, end] = syntax.stderr.split('\n')
  const column = /^meshflow: Syntax error at 3:(\d+)/.exec(message!)
  assert.ok(column !== null, message)
  assert.is(line, '  WHERE amount >')
  assert.is(caret, ' '.repeat(Number(column[1]) - 1) + '^')
  assert.is(end, '')
})

test('sqlCommand refuses a bad command line with exit 2, naming the flag', async () => {
  usageError(await cli(['sql', 'SELECT 1', '--bogus']), "Unknown flag --bogus for 'sql'")
  usageError(await cli(['sql', 'SELECT 1', '--format', 'xml']), "--format must be table, json or csv, got 'xml'")
  usageError(await cli(['sql', 'SELECT 1', '--parallelism', '0']), '--parallelism needs a positive integer')
  usageError(await cli(['sql', 'SELECT 1', 'SELECT 2']), "Unexpected argument 'SELECT 2' for 'sql'")
  usageError(await cli(['sql', 'SELECT 1; SELECT 2']), "'meshflow sql' runs one statement, QUERY holds 2")
  usageError(await cli(['sql', 'SELECT 1', '--mesh', 'nowhere']), '--mesh')
  usageError(await cli(['sql', 'SELECT 1', '--mesh', '/ip4/127.0.0.1/tcp/1', '--data-dir', 'd']), '--data-dir is for the embedded peer (without --mesh)')
  usageError(await cli(['sql', 'SELECT 1', '--psk', 'key']), '--psk needs --mesh')
})

/** `meshflow sql` with `script` piped into its stdin. */
async function piped (script: string): Promise<CliResult> {
  const child = spawn(process.execPath, [BIN, 'sql'], {
    cwd: dir,
    env: { ...process.env, MESHFLOW_DEBUG: undefined, MESHFLOW_MESH: undefined, MESHFLOW_DATA_DIR: join(dir, 'data') },
    stdio: ['pipe', 'pipe', 'pipe']
  })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d })
  child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d })
  child.stdin.end(script)
  return await new Promise((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (code, signal) => { resolve({ code, signal, stdout, stderr }) })
  })
}

test('sqlCommand runs the statements of a script piped in, without prompts, and stops at the first error', async () => {
  const r = ok(await piped("SELECT 'a;b' AS s;\nSELECT id\n  FROM t\n  WHERE id < 3 ORDER BY id; SELECT 3 AS three"), 'script')
  assert.is(timeless(r.stdout), 's\na;b\n1 row (T s)\nid\n 1\n 2\n2 rows (T s)\nthree\n    3\n1 row (T s)\n')
  const failed = await piped('SELECT 1 AS one;\nSELECT nope FROM t;\nSELECT 2 AS two;\n')
  assert.is(failed.code, 2, failed.stderr)
  assert.is(timeless(failed.stdout), 'one\n  1\n1 row (T s)\n')
  assert.is(failed.stderr, "Unknown column 'nope' at 1:8\nSELECT nope FROM t\n       ^\n")
})

test('sqlCommand --help prints the usage of sql', async () => {
  const r = ok(await cli(['sql', '--help']), 'help')
  assert.match(r.stdout, /^Usage: meshflow sql \["QUERY"\] \[--format table\|json\|csv\]/)
  assert.match(ok(await cli(['--help']), 'help').stdout, /\nmeshflow sql \["QUERY"\]/)
})

test.run()
