/**
 * What the converters from the parser library's JSON to meshflow's AST share: the
 * statement's text and tokens, where the statement starts in the whole text (positions
 * are reported in the whole text), and helpers to read the library's serde shapes.
 *
 * The library's JSON is untyped here on purpose (`LibNode`): its shapes are serde's
 * rendering of sqlparser-rs's Rust enums — a unit variant is a string (`"Null"`), any
 * other variant an object with one key (`{ "Identifier": {...} }`) — and the converters
 * check every shape they read, turning anything else into a SqlUnsupportedError.
 */
import type { Ident, Pos } from '../ast.ts'
import { SqlSyntaxError, SqlUnsupportedError } from '../errors.ts'
import { isPunct, lexSql, tokenIndexAt } from './sql-lexer.ts'
import type { SqlToken } from './sql-lexer.ts'
import { SourceText } from './source-text.ts'

/** A node of the library's JSON AST. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type LibNode = any

/** A span of the library: 1-based line and code-point column; line 0 when it has none. */
interface LibSpan { start: { line: number, column: number } }

/** The tag and payload of a serde enum value: `"Null"` → ['Null', undefined], `{ A: x }` → ['A', x]. */
export function variant (node: LibNode): [string, LibNode] {
  if (typeof node === 'string') return [node, undefined]
  if (node !== null && typeof node === 'object' && !Array.isArray(node)) {
    const keys = Object.keys(node)
    if (keys.length === 1) return [keys[0] as string, node[keys[0] as string]]
  }
  return ['', node]
}

/** `CreateView` → `CREATE VIEW`, for naming an unsupported library node. */
export function constructName (tag: string): string {
  return tag.replace(/([a-z])([A-Z])/g, '$1 $2').toUpperCase()
}

/** Where the statement being converted starts in the whole text. */
export interface StatementStart {
  readonly offset: number
  readonly line: number
  readonly column: number
}

/** One statement's conversion state: its text, tokens and position in the whole text. */
export class ConvertContext {
  /** The statement as written (before Flink clauses were blanked). */
  readonly source: SourceText
  readonly tokens: readonly SqlToken[]
  /** The whole text the statement came from, for errors' `query`. */
  readonly query: string
  readonly #start: StatementStart
  /** Offsets (in the statement) of window TVF names → the `TABLE` keyword written before them. */
  readonly tvfStarts: ReadonlyMap<number, number>

  constructor (components: { statement: string, query: string, start: StatementStart, tvfStarts?: ReadonlyMap<number, number> }) {
    this.source = new SourceText(components.statement)
    this.tokens = lexSql(components.statement).tokens
    this.query = components.query
    this.#start = components.start
    this.tvfStarts = components.tvfStarts ?? new Map()
  }

  /** The whole-text position of a statement-local line and column (as the library reports). */
  pos (line: number, column: number): Pos {
    return this.shift(this.source.pos(line, column))
  }

  /** The whole-text position of a statement-local offset. */
  posAt (offset: number): Pos {
    return this.shift(this.source.posAt(offset))
  }

  /** The position of the statement's first token. */
  statementPos (): Pos {
    return { line: this.#start.line, column: this.#start.column, offset: this.#start.offset }
  }

  /** A statement-local position moved into the whole text. */
  shift (local: Pos): Pos {
    return {
      line: local.line + this.#start.line - 1,
      column: local.line === 1 ? local.column + this.#start.column - 1 : local.column,
      offset: local.offset + this.#start.offset
    }
  }

  /** The statement-local offset of a whole-text position. */
  local (pos: Pos): number {
    return pos.offset - this.#start.offset
  }

  /** The position of a library span, or undefined when it has none (line 0). */
  spanPos (span: LibSpan | undefined): Pos | undefined {
    if (span === undefined || span === null || span.start.line === 0) return undefined
    return this.pos(span.start.line, span.start.column)
  }

  /**
   * The first position in a library subtree (the smallest span start): a composite
   * node's position is its first leaf's. The statement's start when it has none.
   */
  firstPos (node: LibNode): Pos {
    let best: LibSpan['start'] | undefined
    const visit = (n: LibNode): void => {
      if (n === null || typeof n !== 'object') return
      if (Array.isArray(n)) { for (const x of n) visit(x); return }
      for (const [k, v] of Object.entries(n)) {
        if (k === 'span') {
          const s = (v as LibSpan).start
          if (s.line > 0 && (best === undefined || s.line < best.line || (s.line === best.line && s.column < best.column))) best = s
        } else visit(v)
      }
    }
    visit(node)
    return best === undefined ? this.statementPos() : this.pos(best.line, best.column)
  }

  /** The position of the token starting at a statement-local offset, or of the token `i`. */
  tokenPos (i: number): Pos | undefined {
    const t = this.tokens[i]
    return t === undefined ? undefined : this.posAt(t.start)
  }

  /** The index of the token at a whole-text position. */
  tokenIndex (pos: Pos): number {
    return tokenIndexAt(this.tokens, this.local(pos))
  }

  /**
   * The position of the keywords written just before the node at `pos` (a node the
   * library gives no span): `pattern` lists them in order, upper case, `null` for any
   * token; opening parentheses between them and the node are skipped. `pos` when the
   * tokens before do not match.
   */
  extendBack (pos: Pos, pattern: readonly (string | null)[]): Pos {
    let i = this.tokenIndex(pos)
    for (let guard = 0; guard < 64 && i > 0; guard++) {
      const from = i - pattern.length
      if (from >= 0 && pattern.every((p, k) => p === null || (this.tokens[from + k] as SqlToken).text.toUpperCase() === p)) {
        return this.tokenPos(from) ?? pos
      }
      if (!isPunct(this.tokens[i - 1], '(')) break
      i--
    }
    return pos
  }

  /** An identifier from the library's `Ident` (`{ value, quote_style, span }`). */
  ident (node: LibNode, fallback?: Pos): Ident {
    if (node === null || typeof node !== 'object' || typeof node.value !== 'string') throw this.unsupported('This name', fallback ?? this.statementPos())
    return { name: node.value, quoted: node.quote_style !== undefined && node.quote_style !== null, pos: this.spanPos(node.span) ?? fallback ?? this.statementPos() }
  }

  /** The one identifier of an `ObjectName` (`[{ Identifier: … }]`); `what` names it for errors. */
  objectName (node: LibNode, what: string): Ident {
    const parts: LibNode[] = Array.isArray(node) ? node : []
    const idents = parts.map(p => variant(p)).filter(([tag]) => tag === 'Identifier').map(([, v]) => this.ident(v))
    if (idents.length !== parts.length || idents.length === 0) throw this.unsupported(what, this.firstPos(node))
    if (idents.length > 1) throw this.unsupported(`A qualified ${what.toLowerCase()} (${idents.map(i => i.name).join('.')})`, idents[0]?.pos ?? this.statementPos())
    return idents[0] as Ident
  }

  /** A SqlUnsupportedError for `construct` at `pos`, with the query attached. */
  unsupported (construct: string, pos: Pos): SqlUnsupportedError {
    return new SqlUnsupportedError(construct, pos, { query: this.query })
  }

  /** A SqlSyntaxError at `pos`, with the query attached. */
  syntax (detail: string, pos: Pos): SqlSyntaxError {
    return new SqlSyntaxError(detail, pos, { query: this.query })
  }
}

/** Whether a library value is absent: undefined, null, `"None"`, false or an empty array. */
export function absent (v: LibNode): boolean {
  return v === undefined || v === null || v === 'None' || v === false || (Array.isArray(v) && v.length === 0)
}
