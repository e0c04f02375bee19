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
import { convertCode, convertJson, TYPE_CODE } from './typed-values.ts'
import type { CsvReadOptions, LineDecoder } from './line-decoder.ts'

type Row = Record<string, unknown>

/** Sets a field, also one named `__proto__` (which plain assignment would not create). */
function defineField (record: Row, key: string, value: unknown): void {
  Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true })
}

/** CSV rows typed by a schema. With a header, schema columns are found in it by name. */
export class TypedCsvDecoder implements LineDecoder<Row> {
  readonly format = 'CSV'
  readonly #delimiter: string
  readonly #names: readonly string[]
  readonly #codes: Uint8Array
  /** Field index of each schema column. */
  #index: Int32Array | undefined
  /** Fields per row (the header's, `columns`' or the schema's). */
  #width = 0
  #expectHeader: boolean
  readonly #columns: readonly string[] | undefined
  readonly #unsafe: boolean

  constructor (schema: DatasetSchema, options: CsvReadOptions = {}) {
    this.#delimiter = options.delimiter ?? ','
    this.#names = schema.columns.map(c => c.name)
    this.#codes = Uint8Array.from(schema.columns, c => TYPE_CODE[c.type])
    this.#expectHeader = options.header ?? true
    this.#columns = options.columns
    this.#unsafe = this.#names.includes('__proto__')
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
    const index = this.#index!
    const names = this.#names
    const codes = this.#codes
    const record: Row = {}
    for (let j = 0; j < names.length; j++) {
      const name = names[j]!
      const value = convertCode(codes[j]!, fields[index[j]!]!, name)
      if (this.#unsafe) defineField(record, name, value)
      else record[name] = value
    }
    return record
  }

  /** Finds each schema column among the file's field names. */
  #bind (fieldNames: readonly string[]): void {
    const index = new Int32Array(this.#names.length)
    for (let j = 0; j < this.#names.length; j++) {
      const i = fieldNames.indexOf(this.#names[j]!)
      if (i === -1) throw new Error(`The header has no column '${this.#names[j]}' (it has ${fieldNames.map(f => `'${f}'`).join(', ')})`)
      index[j] = i
    }
    this.#index = index
    this.#width = fieldNames.length
  }
}

/** JSON Lines objects typed by a schema; a missing field is null. */
export class TypedJsonlDecoder implements LineDecoder<Row> {
  readonly format = 'JSON'
  readonly #names: readonly string[]
  readonly #codes: Uint8Array
  readonly #unsafe: boolean

  constructor (schema: DatasetSchema) {
    this.#names = schema.columns.map(c => c.name)
    this.#codes = Uint8Array.from(schema.columns, c => TYPE_CODE[c.type])
    this.#unsafe = this.#names.includes('__proto__')
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
    const input = parsed as Row
    const names = this.#names
    const codes = this.#codes
    const record: Row = {}
    for (let j = 0; j < names.length; j++) {
      const name = names[j]!
      const value = convertJson(codes[j]!, Object.hasOwn(input, name) ? input[name] : undefined, name)
      if (this.#unsafe) defineField(record, name, value)
      else record[name] = value
    }
    return record
  }
}
