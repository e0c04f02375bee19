import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runCli, type CliResult } from './spawn-cli.ts'
import { duck, lit } from '../connectors/files/duckdb.ts'

const test = suite('meshflow dataset commands (embedded)')

let dir = ''
test.before(async () => { dir = await mkdtemp(join(tmpdir(), 'meshflow-datasets-')) })
test.after(async () => { await rm(dir, { recursive: true, force: true }) })

/** Runs `meshflow ...args` in `dir` on the embedded store `dir/data`. */
async function cli (args: readonly string[], env: Record<string, string> = {}): Promise<CliResult> {
  return await runCli(args, { MESHFLOW_DATA_DIR: join(dir, 'data'), ...env }, dir)
}

function ok (r: CliResult, what: string): CliResult {
  assert.is(r.code, 0, `${what}: exit ${String(r.code)}, stderr ${r.stderr}`)
  return r
}

/** A usage error: exit 2, one line on stderr naming `expected`, no stack trace. */
function usageError (r: CliResult, expected: string | RegExp): void {
  assert.is(r.code, 2, r.stderr)
  const lines = r.stderr.trimEnd().split('\n')
  assert.is(lines.length, 1, r.stderr)
  assert.match(lines[0]!, /^meshflow: /)
  if (typeof expected === 'string') assert.ok(lines[0]!.includes(expected), lines[0])
  else assert.match(lines[0]!, expected)
  assert.not.match(r.stderr, /\n\s+at /)
}

interface Listed { name: string, version: number, partitions: number, rows: number, bytes: number, replicas: { expected: number, healthy: number, underReplicated: number } }

async function datasets (): Promise<Listed[]> {
  return JSON.parse(ok(await cli(['datasets', '--json']), 'datasets --json').stdout) as Listed[]
}

function salesCsv (n: number, from = 0): string {
  let text = 'id,store,amount,ts\n'
  for (let i = from; i < from + n; i++) text += `${i},s${i % 7},${i * 1.5},2024-01-0${1 + i % 9}T10:00:00Z\n`
  return text
}

test('imports CSV in byte ranges, lists, shows, exports CSV and Parquet that DuckDB reads, and removes', async () => {
  await writeFile(join(dir, 'sales.csv'), salesCsv(3000))
  const imported = ok(await cli(['dataset', 'import', 'sales', 'sales.csv', '--format', 'csv', '--partition-by', 'store', '--partitions', '4', '-p', '3'],
    { MESHFLOW_IMPORT_SPLIT_BYTES: '20000' }), 'import')
  assert.match(imported.stdout, /^imported 3000 rows \([0-9.]+ kB of csv\) into dataset 'sales' version 1: .* stored in 4 partitions/)
  assert.is(imported.stdout.trimEnd().split('\n').length, 1)

  const [sales, ...others] = await datasets()
  assert.is(others.length, 0)
  assert.equal({ ...sales!, bytes: 0 }, { ...sales!, name: 'sales', version: 1, partitions: 4, rows: 3000, bytes: 0, replicas: { expected: 1, healthy: 4, underReplicated: 0 } })
  assert.ok(sales!.bytes > 0)

  const show = JSON.parse(ok(await cli(['dataset', 'show', 'sales', '--json']), 'show').stdout)
  assert.equal(show.schema, { columns: [{ name: 'id', type: 'number' }, { name: 'store', type: 'string' }, { name: 'amount', type: 'number' }, { name: 'ts', type: 'timestamp' }] })
  assert.equal(show.partitioning, { kind: 'hash', column: 'store', partitions: 4 })
  assert.equal(show.versions.map((v: { version: number }) => v.version), [1])
  assert.is(show.partitions.length, 4)
  for (const p of show.partitions) assert.is(p.holders.length, 1)
  assert.match(ok(await cli(['dataset', 'show', 'sales']), 'show table').stdout, /^dataset sales version 1: 3000 rows/)

  ok(await cli(['dataset', 'export', 'sales', 'out-parquet', '--format', 'parquet']), 'export parquet')
  const [agg] = await duck(`SELECT count(*)::INTEGER AS n, sum(amount) AS total, epoch_ms(min(ts))::DOUBLE AS first, count(DISTINCT id)::INTEGER AS ids FROM read_parquet(${lit(join(dir, 'out-parquet', '*.parquet'))})`)
  assert.equal(agg, { n: 3000, total: 1.5 * 2999 * 3000 / 2, first: Date.UTC(2024, 0, 1, 10), ids: 3000 })

  // CSV out and in again: the same rows
  ok(await cli(['dataset', 'export', 'sales', 'out-csv', '--format', 'csv']), 'export csv')
  ok(await cli(['dataset', 'import', 'again', 'out-csv', '--format', 'csv']), 'import the export')
  ok(await cli(['dataset', 'export', 'again', 'out-again', '--format', 'parquet']), 'export again')
  const [diff] = await duck(`SELECT count(*)::INTEGER AS n FROM (SELECT * FROM read_parquet(${lit(join(dir, 'out-parquet', '*.parquet'))}) EXCEPT ALL SELECT * FROM read_parquet(${lit(join(dir, 'out-again', '*.parquet'))}))`)
  assert.equal(diff, { n: 0 })

  assert.match(ok(await cli(['dataset', 'rm', 'again']), 'rm').stdout, /dropped dataset again/)
  ok(await cli(['dataset', 'rm', 'sales']), 'rm')
  assert.equal(await datasets(), [])
  assert.is(ok(await cli(['datasets']), 'datasets').stdout, 'no datasets\n')
})

