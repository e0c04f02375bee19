/**
 * Connector tables: `CREATE TABLE name (cols…, WATERMARK FOR ts AS ts - INTERVAL '5' SECOND)
 * WITH ('connector' = …, …)` in Flink's DDL shape, checked and turned into a definition the
 * streaming planner builds sources and sinks from (connector-source.ts, connector-sink.ts).
 *
 * Connectors and their options (Flink's names where Flink has them):
 * - `datagen`: `rows-per-second`, `number-of-rows` (bounded when given), `fields.<col>.kind`
 *   = `sequence` | `random`, `fields.<col>.start` / `.end` (sequence), `.min` / `.max`
 *   (random numbers and timestamps), `.length` (random strings), `seed`.
 * - `files` (alias `filesystem`): `path`, `format` = `json` | `csv`.
 * - `dataset`: `name` (default: the table's name).
 * - `kafka`: `topic`, `properties.bootstrap.servers`, `properties.group.id`,
 *   `scan.startup.mode` = `earliest-offset` | `latest-offset` | `group-offsets`,
 *   `scan.bounded.mode` = `latest-offset` | `unbounded`, `format` = `json`,
 *   `sink.delivery-guarantee` = `exactly-once` | `at-least-once` | `none`,
 *   `sink.transactional-id-prefix`.
 * - Every source: `scan.watermark.idle-timeout` (`'5 s'`, `'500 ms'`, `'1 min'`): a source
 *   subtask that reads nothing for that long stops holding the watermark back (Flink's
 *   option of the same name; `withIdleness`).
 *
 * The WATERMARK clause is `ts` (ascending timestamps: `forMonotonousTimestamps`) or
 * `ts - INTERVAL 'd' UNIT` (`forBoundedOutOfOrderness(d)`); `ts` must be a TIMESTAMP column.
 *
 * @example
 * const def = connectorTable(parseStatement(`CREATE TABLE clicks (user_id BIGINT, ts TIMESTAMP(3),
 *   WATERMARK FOR ts AS ts - INTERVAL '5' SECOND) WITH ('connector' = 'datagen', 'number-of-rows' = '1000')`))
 * def.watermark // { column: 1, delayMs: 5000 }
 */
import type { Pos, Statement } from '../ast.ts'
import type { SqlColumn } from '../sql-types.ts'
import { typeOf } from '../binder/bind-expression.ts'
import { intervalMs, parseIntervalLiteral } from '../binder/literals.ts'
import { SqlDdlError, didYouMean } from '../errors.ts'

/** A connector the DDL knows. */
export type ConnectorKind = 'datagen' | 'files' | 'dataset' | 'kafka'

/** A checked `CREATE TABLE … WITH (…)`. */
export interface ConnectorTable {
  readonly name: string
  readonly columns: readonly SqlColumn[]
  /** The event-time column and the watermark's delay (0: ascending timestamps); undefined: no event time. */
  readonly watermark: { readonly column: number, readonly delayMs: number } | undefined
  readonly connector: ConnectorKind
  /** The options as written (keys lower case). */
  readonly options: Readonly<Record<string, string>>
  /** `scan.watermark.idle-timeout` in ms, when given. */
  readonly idleTimeoutMs: number | undefined
  /** Whether the source ends (datagen with `number-of-rows`, files, dataset, kafka with `scan.bounded.mode`). */
  readonly bounded: boolean
  /** Where the statement is, for errors found later (a missing option of a sink). */
  readonly pos: Pos
}

const FIELD_OPTIONS = ['kind', 'start', 'end', 'min', 'max', 'length']

const KNOWN: Readonly<Record<ConnectorKind, readonly string[]>> = {
  datagen: ['rows-per-second', 'number-of-rows', 'seed'],
  files: ['path', 'format'],
  dataset: ['name'],
  kafka: ['topic', 'properties.bootstrap.servers', 'properties.group.id', 'scan.startup.mode', 'scan.bounded.mode', 'format',
    'sink.delivery-guarantee', 'sink.transactional-id-prefix']
}

/** Options of every connector. */
const COMMON = ['scan.watermark.idle-timeout']

const REQUIRED: Readonly<Record<ConnectorKind, readonly string[]>> = {
  datagen: [],
  files: ['path', 'format'],
  dataset: [],
  kafka: ['topic', 'properties.bootstrap.servers']
}

