/**
 * apache-arrow and parquet-wasm, loaded on first use. Together they cost about 100 ms of
 * module loading (Arrow alone about 80 ms), which every importer of the file connector —
 * the CLI included — paid at start-up before. The async entry points (opening and writing
 * files, the sinks' `createWriter`, the source's splits) await `loadParquet()`; the
 * synchronous Arrow helpers (`arrowSchemaOf`, `batchOfRows`, `rowsOfBatch`, `encodeParquet`)
 * need it to have been awaited once and otherwise throw ParquetNotLoadedError.
 *
 * The loaded modules are kept at module level, as a static import would keep them: they
 * are the libraries themselves, not state, so two peers in one process share them safely.
 *
 * @example
 * await loadParquet()
 * const schema = arrowSchemaOf({ columns: [{ name: 'id', type: 'int64' }] })
 */
import type * as Arrow from 'apache-arrow'
import type * as ParquetWasm from 'parquet-wasm'
import { ParquetNotLoadedError } from './errors.ts'

/** The two libraries, once loaded. */
export interface ParquetLibraries {
  readonly arrow: typeof Arrow
  readonly pw: typeof ParquetWasm
}

let loaded: ParquetLibraries | undefined
let loading: Promise<ParquetLibraries> | undefined

/**
 * Loads apache-arrow and parquet-wasm (once; later calls return the same promise). Call it
 * before the synchronous Arrow helpers; everything asynchronous calls it itself.
 */
export async function loadParquet (): Promise<ParquetLibraries> {
  if (loaded !== undefined) return loaded
  loading ??= Promise.all([import('apache-arrow'), import('parquet-wasm')]).then(([arrow, pw]) => {
    loaded = { arrow, pw }
    return loaded
  }, err => {
    // a failed load (a missing package) may be retried after the install is fixed
    loading = undefined
    throw err
  })
  return await loading
}

/**
 * apache-arrow, already loaded.
 *
 * @throws {ParquetNotLoadedError} when `loadParquet()` has not completed yet, naming `what` was called
 */
export function arrowLibrary (what: string): typeof Arrow {
  if (loaded === undefined) throw new ParquetNotLoadedError(what)
  return loaded.arrow
}

/**
 * parquet-wasm, already loaded.
 *
 * @throws {ParquetNotLoadedError} when `loadParquet()` has not completed yet, naming `what` was called
 */
export function parquetLibrary (what: string): typeof ParquetWasm {
  if (loaded === undefined) throw new ParquetNotLoadedError(what)
  return loaded.pw
}