test('imports JSON Lines typed by --schema and Parquet written by DuckDB, then appends', async () => {
  const lines = Array.from({ length: 500 }, (_, i) => JSON.stringify({ id: String(2n ** 60n + BigInt(i)), name: `n${i}`, ok: i % 2 === 0 }))
  await writeFile(join(dir, 'events.jsonl'), lines.join('\n') + '\n')
  ok(await cli(['dataset', 'import', 'events', 'events.jsonl', '--format', 'jsonl', '--schema', 'id:int64,name:string,ok:boolean']), 'import jsonl')
  const events = JSON.parse(ok(await cli(['dataset', 'show', 'events', '--json']), 'show').stdout)
  assert.is(events.rows, 500)
  assert.equal(events.schema.columns.map((c: { type: string }) => c.type), ['int64', 'string', 'boolean'])
  ok(await cli(['dataset', 'export', 'events', 'out-events', '--format', 'parquet']), 'export')
  const [e] = await duck(`SELECT max(id)::VARCHAR AS top, count(*) FILTER (WHERE ok)::INTEGER AS oks FROM read_parquet(${lit(join(dir, 'out-events', '*.parquet'))})`)
  assert.equal(e, { top: String(2n ** 60n + 499n), oks: 250 })

  const pq = join(dir, 'trips.parquet')
  await duck(`COPY (SELECT i::BIGINT AS trip, 'c' || (i % 5) AS city, i * 0.25 AS fare FROM range(2000) t(i)) TO ${lit(pq)} (FORMAT parquet, ROW_GROUP_SIZE 500)`)
  ok(await cli(['dataset', 'import', 'trips', 'trips.parquet', '--format', 'parquet', '--partition-by', 'city']), 'import parquet')
  ok(await cli(['dataset', 'import', 'trips', 'trips.parquet', '--format', 'parquet']), 'append parquet')
  const trips = JSON.parse(ok(await cli(['dataset', 'show', 'trips', '--json']), 'show').stdout)
  assert.is(trips.rows, 4000)
  assert.is(trips.version, 2)
  assert.equal(trips.schema.columns, [{ name: 'trip', type: 'int64' }, { name: 'city', type: 'string' }, { name: 'fare', type: 'number' }])
})

