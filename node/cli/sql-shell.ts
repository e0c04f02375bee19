/**
 * The interactive shell of `meshflow sql`: reads statements with line editing and a
 * history file (node:readline), runs them on a session, and prints results as tables with
 * the row count and time, paged when longer than the terminal.
 *
 * - A statement ends with `;` and may span lines (prompt `meshflow> `, then `     ...> `);
 *   several on one line run in order.
 * - `.help`, `.quit` (`exit`, `quit`, Ctrl-D) at the start of a statement.
 * - Ctrl-C cancels the running statement (its signal aborts, the job is cancelled) and
 *   returns to the prompt; at the prompt it clears the line, and twice on an empty line quits.
 * - A SQL error prints its message, the line and a caret; the shell goes on.
 * - A result of kind `stream` (a continuous query) prints its batches as they arrive,
 *   until the query ends or Ctrl-C stops it.
 *
 * Without a terminal (a script piped in) there are no prompts and no paging, and the first
 * error ends the shell with its exit code.
 *
 * @example
 * const shell = new SqlShell({ session, input: process.stdin, output: process.stdout, errors: process.stderr }, { historyFile })
 * process.exitCode = await shell.run()
 */
import { createInterface, type Interface } from 'node:readline'
import { readFileSync, writeFileSync } from 'node:fs'
import type { SqlResult } from '../sql/sql-result.ts'
import { SqlError, formatSqlError } from '../sql/errors.ts'
import { splitStatements } from '../sql/parser/split-statements.ts'
import { errorMessage } from '../../protocol/error-message.ts'
import { EXIT_FAILURE, EXIT_USAGE } from './errors.ts'
import { ShellPrinter, type ShellOutput, type StreamResult } from './sql-shell-printer.ts'

export type { StreamResult } from './sql-shell-printer.ts'

/** A result the shell prints: the session's, or a continuous query's stream of row batches. */
export type ShellResult = SqlResult | StreamResult

/** What the shell runs statements on (a SqlSession). */
export interface SqlExecutor {
  execute(text: string, options?: { signal?: AbortSignal }): Promise<ShellResult>
}

/** What the shell uses. */
export interface SqlShellComponents {
  readonly session: SqlExecutor
  /** A TTY for the interactive shell; any stream for a script. */
  readonly input: NodeJS.ReadableStream
  readonly output: ShellOutput
  /** Where errors go (stderr). */
  readonly errors: NodeJS.WritableStream
}

/** Options of the shell. */
export interface SqlShellInit {
  /** Lines typed are kept here between sessions (none when undefined). */
  readonly historyFile?: string | undefined
  /** Lines kept in the history (default 1000). */
  readonly historySize?: number
  /** Ends the shell (and cancels its statement) when aborted: SIGTERM, or SIGINT without a terminal. */
  readonly signal?: AbortSignal
}

export const PROMPT = 'meshflow> '
export const CONTINUATION_PROMPT = '     ...> '

const HELP = `Statements end with ';' and may span lines; several on one line run in order.
  SHOW TABLES;                  the datasets
  DESCRIBE name;                the columns of a dataset
  SELECT … FROM name …;         a query (WITH, JOIN, GROUP BY, ORDER BY, LIMIT, UNION, …)
  EXPLAIN SELECT …;             the logical and physical plan
  INSERT INTO name SELECT …;    CREATE TABLE name AS SELECT …;    DROP TABLE name;
.help    this text
.quit    leave (also: exit, quit, Ctrl-D)
Ctrl-C cancels a running statement; at the prompt it clears the line, twice quits.
Results longer than the terminal are paged: Enter shows more, q stops.`

/** See the module comment. */
export class SqlShell {
  readonly #session: SqlExecutor
  readonly #input: NodeJS.ReadableStream
  readonly #output: ShellOutput
  readonly #errors: NodeJS.WritableStream
  readonly #historyFile: string | undefined
  readonly #historySize: number
  readonly #signal: AbortSignal | undefined
  readonly #tty: boolean
  #rl: Interface | undefined
  #printer: ShellPrinter | undefined
  /** Lines of the statement being typed. */
  #buffer = ''
  /** Lines read and not yet handled (typed while a statement ran, or pasted). */
  readonly #queue: string[] = []
  #waiter: ((line: string | undefined) => void) | undefined
  /** The controller of the statement running (or the page being shown). */
  #running: AbortController | undefined
  #closed = false
  #sawSigint = false

