/**
 * Turns a batch of records into the text the file sink appends: one line per record.
 */
import { encodeCsvField, encodeCsvRow } from './csv.ts'
import type { FileFormat } from './line-decoder.ts'

/** CSV writing options (see `fileSink`). */
export interface CsvWriteOptions {
  /**
   * Fields of object records, in order; default: the keys of the first record. Missing
   * fields are written empty, others are left out.
   */
  readonly columns?: readonly string[]
  /** Start each part file with a header line naming the columns (default true). */
  readonly header?: boolean
  /** Field separator (default `,`). */
  readonly delimiter?: string
}

export interface RecordEncoder<T> {
  /** The batch as lines, each ending in `\n` (`''` for a format that writes a part whole, see `finishPart`). */
  encode(values: readonly T[]): string
  /** What each part file starts with (a CSV header line), `''` for nothing; known after the first `encode`. */
  header(): string
  /** Bytes encoded but held in memory until `finishPart` (they count towards a part's size). */
  readonly bufferedBytes?: number
  /**
   * Formats that cannot be appended to (Parquet) keep a part's records in memory and
   * return the whole part here, once, when the part is closed (it rolls or is pre-committed).
   */
  finishPart?(): Uint8Array
}

class JsonlEncoder implements RecordEncoder<unknown> {
  encode (values: readonly unknown[]): string {
    let text = ''
    for (let i = 0; i < values.length; i++) {
      // undefined (and functions) have no JSON form: write null to keep one line per record
      text += (JSON.stringify(values[i]) ?? 'null') + '\n'
    }
    return text
  }

  header (): string {
    return ''
  }
}

/**
 * Objects become rows of their `columns`, arrays rows of their elements, anything else a
 * row of one field. Fields follow RFC 4180 quoting (see csv.ts).
 */
class CsvEncoder implements RecordEncoder<unknown> {
  readonly #delimiter: string
  readonly #writeHeader: boolean
  #columns: readonly string[] | undefined
  #header: string | undefined

  constructor (options: CsvWriteOptions) {
    this.#delimiter = options.delimiter ?? ','
    this.#writeHeader = options.header ?? true
    this.#columns = options.columns
  }

  encode (values: readonly unknown[]): string {
    if (this.#header === undefined) this.#init(values[0])
    const d = this.#delimiter
    const columns = this.#columns
    let text = ''
    for (let i = 0; i < values.length; i++) {
      const v = values[i]
      let row: string
      if (Array.isArray(v)) row = encodeCsvRow(v, d)
      else if (v !== null && typeof v === 'object' && columns !== undefined && !(v instanceof Date)) {
        const record = v as Record<string, unknown>
        row = ''
        for (let c = 0; c < columns.length; c++) {
          if (c > 0) row += d
          row += encodeCsvField(record[columns[c]!], d)
        }
      } else row = encodeCsvField(v, d)
      // an empty line would be skipped by readers: one empty field is written as ""
      text += (row.length === 0 ? '""' : row) + '\n'
    }
    return text
  }

  header (): string {
    return this.#header ?? ''
  }

  #init (first: unknown): void {
    if (this.#columns === undefined && first !== null && typeof first === 'object' && !Array.isArray(first) && !(first instanceof Date)) {
      this.#columns = Object.keys(first)
    }
    this.#header = this.#writeHeader && this.#columns !== undefined && this.#columns.length > 0
      ? encodeCsvRow(this.#columns, this.#delimiter) + '\n'
      : ''
  }
}

/** A fresh encoder for one sink writer (line formats; Parquet has ParquetEncoder). */
export function createRecordEncoder<T> (format: Exclude<FileFormat, 'parquet' | 'text'>, csv: CsvWriteOptions = {}): RecordEncoder<T> {
  return (format === 'csv' ? new CsvEncoder(csv) : new JsonlEncoder()) as RecordEncoder<T>
}
