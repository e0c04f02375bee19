/**
 * The parser library, sqlparser-rs compiled to WebAssembly (`@guanmingchiu/sqlparser-ts`),
 * loaded synchronously on first use. The package's own `init()` is async and its
 * `exports` map hides the generated bindings, so this resolves the package, loads
 * `wasm/sqlparser_rs_wasm.js` with `require` (an ES module without top-level await) and
 * instantiates the `.wasm` next to it with `initSync`: about 50 ms, once per process,
 * and nothing at all for a process that never parses SQL.
 */
import { createRequire } from 'node:module'
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'

/** The two functions of the generated bindings meshflow uses. */
interface Bindings {
  initSync (options: { module: Uint8Array }): unknown
  /** The statements as the library's serde JSON (plain objects); throws `{ message }` on bad SQL. */
  parse_sql (dialect: string, sql: string): unknown
}

const PACKAGE = '@guanmingchiu/sqlparser-ts'

// One per process on purpose: the module is stateless between calls, and loading it twice
// would only cost another 50 ms and 3.5 MB.
let bindings: Bindings | undefined

/** The library's bindings, loaded and initialised by the first call. */
function load (): Bindings {
  if (bindings !== undefined) return bindings
  const require = createRequire(import.meta.url)
  const wasmDir = join(dirname(require.resolve(PACKAGE)), '..', 'wasm')
  const loaded = require(join(wasmDir, 'sqlparser_rs_wasm.js')) as Bindings
  loaded.initSync({ module: readFileSync(join(wasmDir, 'sqlparser_rs_wasm_bg.wasm')) })
  bindings = loaded
  return loaded
}

/**
 * Parses `sql` with the library's generic dialect (which reads `"x"` and `` `x` `` as
 * quoted identifiers): the statements as the library's JSON. Throws what the library
 * throws for bad SQL: an object whose `message` ends `at Line: L, Column: C` when it knows
 * where.
 */
export function parseWithLibrary (sql: string): unknown[] {
  const result = load().parse_sql('generic', sql)
  return Array.isArray(result) ? result : []
}