  constructor (components: SqlShellComponents, init: SqlShellInit = {}) {
    this.#session = components.session
    this.#input = components.input
    this.#output = components.output
    this.#errors = components.errors
    this.#historyFile = init.historyFile
    this.#historySize = init.historySize ?? 1000
    this.#signal = init.signal
    this.#tty = (components.input as { isTTY?: boolean }).isTTY === true && components.output.isTTY === true
  }

  /** Runs until `.quit`, Ctrl-D, the end of the input or the signal; resolves with the exit code. */
  async run (): Promise<number> {
    const early = this.#exitCodeOnSignal()
    if (early !== undefined) return early
    const rl = createInterface({
      input: this.#input,
      output: this.#tty ? this.#output : undefined,
      terminal: this.#tty,
      prompt: PROMPT,
      history: this.#tty ? this.#loadHistory() : [],
      historySize: this.#tty ? this.#historySize : 0,
      removeHistoryDuplicates: true
    })
    this.#rl = rl
    this.#printer = new ShellPrinter({ output: this.#output, readLine: async () => await this.#pagerAnswer(), prompt: text => { this.#prompt(text) } }, { paged: this.#tty })
    rl.on('line', line => { this.#push(line) })
    // the end of the input (Ctrl-D, or a script's end) lets the running statement finish
    rl.on('close', () => { this.#closed = true; this.#push(undefined) })
    // after the lines read with it have started their statement (a Ctrl-C typed right
    // after Enter comes in the same chunk, before the statement is running)
    rl.on('SIGINT', () => { setImmediate(() => { this.#interrupt() }) })
    const onAbort = (): void => { rl.close() }
    this.#signal?.addEventListener('abort', onAbort, { once: true })
    try {
      if (this.#tty) this.#output.write("meshflow sql: statements end with ';', .help for help, .quit to leave\n")
      const code = await this.#loop()
      return this.#exitCodeOnSignal() ?? code
    } finally {
      this.#signal?.removeEventListener('abort', onAbort)
      this.#saveHistory()
      // Ctrl-D or Ctrl-C left the cursor after a prompt
      const atPrompt = this.#closed
      rl.close()
      if (this.#tty && atPrompt) this.#output.write('\n')
    }
  }

  async #loop (): Promise<number> {
    for (;;) {
      const line = await this.#nextLine(false)
      if (line === undefined) break
      this.#sawSigint = false
      const trimmed = line.trim()
      if (this.#buffer === '') {
        if (trimmed === '') continue
        if (/^(\.quit|\.exit|\\q|exit|quit);?$/i.test(trimmed)) break
        if (trimmed.startsWith('.')) {
          this.#command(trimmed)
          continue
        }
      }
      this.#buffer = this.#buffer === '' ? line : `${this.#buffer}\n${line}`
      const code = await this.#runComplete()
      if (code !== 0 && !this.#tty) return code
      this.#saveHistory()
    }
    // a statement the input ended in the middle of (a script without the last ';') still runs
    if (!this.#tty && this.#buffer.trim() !== '' && !this.#closedBySignal()) {
      this.#buffer += '\n;' // on a line of its own: the last line may end in a comment
      return await this.#runComplete()
    }
    return 0
  }

  /** Runs the statements of the buffer that end with `;` and keeps the rest; the exit code of the first that failed. */
  async #runComplete (): Promise<number> {
    const statements = splitStatements(this.#buffer)
    const done = statements.filter(s => s.terminated)
    if (done.length === 0) return 0
    const rest = statements.at(-1)?.terminated === false ? statements.at(-1)! : undefined
    this.#buffer = rest === undefined ? '' : this.#buffer.slice(rest.offset)
    for (const s of done) {
      if (this.#closedBySignal()) return 0
      const code = await this.#execute(s.text)
      if (code === 'cancelled') {
        // Ctrl-C stops the rest of what was typed with the statement too
        this.#buffer = ''
        this.#queue.length = 0
        return 0
      }
      if (code !== 0 && !this.#tty) return code
    }
    return 0
  }

  /** Runs one statement and prints its result or error; resolves with 0, the exit code its error means, or 'cancelled' (Ctrl-C). */
  async #execute (text: string): Promise<number | 'cancelled'> {
    const controller = new AbortController()
    const signal = this.#signal === undefined ? controller.signal : AbortSignal.any([controller.signal, this.#signal])
    this.#running = controller
    try {
      const result = await this.#session.execute(text, { signal })
      if (signal.aborted) {
        this.#errors.write('Cancelled\n')
        return 'cancelled'
      }
      await this.#printer!.print(result, signal)
      // a page or a stream stopped by Ctrl-C printed its rows: the next statement runs
      return 0
    } catch (err) {
      if (signal.aborted) {
        this.#errors.write('Cancelled\n')
        return 'cancelled'
      }
      if (err instanceof SqlError) {
        this.#errors.write(formatSqlError(err, text) + '\n')
        return EXIT_USAGE
      }
      this.#errors.write(`Error: ${errorMessage(err).replace(/\s*\n\s*/g, ' ')}\n`)
      return EXIT_FAILURE
    } finally {
      this.#running = undefined
    }
  }

  #command (text: string): void {
    const name = text.split(/\s+/)[0]!
    if (name === '.help') this.#output.write(HELP + '\n')
    else this.#errors.write(`Unknown command '${name}' (see .help)\n`)
  }

  /** Ctrl-C: cancels the statement or page, else clears the line; twice on an empty line quits. */
  #interrupt (): void {
    const rl = this.#rl!
    if (this.#closed) return
    if (this.#running !== undefined) {
      this.#running.abort()
      if (this.#waiter !== undefined) this.#push('q')
      return
    }
    const empty = rl.line.length === 0 && this.#buffer === ''
    if (empty && this.#sawSigint) {
      rl.close()
      return
    }
    // the abandoned line stays on the screen; readline's own keys (end of line, delete to
    // its start) empty its line so that it redraws itself
    rl.write(null, { ctrl: true, name: 'e' })
    this.#output.write(empty ? '\n(To exit, press Ctrl+C again or Ctrl+D or type .quit)\n' : '\n')
    rl.write(null, { ctrl: true, name: 'u' })
    this.#buffer = ''
    this.#queue.length = 0
    this.#sawSigint = empty
    this.#prompt(PROMPT)
  }

  #push (line: string | undefined): void {
    const waiter = this.#waiter
    if (waiter !== undefined) {
      this.#waiter = undefined
      waiter(line)
    } else if (line !== undefined) {
      this.#queue.push(line)
    }
  }

  /** The next line typed (prompting for it on a terminal); undefined when the input ended. */
  async #nextLine (pager: boolean): Promise<string | undefined> {
    const queued = this.#queue.shift()
    if (queued !== undefined) return queued
    if (this.#closed) return undefined
    if (!pager) this.#prompt(this.#buffer === '' ? PROMPT : CONTINUATION_PROMPT)
    return await new Promise(resolve => { this.#waiter = resolve })
  }

  /** The answer to the pager's prompt, kept out of the history. */
  async #pagerAnswer (): Promise<string | undefined> {
    const answer = await this.#nextLine(true)
    const history = (this.#rl as { history?: string[] } | undefined)?.history
    if (answer !== undefined && history?.[0] === answer) history.shift()
    return answer
  }

  #prompt (text: string): void {
    if (!this.#tty || this.#closed) return
    this.#rl!.setPrompt(text)
    this.#rl!.prompt(true)
  }

  #exitCodeOnSignal (): number | undefined {
    if (this.#signal?.aborted !== true) return undefined
    const code: unknown = (this.#signal.reason as { exitCode?: unknown } | undefined)?.exitCode
    return typeof code === 'number' ? code : EXIT_FAILURE
  }

  #closedBySignal (): boolean {
    return this.#signal?.aborted === true
  }

  /** The history file's lines, newest first (readline's order); none when it cannot be read. */
  #loadHistory (): string[] {
    if (this.#historyFile === undefined) return []
    try {
      return readFileSync(this.#historyFile, 'utf8').split('\n').filter(l => l.trim() !== '').reverse().slice(0, this.#historySize)
    } catch {
      return []
    }
  }

  /** Writes readline's history, oldest first; a history that cannot be written is not worth an error. */
  #saveHistory (): void {
    const history = (this.#rl as { history?: string[] } | undefined)?.history
    if (this.#historyFile === undefined || !this.#tty || history === undefined) return
    try {
      writeFileSync(this.#historyFile, [...history].reverse().join('\n') + '\n', { mode: 0o600 })
    } catch {}
  }
}