test('a malformed row fails the import naming file and line, and nothing becomes visible; --dead-letter keeps the rest', async () => {
  const before = await datasets()
  const lines = salesCsv(2000).split('\n')
  lines[1234] = '1233,s1,oops,2024-01-01'
  await writeFile(join(dir, 'bad.csv'), lines.join('\n'))
  const failed = await cli(['dataset', 'import', 'broken', 'bad.csv', '--format', 'csv', '--schema', 'id:number,store:string,amount:number,ts:timestamp', '-p', '2'], { MESHFLOW_IMPORT_SPLIT_BYTES: '10000' })
  assert.is(failed.code, 1, failed.stderr)
  assert.ok(failed.stderr.includes(`${join(dir, 'bad.csv')}:1235: column 'amount'`), failed.stderr)
  assert.is(failed.stderr.trimEnd().split('\n').length, 1, failed.stderr)
  assert.equal(await datasets(), before)

  const withDeadLetters = ok(await cli(['dataset', 'import', 'broken', 'bad.csv', '--format', 'csv', '--schema', 'id:number,store:string,amount:number,ts:timestamp', '--dead-letter', 'bad-lines.jsonl']), 'dead letters')
  assert.match(withDeadLetters.stdout, /^imported 1999 rows .*, 1 malformed line in bad-lines.jsonl\n$/)
  const bad = (await readFile(join(dir, 'bad-lines.jsonl'), 'utf8')).trimEnd().split('\n').map(l => JSON.parse(l))
  assert.equal(bad, [{ path: join(dir, 'bad.csv'), line: 1235, text: '1233,s1,oops,2024-01-01', error: "column 'amount': 'oops' is not a number" }])
  assert.ok(!(await readdir(dir)).some(n => n.startsWith('.bad-lines')), 'the part files are gone')
})

test('an import that does not fit the dataset is refused naming the column', async () => {
  await writeFile(join(dir, 'base.csv'), salesCsv(10))
  ok(await cli(['dataset', 'import', 'fit', 'base.csv', '--format', 'csv']), 'import')
  await writeFile(join(dir, 'other.csv'), 'id,store,price,ts\n1,s1,2,2024-01-01\n')
  const renamed = await cli(['dataset', 'import', 'fit', 'other.csv', '--format', 'csv'])
  assert.is(renamed.code, 1)
  assert.is(renamed.stderr, "meshflow: Column 'amount' of dataset 'fit' is missing from the header of other.csv\n")
  const retyped = await cli(['dataset', 'import', 'fit', 'base.csv', '--format', 'csv', '--schema', 'id:number,store:string,amount:string,ts:timestamp'])
  assert.is(retyped.stderr, "meshflow: Column 'amount' is number in dataset 'fit' but string in --schema\n")
  const list = await datasets()
  assert.is(list.find(d => d.name === 'fit')?.version, 1)
})

test('bad flags and names are one line and exit code 2', async () => {
  usageError(await cli(['dataset', 'import', 'x', 'base.csv']), "'dataset import' needs --format csv|jsonl|parquet")
  usageError(await cli(['dataset', 'import', 'x', 'base.csv', '--format', 'xml']), "--format must be csv, jsonl or parquet, got 'xml'")
  usageError(await cli(['dataset', 'import', '9x', 'base.csv', '--format', 'csv']), /NAME must be a dataset name/)
  usageError(await cli(['dataset', 'import', 'x', 'nope.csv', '--format', 'csv']), 'Cannot import nope.csv: no such file or directory')
  usageError(await cli(['dataset', 'import', 'x', 'base.csv', '--format', 'csv', '--schema', 'a:text']), "--schema column 'a' has unknown type 'text'")
  usageError(await cli(['dataset', 'import', 'x', 'base.csv', '--format', 'csv', '--mode', 'replace']), "--mode must be append or overwrite, got 'replace'")
  usageError(await cli(['dataset', 'import', 'x', 'base.csv', '--format', 'csv', '--partition-by', 'nope']), "--partition-by names 'nope', which is not a column")
  usageError(await cli(['dataset', 'import', 'x', '--format', 'csv']), "'dataset import' needs a FILE or DIR to import")
  usageError(await cli(['dataset', 'show', 'missing']), "No dataset 'missing' in ")
  usageError(await cli(['dataset', 'rm', 'missing']), "No dataset 'missing' in ")
  usageError(await cli(['dataset', 'export', 'fit', 'out', '--format', 'csv', '--bogus']), "Unknown flag --bogus for 'dataset export'")
  usageError(await cli(['dataset', 'frob']), "Unknown subcommand 'dataset frob'")
  usageError(await cli(['datasets', 'extra']), "Unexpected argument 'extra' for 'datasets'")
  usageError(await cli(['datasets', '--mesh', '/ip4/127.0.0.1/tcp/1', '--data-dir', 'x']), '--data-dir is for the embedded peer')
  assert.match(ok(await cli(['--help']), 'help').stdout, /meshflow dataset import NAME FILE\|DIR\.\.\. --format csv\|jsonl\|parquet/)
})

test.run()
