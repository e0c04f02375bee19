/**
 * `meshflow sql "QUERY"` runs one statement on the mesh of `--mesh` (or MESHFLOW_MESH), or
 * without one on the embedded peer over `--data-dir`, and prints its result (format-sql.ts); `meshflow sql` alone opens the interactive shell
 * (sql-shell.ts). A SQL error prints its message, the query line and a caret on stderr and
 * exits 2; a failed query job exits 1 (main.ts), Ctrl-C cancels the job and exits 130.
 */
import { resolve } from 'node:path'
import { homedir } from 'node:os'
import type { CliIo } from './cli-io.ts'
import type { SqlCommand, SqlOutputFormat } from './sql-command-line.ts'
import type { SqlResult } from '../sql/sql-result.ts'
import type { SqlSession } from '../sql/sql-session.ts'
import { DEFAULT_EMBEDDED_DATA_DIR } from './embedded-run.ts'
import { EXIT_INTERRUPTED, EXIT_USAGE, PeerStartError, UsageError } from './errors.ts'
import { CONNECT_TIMEOUT_MS, connectFailure } from './mesh-client-connect.ts'
import { loadPsk, meshAddressOf } from './mesh-options.ts'
import { formatSqlCsv, formatSqlJson, formatSqlTableLines, rowCountLine } from './format-sql.ts'
import type { StreamResult } from './sql-shell.ts'
import { printStream } from './sql-shell-printer.ts'
import { errorMessage } from '../../protocol/error-message.ts'
import { SqlError, formatSqlError } from '../sql/errors.ts'
import { splitStatements } from '../sql/parser/split-statements.ts'

/** Runs `meshflow sql`; resolves with the exit code. */
export async function sqlCommand (command: SqlCommand, io: CliIo): Promise<number> {
  const statement = command.query === undefined ? undefined : oneStatement(command.query)
  const session = await openSession(command, io)
  try {
    io.signal?.throwIfAborted() // Ctrl-C while the peer started
    if (statement === undefined) {
      const { SqlShell } = await import('./sql-shell.ts')
      const input = io.stdin ?? process.stdin
      const shell = new SqlShell({ session, input, output: io.stdout, errors: io.stderr }, {
        historyFile: historyFile(io),
        ...(io.signal === undefined ? {} : { signal: io.signal })
      })
      return await shell.run()
    }
    let result: SqlResult
    try {
      result = await session.execute(statement, io.signal === undefined ? {} : { signal: io.signal })
    } catch (err) {
      if (!(err instanceof SqlError) || io.signal?.aborted === true) throw err
      io.stderr.write(`meshflow: ${formatSqlError(err, statement)}\n`)
      return EXIT_USAGE
    }
    if (result.kind === 'stream') return await streamCommand(result, command.format, io)
    io.stdout.write(formatResult(result, command.format))
    return 0
  } finally {
    await session.close()
  }
}

/** The one statement of QUERY (a trailing `;` is allowed); several are a UsageError. */
function oneStatement (query: string): string {
  const statements = splitStatements(query)
  if (statements.length > 1) {
    throw new UsageError(`'meshflow sql' runs one statement, QUERY holds ${statements.length} (run them one by one, or in the shell: meshflow sql)`)
  }
  return statements[0]?.text ?? query
}

/** A session on the mesh of `--mesh` (or MESHFLOW_MESH), else on the embedded peer over `--data-dir`. */
async function openSession (command: SqlCommand, io: CliIo): Promise<SqlSession> {
  const { SqlSession } = await import('../sql/sql-session.ts')
  const parallelism = command.parallelism === undefined ? {} : { parallelism: command.parallelism }
  const meshFromEnv = io.env.MESHFLOW_MESH
  if (command.mesh !== undefined || (meshFromEnv !== undefined && meshFromEnv !== '')) {
    if (command.dataDir !== undefined) throw new UsageError('--data-dir is for the embedded peer (without --mesh): a mesh keeps its own data')
    const mesh = meshAddressOf(command.mesh, io.env, 'sql')
    const psk = command.psk === undefined ? {} : { psk: await loadPsk(command.psk, io.cwd) }
    const timeout = AbortSignal.timeout(CONNECT_TIMEOUT_MS)
    const signal = io.signal === undefined ? timeout : AbortSignal.any([timeout, io.signal])
    try {
      return await SqlSession.connect({ mesh, signal, ...psk, ...parallelism })
    } catch (err) {
      throw connectFailure(mesh, signal, err)
    }
  }
  if (command.psk !== undefined) throw new UsageError('--psk needs --mesh: it is the key of the mesh to reach')
  const fromEnv = io.env.MESHFLOW_DATA_DIR
  const dataDir = resolve(io.cwd, command.dataDir ?? (fromEnv !== undefined && fromEnv !== '' ? fromEnv : DEFAULT_EMBEDDED_DATA_DIR))
  try {
    return await SqlSession.open({ dataDir, ...parallelism })
  } catch (err) {
    throw new PeerStartError(`Cannot start the embedded peer in ${dataDir}: ${errorMessage(err)}`, { cause: err })
  }
}

/** The shell's history: MESHFLOW_SQL_HISTORY (empty: none), else ~/.meshflow_sql_history. */
function historyFile (io: CliIo): string | undefined {
  const given = io.env.MESHFLOW_SQL_HISTORY
  if (given !== undefined) return given === '' ? undefined : resolve(io.cwd, given)
  const home = io.env.HOME ?? homedir()
  return home === '' ? undefined : resolve(home, '.meshflow_sql_history')
}

/** What one statement prints in `format`: rows as a table (with the row count and time), JSON or CSV; EXPLAIN its text; others their message. */
export function formatResult (result: Exclude<SqlResult, { kind: 'stream' }>, format: SqlOutputFormat): string {
  switch (result.kind) {
    case 'explain': return result.text.endsWith('\n') ? result.text : result.text + '\n'
    case 'status': return result.message + '\n'
    case 'rows':
      if (format === 'json') return formatSqlJson(result.columns, result.rows)
      if (format === 'csv') return formatSqlCsv(result.columns, result.rows)
      return formatSqlTableLines(result.columns, result.rows).join('\n') + '\n' + rowCountLine(result.rows.length, result.elapsedMs) + '\n'
  }
}

/** A continuous query's rows as they arrive (see printStream); Ctrl-C ends it with exit code 130. */
async function streamCommand (result: StreamResult, format: SqlOutputFormat, io: CliIo): Promise<number> {
  const signal = io.signal ?? new AbortController().signal
  await printStream(result, format, io.stdout, signal)
  const code: unknown = signal.aborted ? (signal.reason as { exitCode?: unknown } | undefined)?.exitCode : 0
  return typeof code === 'number' ? code : EXIT_INTERRUPTED
}
