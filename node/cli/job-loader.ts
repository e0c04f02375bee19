/**
 * Loads a job module for an embedded run: resolves the path against the working
 * directory, imports it, and checks that its default export is `defineJob(...)`.
 *
 * @example
 * const { job, name } = await loadJob('examples/retail-sales/job.ts', process.cwd())
 * // name 'retail-sales'; job.build(env, args)
 */
import { stat } from 'node:fs/promises'
import { basename, dirname, extname, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { isJobDefinition, type JobDefinition } from '../index.ts'
import { JobLoadError } from './errors.ts'
import { errorMessage } from '../../protocol/error-message.ts'

export interface LoadedJob {
  readonly job: JobDefinition
  /** The job's name: its file name, or its folder's for `job.ts` / `index.ts`. */
  readonly name: string
  /** Absolute path of the module. */
  readonly path: string
}

/** `examples/retail-sales/job.ts` → `retail-sales`; `jobs/word-count.ts` → `word-count`. */
export function jobNameOf (path: string): string {
  const base = basename(path, extname(path))
  if (base === 'job' || base === 'index') {
    const folder = basename(dirname(resolve(path)))
    if (folder.length > 0) return folder
  }
  return base
}

/** @throws JobLoadError when the file is missing, fails to import, or is not a job. */
export async function loadJob (file: string, cwd: string): Promise<LoadedJob> {
  const path = resolve(cwd, file)
  let isFile: boolean
  try {
    isFile = (await stat(path)).isFile()
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new JobLoadError(`Job file not found: ${file}`, { cause: err })
    throw new JobLoadError(`Cannot read job file ${file}: ${errorMessage(err)}`, { cause: err })
  }
  if (!isFile) throw new JobLoadError(`Job file ${file} is not a file`)

  let mod: { default?: unknown }
  try {
    mod = await import(pathToFileURL(path).href) as { default?: unknown }
  } catch (err) {
    throw new JobLoadError(`Cannot load job ${file}: ${errorMessage(err)}`, { cause: err })
  }
  if (!isJobDefinition(mod.default)) {
    const what = mod.default === undefined ? 'has no default export' : 'has a default export that is not a job'
    throw new JobLoadError(`${file} ${what}: a job module must end with 'export default defineJob((env, args) => { ... })'`)
  }
  return { job: mod.default, name: jobNameOf(path), path }
}
