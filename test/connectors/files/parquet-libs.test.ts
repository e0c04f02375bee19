/**
 * apache-arrow and parquet-wasm load on first Parquet use, not when the file connector is
 * imported (they cost ~100 ms of start-up), and the synchronous Arrow helpers say so
 * until `loadParquet()` has completed.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { execFileSync } from 'node:child_process'

const test = suite('loadParquet')

/** Runs `body` in a fresh process that records which bare packages get resolved. */
function fresh (body: string): Record<string, unknown> {
  const script = `
import { registerHooks } from 'node:module'
const resolved = new Set()
registerHooks({ resolve (spec, ctx, next) { if (!spec.startsWith('.') && !spec.startsWith('node:') && !spec.startsWith('file:')) resolved.add(spec); return next(spec, ctx) } })
const files = await import('meshflow/connectors/files')
const out = {}
${body}
out.resolved = [...resolved]
process.stdout.write(JSON.stringify(out))
`
  return JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: new URL('../../..', import.meta.url).pathname, encoding: 'utf8' })) as Record<string, unknown>
}

test('importing the file connector loads neither apache-arrow nor parquet-wasm', () => {
  const out = fresh('')
  const resolved = out.resolved as string[]
  assert.ok(resolved.includes('meshflow/connectors/files'), 'the hook sees the import')
  assert.not.ok(resolved.includes('apache-arrow'), 'apache-arrow was loaded')
  assert.not.ok(resolved.includes('parquet-wasm'), 'parquet-wasm was loaded')
})

test('a synchronous Arrow helper before loadParquet() throws ParquetNotLoadedError; after it, works', () => {
  const out = fresh(`
try { files.arrowSchemaOf({ columns: [{ name: 'id', type: 'int64' }] }) } catch (err) { out.before = [err.name, err.message] }
await files.loadParquet()
out.after = String(files.arrowSchemaOf({ columns: [{ name: 'id', type: 'int64' }] }).fields[0].type)
out.sameLoad = (await files.loadParquet()) === (await files.loadParquet())
`)
  const [name, message] = out.before as [string, string]
  assert.is(name, 'ParquetNotLoadedError')
  assert.match(message, /arrowSchemaOf.*await loadParquet\(\) first/)
  assert.is(out.after, 'Int64')
  assert.is(out.sameLoad, true)
  assert.ok((out.resolved as string[]).includes('apache-arrow'))
})

test.run()