const ALLOWED_VALUES: Readonly<Record<string, readonly string[]>> = {
  'files.format': ['json', 'csv'],
  'kafka.format': ['json'],
  'kafka.scan.startup.mode': ['earliest-offset', 'latest-offset', 'group-offsets'],
  'kafka.scan.bounded.mode': ['latest-offset', 'unbounded'],
  'kafka.sink.delivery-guarantee': ['exactly-once', 'at-least-once', 'none']
}

/** The connectors `'connector' = …` may name. */
export const CONNECTORS: readonly string[] = ['datagen', 'files', 'filesystem', 'dataset', 'kafka']

/**
 * The definition of a `create-table` statement (see the module comment).
 *
 * @throws SqlDdlError naming an unknown connector or option (and the known ones), a missing option, a bad WATERMARK
 */
export function connectorTable (statement: Extract<Statement, { kind: 'create-table' }>): ConnectorTable {
  const pos = statement.pos
  const name = statement.table.name
  if (statement.columns.length === 0) throw new SqlDdlError(`CREATE TABLE ${name} needs its columns`, pos)
  const columns: SqlColumn[] = []
  for (const c of statement.columns) {
    if (columns.some(x => x.name.toLowerCase() === c.name.name.toLowerCase())) throw new SqlDdlError(`CREATE TABLE ${name} names column '${c.name.name}' twice`, c.name.pos)
    columns.push({ name: c.name.name, type: typeOf(c.type), nullable: !c.notNull })
  }
  const options: Record<string, string> = {}
  for (const [k, v] of Object.entries(statement.options)) options[k.toLowerCase()] = v
  const written = options.connector
  if (written === undefined) throw new SqlDdlError(`CREATE TABLE ${name} … WITH needs 'connector' (one of ${CONNECTORS.map(c => `'${c}'`).join(', ')})`, pos)
  const connector = connectorKind(written, pos)
  for (const key of Object.keys(options)) {
    if (key === 'connector') continue
    if (KNOWN[connector].includes(key) || COMMON.includes(key)) continue
    if (connector === 'datagen' && /^fields\./.test(key)) {
      const [, column, option] = /^fields\.(.+)\.([^.]+)$/.exec(key) ?? []
      if (column === undefined || !columns.some(c => c.name === column)) throw new SqlDdlError(`Option '${key}' of connector 'datagen' names no column of ${name} (${columns.map(c => c.name).join(', ')})`, pos)
      if (!FIELD_OPTIONS.includes(option!)) throw new SqlDdlError(`Unknown option '${key}' of connector 'datagen' (fields.<column>. takes ${FIELD_OPTIONS.join(', ')})`, pos)
      continue
    }
    if (connector === 'kafka' && key.startsWith('properties.')) continue
    const best = didYouMean(key, KNOWN[connector])
    throw new SqlDdlError(`Unknown option '${key}' of connector '${written}'${best === undefined ? '' : ` — did you mean '${best}'?`} (known: ${KNOWN[connector].join(', ')}${connector === 'datagen' ? ', fields.<column>.<kind|start|end|min|max|length>' : ''})`, pos)
  }
  for (const key of REQUIRED[connector]) {
    if (options[key] === undefined) throw new SqlDdlError(`Connector '${written}' needs option '${key}'`, pos)
  }
  for (const [key, value] of Object.entries(options)) {
    const allowed = ALLOWED_VALUES[`${connector}.${key}`]
    if (allowed !== undefined && !allowed.includes(value)) throw new SqlDdlError(`Option '${key}' of connector '${written}' must be one of ${allowed.map(a => `'${a}'`).join(', ')}, got '${value}'`, pos)
  }
  if (connector === 'datagen') checkDatagen(name, columns, options, pos)
  const watermark = statement.watermark === undefined ? undefined : watermarkOf(statement.watermark, columns)
  const bounded = connector === 'datagen'
    ? options['number-of-rows'] !== undefined
    : connector === 'kafka' ? options['scan.bounded.mode'] === 'latest-offset' : true
  const idle = options['scan.watermark.idle-timeout']
  const idleTimeoutMs = idle === undefined ? undefined : durationMs(idle, 'scan.watermark.idle-timeout', pos)
  return { name, columns, watermark, connector, options, idleTimeoutMs, bounded, pos }
}

const UNITS: Readonly<Record<string, number>> = { ms: 1, milli: 1, millis: 1, s: 1000, sec: 1000, second: 1000, seconds: 1000, min: 60_000, minute: 60_000, minutes: 60_000, h: 3_600_000, hour: 3_600_000, hours: 3_600_000 }

