/**
 * How the SQL shell prints a result: rows as a table with the row count and time, paged
 * when longer than the terminal (a screenful, then `-- more (N rows left): Enter for more,
 * q to stop --`); EXPLAIN as its text; a status as its message and time; a continuous
 * query's batches as they arrive, until it ends or its signal aborts.
 *
 * @example
 * const printer = new ShellPrinter({ output: process.stdout, readLine, prompt }, { paged: true })
 * await printer.print(await session.execute('SELECT * FROM sales'), signal)
 */
import { clearLine, cursorTo, moveCursor } from 'node:readline'
import type { SqlResult } from '../sql/sql-result.ts'
import type { SqlColumn } from '../sql/sql-types.ts'
import { csvHeading, csvRows, elapsedText, formatSqlTableLines, jsonRowTexts, rowCountLine, tableCells, tableLayout, tableLine, type TableLayout } from './format-sql.ts'

/**
 * A continuous query's result: batches of rows as windows fire, until the query ends or
 * the statement's signal aborts (the shape `SqlResult` gains with streaming SQL).
 */
export interface StreamResult {
  readonly kind: 'stream'
  readonly columns: readonly SqlColumn[]
  readonly batches: AsyncIterable<readonly (readonly unknown[])[]>
}

/** The shell's output: a terminal's size when it is one. */
export type ShellOutput = NodeJS.WritableStream & { readonly isTTY?: boolean, readonly rows?: number, readonly columns?: number }

/** What the printer uses. */
export interface ShellPrinterComponents {
  readonly output: ShellOutput
  /** The next line the user types (the answer to the pager), undefined when the input ended. */
  readLine(): Promise<string | undefined>
  /** Shows a prompt for `readLine`. */
  prompt(text: string): void
}

/** Options of the printer. */
export interface ShellPrinterInit {
  /** Page results longer than the terminal (a terminal only). */
  readonly paged?: boolean
}

/** The pager's prompt. */
export function morePrompt (rowsLeft: number): string {
  return `-- more (${rowsLeft} row${rowsLeft === 1 ? '' : 's'} left): Enter for more, q to stop --`
}

/** See the module comment. */
export class ShellPrinter {
  readonly #components: ShellPrinterComponents
  readonly #paged: boolean

  constructor (components: ShellPrinterComponents, init: ShellPrinterInit = {}) {
    this.#components = components
    this.#paged = init.paged === true
  }

  /** Prints `result`; `signal` stops paging and streaming. */
  async print (result: SqlResult | StreamResult, signal: AbortSignal): Promise<void> {
    const out = this.#components.output
    switch (result.kind) {
      case 'explain':
        out.write(result.text.endsWith('\n') ? result.text : result.text + '\n')
        return
      case 'status':
        out.write(`${result.message} (${elapsedText(result.elapsedMs)})\n`)
        return
      case 'rows':
        await this.#page(formatSqlTableLines(result.columns, result.rows), rowCountLine(result.rows.length, result.elapsedMs), signal)
        return
      case 'stream':
        await this.#stream(result, signal)
    }
  }

