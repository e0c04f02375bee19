/**
 * Job code by content address (DESIGN §5): the submitter bundles a job module with esbuild
 * into one ESM file — everything it imports is inlined except `meshflow` and
 * `meshflow/connectors/*`, which stay external — and each TaskManager imports that file
 * with those specifiers pointed at its own installation, so the job and the runtime share
 * one copy of the API classes wherever the file lies.
 *
 * @example
 * const bundle = await bundleJob('examples/retail-sales/job.ts')
 * const { definition, url } = await importJobBundle(bundle.code, { dir: './data/jobs' })
 * definition.build(env, args) // task worker threads import `url` themselves
 */
import { createHash } from 'node:crypto'
import { mkdir, writeFile, rename } from 'node:fs/promises'
import { join, relative, resolve, sep } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { isJobDefinition, type JobDefinition } from '../api/job.ts'
import { errorMessage } from '../../protocol/error-message.ts'

/** Imports of the engine are written as `meshflow-runtime:<specifier>` in a bundle. */
const RUNTIME_PREFIX = 'meshflow-runtime:'
const ENGINE_SPECIFIER = /^meshflow(\/.*)?$/

export interface JobBundle {
  /** One ESM module. */
  readonly code: string
  /** The path the bundle was made from (for messages). */
  readonly entry: string
}

/** A job module that cannot be bundled, loaded or is not a job. */
export class JobCodeError extends Error {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'JobCodeError'
  }
}

/** The package root of this installation (the folder above node/). */
const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url))

/**
 * `meshflow` or `meshflow/connectors/NAME` for a path to the engine's public modules
 * (node/index.ts, connectors/NAME/index.ts) of this installation; undefined for any other.
 */
function engineSpecifierOf (file: string): string | undefined {
  const rel = relative(PACKAGE_ROOT, file).split(sep).join('/')
  if (rel === 'node/index.ts') return 'meshflow'
  const connector = /^connectors\/([a-z0-9-]+)\/index\.ts$/.exec(rel)
  return connector === null ? undefined : `meshflow/connectors/${connector[1]!}`
}

/** Bundles the job module at `path` (relative to `cwd`) into one ESM file. */
export async function bundleJob (path: string, options: { cwd?: string } = {}): Promise<JobBundle> {
  const entry = resolve(options.cwd ?? process.cwd(), path)
  const esbuild = await import('esbuild')
  let result
  try {
    result = await esbuild.build({
      entryPoints: [entry],
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'node',
      target: 'node22',
      logLevel: 'silent',
      plugins: [{
        name: 'meshflow-external',
        setup (build) {
          build.onResolve({ filter: ENGINE_SPECIFIER }, args => ({ path: RUNTIME_PREFIX + args.path, external: true }))
          // a job inside this repository may import the engine by its path (a test fixture
          // importing '../../node/index.ts'): the same modules as `meshflow`, kept external so
          // the job and the runtime share one copy of the API classes
          build.onResolve({ filter: /^\.\.?\// }, args => {
            const specifier = engineSpecifierOf(resolve(args.resolveDir, args.path))
            return specifier === undefined ? undefined : { path: RUNTIME_PREFIX + specifier, external: true }
          })
        }
      }]
    })
  } catch (err) {
    const first = (err as { errors?: { text: string, location?: { file: string, line: number } | null }[] }).errors?.[0]
    const where = first?.location === undefined || first.location === null ? '' : ` (${first.location.file}:${first.location.line})`
    throw new JobCodeError(`Cannot bundle the job ${path}: ${first?.text ?? errorMessage(err)}${where}`, { cause: err })
  }
  const out = result.outputFiles[0]
  if (out === undefined) throw new JobCodeError(`Bundling the job ${path} produced no output`)
  return { code: out.text, entry }
}

/** Rewrites the engine imports of a bundle to this installation's modules. */
export function linkJobBundle (code: string): string {
  return code.replace(/(["'])meshflow-runtime:([^"']+)\1/g, (_m, _q: string, specifier: string) => {
    if (!ENGINE_SPECIFIER.test(specifier)) throw new JobCodeError(`The job bundle imports an unknown engine module '${specifier}'`)
    return JSON.stringify(import.meta.resolve(specifier))
  })
}

/**
 * Writes the bundle into `dir` (named by its hash, so one file per distinct code) and
 * imports it; resolves with its `defineJob` definition and the URL of the module written,
 * which task worker threads import in turn.
 */
export async function importJobBundle (code: string, options: { dir: string }): Promise<{ definition: JobDefinition, url: string }> {
  const linked = linkJobBundle(code)
  const hash = createHash('sha256').update(code).digest('hex').slice(0, 32)
  await mkdir(options.dir, { recursive: true })
  const file = join(options.dir, `job-${hash}.mjs`)
  const tmp = `${file}.${process.pid}.tmp`
  await writeFile(tmp, linked)
  await rename(tmp, file)
  const url = pathToFileURL(file).href
  let module: { default?: unknown }
  try {
    module = await import(url) as { default?: unknown }
  } catch (err) {
    throw new JobCodeError(`The job code failed to load: ${errorMessage(err)}`, { cause: err })
  }
  if (!isJobDefinition(module.default)) {
    throw new JobCodeError('The job module\'s default export is not a job: it must end with \'export default defineJob(...)\'')
  }
  return { definition: module.default, url }
}
