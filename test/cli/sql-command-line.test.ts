import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { parseCommandLine } from '../../node/cli/command-line.ts'

const test = suite('parseSqlCommand')

function throwsUsage (fn: () => unknown, message: string): void {
  try {
    fn()
  } catch (err) {
    assert.is((err as Error).name, 'UsageError')
    assert.ok((err as Error).message.includes(message), (err as Error).message)
    return
  }
  assert.unreachable(`expected a UsageError: ${message}`)
}

test('parseSqlCommand reads a query and its flags', () => {
  assert.equal(parseCommandLine(['sql', 'SELECT 1', '--format', 'csv', '--data-dir', 'd', '-p', '2']),
    { type: 'sql', query: 'SELECT 1', format: 'csv', dataDir: 'd', parallelism: 2, mesh: undefined, psk: undefined })
  assert.equal(parseCommandLine(['sql']), { type: 'sql', query: undefined, format: 'table', dataDir: undefined, parallelism: undefined, mesh: undefined, psk: undefined })
  assert.equal(parseCommandLine(['sql', '--help']), { type: 'help', topic: 'sql' })
  assert.equal(parseCommandLine(['help', 'sql']), { type: 'help', topic: 'sql' })
})

test('parseSqlCommand names what is wrong', () => {
  throwsUsage(() => parseCommandLine(['sql', 'SELECT 1', '--format', 'tsv']), "--format must be table, json or csv, got 'tsv'")
  throwsUsage(() => parseCommandLine(['sql', 'SELECT', '1']), "Unexpected argument '1' for 'sql': quote the query as one argument")
  throwsUsage(() => parseCommandLine(['sql', '  ']), "'sql' needs a QUERY, got an empty one")
  throwsUsage(() => parseCommandLine(['sql', '--format', 'json']), '--format json|csv is for one QUERY')
  throwsUsage(() => parseCommandLine(['sql', 'SELECT 1', '--parallelism']), '--parallelism needs a value')
  throwsUsage(() => parseCommandLine(['sql', 'SELECT 1', '--json']), "Unknown flag --json for 'sql'")
})

test.run()