  /** Terminal rows a line takes (long lines wrap). */
  #height (line: string): number {
    const width = this.#components.output.columns
    if (width === undefined || width <= 0) return 1
    let n = 0
    for (const _ of line) n++
    return Math.max(1, Math.ceil(n / width))
  }

  /** The table lines (heading first) and the footer, a screenful at a time on a terminal. */
  async #page (lines: readonly string[], footer: string, signal: AbortSignal): Promise<void> {
    const out = this.#components.output
    const screen = this.#components.output.rows
    const total = lines.reduce((n, l) => n + this.#height(l), 0) + 1
    if (!this.#paged || screen === undefined || total <= screen - 1) {
      out.write(lines.join('\n') + '\n' + footer + '\n')
      return
    }
    const page = Math.max(1, screen - 1) // one row for the pager's prompt
    let i = 0
    while (i < lines.length) {
      let used = 0
      let text = ''
      while (i < lines.length && (used === 0 || used + this.#height(lines[i]!) <= page)) {
        text += lines[i]! + '\n'
        used += this.#height(lines[i]!)
        i++
      }
      out.write(text)
      if (i >= lines.length) break
      this.#components.prompt(morePrompt(lines.length - i))
      const answer = await this.#components.readLine()
      // the prompt's line goes, so that the table reads on
      moveCursor(out, 0, -1)
      clearLine(out, 0)
      cursorTo(out, 0)
      if (answer === undefined || signal.aborted || answer.trim().toLowerCase().startsWith('q')) break
    }
    out.write(footer + '\n')
  }

  /** Rows of a continuous query as they arrive; widths grow with the values seen. */
  async #stream (result: StreamResult, signal: AbortSignal): Promise<void> {
    const out = this.#components.output
    const started = performance.now()
    let layout: TableLayout | undefined
    let count = 0
    await forEachBatch(result.batches, signal, batch => {
      const cells = tableCells(result.columns, batch)
      if (layout === undefined) {
        layout = tableLayout(result.columns, cells)
        out.write(tableLine(layout, result.columns.map(c => c.name)) + '\n')
      } else {
        const wider = tableLayout(result.columns, cells)
        layout = { widths: layout.widths.map((w, k) => Math.max(w, wider.widths[k] ?? 0)), right: layout.right }
      }
      const shown = layout
      if (cells.length > 0) out.write(cells.map(r => tableLine(shown, r)).join('\n') + '\n')
      count += cells.length
    })
    out.write(rowCountLine(count, performance.now() - started) + (signal.aborted ? ', stopped by Ctrl-C' : '') + '\n')
  }
}

/**
 * Calls `onBatch` for each batch of `batches` until they end or `signal` aborts (then the
 * pending batch is not waited for, and the iterator is told to return).
 */
export async function forEachBatch (batches: AsyncIterable<readonly (readonly unknown[])[]>, signal: AbortSignal, onBatch: (batch: readonly (readonly unknown[])[]) => void): Promise<void> {
  const iterator = batches[Symbol.asyncIterator]()
  let onAbort: () => void = () => {}
  const aborted = new Promise<undefined>(resolve => {
    onAbort = () => { resolve(undefined) }
    if (signal.aborted) resolve(undefined)
    signal.addEventListener('abort', onAbort, { once: true })
  })
  try {
    for (;;) {
      const next = iterator.next()
      next.catch(() => {}) // a batch that fails after Ctrl-C is not reported
      const step = await Promise.race([next, aborted])
      if (step === undefined || step.done === true) break
      onBatch(step.value)
    }
  } finally {
    signal.removeEventListener('abort', onAbort)
    // not awaited: an async generator's return waits for its pending next, which may never come
    if (signal.aborted) void iterator.return?.().catch(() => undefined)
  }
}

/**
 * A continuous query's rows in `format` as they arrive, until the stream ends or `signal`
 * aborts (`meshflow sql "QUERY"`): a table, CSV lines after the heading, or one JSON array
 * of row objects, closed however the stream ends.
 */
export async function printStream (result: StreamResult, format: 'table' | 'json' | 'csv', output: ShellOutput, signal: AbortSignal): Promise<void> {
  if (format === 'table') {
    await new ShellPrinter({ output, readLine: async () => undefined, prompt: () => {} }).print(result, signal)
    return
  }
  if (format === 'csv') {
    output.write(csvHeading(result.columns))
    await forEachBatch(result.batches, signal, batch => { output.write(csvRows(result.columns, batch)) })
    return
  }
  let first = true
  output.write('[')
  try {
    await forEachBatch(result.batches, signal, batch => {
      const texts = jsonRowTexts(result.columns, batch)
      if (texts.length === 0) return
      output.write((first ? '' : ',') + texts.join(','))
      first = false
    })
  } finally {
    output.write(']\n')
  }
}