/** A duration option as Flink writes them (`'5 s'`, `'500ms'`, `'1 min'`; a bare number is ms) in ms. */
function durationMs (text: string, key: string, pos: Pos): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text)
  const unit = m === null ? undefined : m[2] === '' ? 1 : UNITS[m[2]!.toLowerCase()]
  if (m === null || unit === undefined || !(Number(m[1]) > 0)) throw new SqlDdlError(`Option '${key}' must be a positive duration ('5 s', '500 ms', '1 min'), got '${text}'`, pos)
  return Math.round(Number(m[1]) * unit)
}

function connectorKind (written: string, pos: Pos): ConnectorKind {
  switch (written.toLowerCase()) {
    case 'datagen': return 'datagen'
    case 'files': case 'filesystem': return 'files'
    case 'dataset': return 'dataset'
    case 'kafka': return 'kafka'
  }
  const best = didYouMean(written, CONNECTORS)
  throw new SqlDdlError(`Unknown connector '${written}'${best === undefined ? '' : ` — did you mean '${best}'?`} (known: ${CONNECTORS.join(', ')})`, pos)
}

/** A non-negative integer option, or undefined when not given. */
export function integerOption (options: Readonly<Record<string, string>>, key: string, pos: Pos): number | undefined {
  const v = options[key]
  if (v === undefined) return undefined
  const n = Number(v)
  if (v.trim() === '' || !Number.isSafeInteger(n) || n < 0) throw new SqlDdlError(`Option '${key}' must be a non-negative integer, got '${v}'`, pos)
  return n
}

function checkDatagen (name: string, columns: readonly SqlColumn[], options: Readonly<Record<string, string>>, pos: Pos): void {
  integerOption(options, 'number-of-rows', pos)
  integerOption(options, 'seed', pos)
  const rate = options['rows-per-second']
  if (rate !== undefined && !(Number(rate) > 0)) throw new SqlDdlError(`Option 'rows-per-second' must be a positive number, got '${rate}'`, pos)
  for (const c of columns) {
    const kind = options[`fields.${c.name}.kind`]
    if (kind !== undefined && kind !== 'sequence' && kind !== 'random') throw new SqlDdlError(`Option 'fields.${c.name}.kind' must be 'sequence' or 'random', got '${kind}'`, pos)
    if (kind === 'sequence') {
      if (c.type === 'VARCHAR' || c.type === 'BOOLEAN') throw new SqlDdlError(`Column '${c.name}' of ${name} is ${c.type}: datagen sequences are of numbers and timestamps`, pos)
      for (const k of ['start', 'end']) if (options[`fields.${c.name}.${k}`] === undefined) throw new SqlDdlError(`Datagen sequence column '${c.name}' needs option 'fields.${c.name}.${k}'`, pos)
    }
  }
}

/** `ts` or `ts - INTERVAL …` of the WATERMARK clause. */
function watermarkOf (w: NonNullable<Extract<Statement, { kind: 'create-table' }>['watermark']>, columns: readonly SqlColumn[]): { column: number, delayMs: number } {
  const same = (name: string): boolean => w.column.quoted ? name === w.column.name : name.toLowerCase() === w.column.name.toLowerCase()
  const column = columns.findIndex(c => same(c.name))
  if (column < 0) throw new SqlDdlError(`WATERMARK FOR names no column: '${w.column.name}'`, w.column.pos)
  if (columns[column]!.type !== 'TIMESTAMP') throw new SqlDdlError(`WATERMARK FOR '${w.column.name}' needs a TIMESTAMP column, it is ${columns[column]!.type}`, w.column.pos)
  const e = w.expr
  const isTs = (x: typeof e): boolean => x.kind === 'column' && x.table === undefined && same(x.name.name)
  if (isTs(e)) return { column, delayMs: 0 }
  if (e.kind === 'binary' && e.op === '-' && isTs(e.left) && e.right.kind === 'interval') {
    const ms = intervalMs(parseIntervalLiteral(e.right.value, e.right.unit, e.right.pos))
    if (ms === undefined || ms < 0) throw new SqlDdlError('The watermark delay must be a non-negative INTERVAL of days or less', e.right.pos)
    return { column, delayMs: ms }
  }
  throw new SqlDdlError(`WATERMARK FOR ${w.column.name} AS … must be '${w.column.name}' or '${w.column.name} - INTERVAL …'`, e.pos)
}
