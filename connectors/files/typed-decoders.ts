/**
 * Line decoders that type their records by a DatasetSchema: CSV fields and JSON Lines
 * values become the schema's column types (see typed-values.ts). A record holds exactly
 * the schema's columns, in its order; other fields of the input are dropped.
 *
 * @example
 * const d = new TypedCsvDecoder({ columns: [{ name: 'id', type: 'int64' }, { name: 'amount', type: 'number' }] })
 * d.decode('amount,id,note')   // undefined: the header, matched by name
 * d.decode('2.5,7,x')          // { id: 7n, amount: 2.5 }
 */
import type { DatasetSchema } from '../../node/api/dataset-schema.ts'
import { parseCsvLine } from './csv.ts'
import { convertJson, TEXT_CONVERTERS, TYPE_CODE } from './typed-values.ts'
import type { CsvReadOptions, LineDecoder } from './line-decoder.ts'
import { literalKey } from './row-factory.ts'
import { CsvBytesDecoder } from './typed-csv-bytes.ts'

type Row = Record<string, unknown>

/**
 * A record of CSV fields compiled per schema and header (see row-factory.ts): field
 * `index[j]` converted by the converter of `codes[j]` into column `names[j]`.
 */
function compileCsvRow (names: readonly string[], codes: Uint8Array, index: Int32Array): (fields: readonly string[]) => Row {
  const used = [...new Set(codes)]
  const body = [
    ...used.map(c => `const K${c} = K[${c}]`),
    `return function csvRow (f) { return { ${names.map((n, j) => `${literalKey(n)}: K${codes[j]}(f[${index[j]}], ${JSON.stringify(n)})`).join(', ')} } }`
  ].join('\n')
  // eslint-disable-next-line no-new-func -- a record literal compiled per schema (row-factory.ts)
  return (new Function('K', body) as (k: typeof TEXT_CONVERTERS) => (fields: readonly string[]) => Row)(TEXT_CONVERTERS)
}

/** A record of a parsed JSON object compiled per schema; a field the object does not own is null. */
function compileJsonRow (names: readonly string[], codes: Uint8Array): (o: Row) => Row {
  const get = (n: string): string => `(H(o, ${JSON.stringify(n)}) ? o[${JSON.stringify(n)}] : undefined)`
  const body = `return function jsonRow (o) { return { ${names.map((n, j) => `${literalKey(n)}: J(${codes[j]}, ${get(n)}, ${JSON.stringify(n)})`).join(', ')} } }`
  // eslint-disable-next-line no-new-func -- see compileCsvRow
  return (new Function('J', 'H', body) as (j: typeof convertJson, h: typeof Object.hasOwn) => (o: Row) => Row)(convertJson, Object.hasOwn)
}

/** CSV rows typed by a schema. With a header, schema columns are found in it by name. */
export class TypedCsvDecoder implements LineDecoder<Row> {
  readonly format = 'CSV'
  readonly #delimiter: string
  readonly #names: readonly string[]
  readonly #codes: Uint8Array
  /** Builds a record from the fields, once the header is known. */
  #row: ((fields: readonly string[]) => Row) | undefined
  /** The same records from bytes (a one-byte delimiter only), once the header is known. */
  #bytes: CsvBytesDecoder | undefined
  /** Fields per row (the header's, `columns`' or the schema's). */
  #width = 0
  #expectHeader: boolean
  readonly #columns: readonly string[] | undefined

  constructor (schema: DatasetSchema, options: CsvReadOptions = {}) {
    this.#delimiter = options.delimiter ?? ','
    this.#names = schema.columns.map(c => c.name)
    this.#codes = Uint8Array.from(schema.columns, c => TYPE_CODE[c.type])
    this.#expectHeader = options.header ?? true
    this.#columns = options.columns
    if (options.columns !== undefined) this.#bind(options.columns)
    else if (!this.#expectHeader) this.#bind(this.#names)
  }

  get expectsHeader (): boolean {
    return this.#expectHeader
  }

  /** Takes the header (`columns`, when given, still name the fields). */
  useHeader (text: string): void {
    const fields = parseCsvLine(text, this.#delimiter)
    this.#expectHeader = false
    if (this.#columns === undefined) this.#bind(fields)
  }

  decode (text: string): Row | undefined {
    if (this.#expectHeader) {
      this.useHeader(text)
      return undefined
    }
    const fields = parseCsvLine(text, this.#delimiter)
    if (fields.length !== this.#width) throw new Error(`Expected ${this.#width} fields, found ${fields.length}`)
    return this.#row!(fields)
  }

  decodeBytes (buf: Buffer, start: number, stop: number): Row | null {
    return this.#bytes === undefined || this.#expectHeader ? null : this.#bytes.decode(buf, start, stop)
  }

  /** Finds each schema column among the file's field names. */
  #bind (fieldNames: readonly string[]): void {
    const index = new Int32Array(this.#names.length)
    for (let j = 0; j < this.#names.length; j++) {
      const i = fieldNames.indexOf(this.#names[j]!)
      if (i === -1) throw new Error(`The header has no column '${this.#names[j]}' (it has ${fieldNames.map(f => `'${f}'`).join(', ')})`)
      index[j] = i
    }
    this.#row = compileCsvRow(this.#names, this.#codes, index)
    this.#width = fieldNames.length
    const d = this.#delimiter.charCodeAt(0)
    this.#bytes = this.#delimiter.length === 1 && d < 0x80 ? new CsvBytesDecoder(this.#names, this.#codes, index, this.#width, d) : undefined
  }
}

/** JSON Lines objects typed by a schema; a missing field is null. */
export class TypedJsonlDecoder implements LineDecoder<Row> {
  readonly format = 'JSON'
  readonly #row: (o: Row) => Row

  constructor (schema: DatasetSchema) {
    this.#row = compileJsonRow(schema.columns.map(c => c.name), Uint8Array.from(schema.columns, c => TYPE_CODE[c.type]))
  }

  decode (text: string): Row | undefined {
    if (text.charCodeAt(0) <= 32 && text.trim().length === 0) return undefined
    let parsed: unknown
    try {
      parsed = JSON.parse(text)
    } catch (err) {
      if (err instanceof SyntaxError) err.message = err.message.replace(/ \(line \d+ column \d+\)$/, '')
      throw err
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('Expected a JSON object')
    return this.#row(parsed as Row)
  }
}
