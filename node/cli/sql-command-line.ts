/**
 * `meshflow sql ["QUERY"] [--format table|json|csv] [--mesh MA] [--data-dir DIR] [--parallelism N]`
 * parsed into a tagged union (DESIGN §7). Every flag is checked here, before the embedded
 * peer starts, so a mistake is one line and exit code 2.
 *
 * @example
 * parseSqlCommand(['SELECT 1', '--format', 'json'])
 * // { type: 'sql', query: 'SELECT 1', format: 'json', dataDir: undefined, parallelism: undefined, mesh: undefined, psk: undefined }
 */
import { parseArgs, type FlagSpecs } from './args.ts'
import { UsageError } from './errors.ts'

/** How `meshflow sql` prints rows. */
export type SqlOutputFormat = 'table' | 'json' | 'csv'
const FORMATS: readonly SqlOutputFormat[] = ['table', 'json', 'csv']

/** `meshflow sql`: one statement (`query`), or the interactive shell (`query` undefined). */
export interface SqlCommand {
  readonly type: 'sql'
  /** The statement to run; undefined opens the shell. */
  readonly query: string | undefined
  readonly format: SqlOutputFormat
  /** The embedded peer's data dir (default `./meshflow-data`, or MESHFLOW_DATA_DIR). */
  readonly dataDir: string | undefined
  /** Parallelism of the queries' jobs (default: cores, at most 4). */
  readonly parallelism: number | undefined
  /** `--mesh MA`: run on the mesh a peer of which is at MA (else MESHFLOW_MESH, else embedded). */
  readonly mesh: string | undefined
  /** `--psk FILE`: the mesh's pre-shared key. */
  readonly psk: string | undefined
}

const SQL_FLAGS: FlagSpecs = {
  format: { type: 'string' },
  'data-dir': { type: 'string' },
  parallelism: { type: 'int', alias: 'p' },
  mesh: { type: 'string' },
  psk: { type: 'string' }
}

const USAGE = 'meshflow sql ["QUERY"] [--format table|json|csv] [--mesh MA] [--data-dir DIR] [--parallelism N]'

/** Parses the arguments after `meshflow sql`; throws a UsageError naming what is wrong. */
export function parseSqlCommand (argv: readonly string[]): SqlCommand {
  const p = parseArgs(argv, SQL_FLAGS, { command: 'sql' })
  if (p.positionals.length > 1) {
    throw new UsageError(`Unexpected argument '${p.positionals[1]!}' for 'sql': quote the query as one argument (usage: ${USAGE})`)
  }
  const query = p.positionals[0]
  if (query !== undefined && query.trim() === '') throw new UsageError(`'sql' needs a QUERY, got an empty one (usage: ${USAGE})`)
  const format = typeof p.flags.format === 'string' ? p.flags.format : 'table'
  if (!(FORMATS as readonly string[]).includes(format)) throw new UsageError(`--format must be table, json or csv, got '${format}'`)
  if (query === undefined && p.flags.format !== undefined && format !== 'table') {
    throw new UsageError('--format json|csv is for one QUERY: the shell prints tables')
  }
  const str = (name: string): string | undefined => typeof p.flags[name] === 'string' ? p.flags[name] : undefined
  return {
    type: 'sql',
    query,
    format: format as SqlOutputFormat,
    dataDir: str('data-dir'),
    parallelism: typeof p.flags.parallelism === 'number' ? p.flags.parallelism : undefined,
    mesh: str('mesh'),
    psk: str('psk')
  }
}
