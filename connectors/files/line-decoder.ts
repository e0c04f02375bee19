/**
 * Turns one line of an input file into a record, per format. A decoder lives as long as
 * one file is read (a CSV decoder remembers the file's header).
 */
import type { DatasetSchema } from '../../node/api/dataset-schema.ts'
import { parseCsvLine } from './csv.ts'
import { TypedCsvDecoder, TypedJsonlDecoder } from './typed-decoders.ts'

/** Formats read line by line: JSON Lines, CSV, and plain text (each line a string record). */
export type LineFormat = 'jsonl' | 'csv' | 'text'

/** Every format of the file connector. */
export type FileFormat = LineFormat | 'parquet'

/** CSV reading options (see `fileSource`). */
export interface CsvReadOptions {
  /** Field separator (default `,`). */
  readonly delimiter?: string
  /** The first non-empty line of each file names the fields (default true). */
  readonly header?: boolean
  /** Field names; with `header` the file's header line is skipped and these are used instead. */
  readonly columns?: readonly string[]
}

export interface LineDecoder<T> {
  /** Name of the format in error messages. */
  readonly format: 'JSON' | 'CSV' | 'text'
  /** CSV: true while the next line is expected to be the file's header. */
  readonly expectsHeader?: boolean
  /** CSV: takes the header from a line read elsewhere (a reader resuming in the middle of a file). */
  useHeader?(text: string): void
  /**
   * The record of a non-empty line, or `undefined` for a line that is no record (a CSV
   * header, a blank jsonl line).
   * @throws an Error whose message says what is wrong with the line
   */
  decode(text: string): T | undefined
  /**
   * The record of the non-empty line `buf[start, stop)` straight from its bytes, or null
   * when this line must go through `decode` as text (only while no header is expected).
   * @throws as `decode` does, with the same message
   */
  decodeBytes?(buf: Buffer, start: number, stop: number): T | null
}

class JsonlDecoder implements LineDecoder<unknown> {
  readonly format = 'JSON'

  decode (text: string): unknown {
    // a line of spaces is an empty line, not malformed JSON
    if (text.charCodeAt(0) <= 32 && text.trim().length === 0) return undefined
    try {
      return JSON.parse(text)
    } catch (err) {
      // V8 appends "(line 1 column n)" of the one-line text, which reads as a wrong line number
      if (err instanceof SyntaxError) err.message = err.message.replace(/ \(line \d+ column \d+\)$/, '')
      throw err
    }
  }
}

/** Decodes CSV rows into objects keyed by the header (or `columns`), or into string arrays. */
export class CsvDecoder implements LineDecoder<unknown> {
  readonly format = 'CSV'
  readonly #delimiter: string
  #keys: readonly string[] | undefined
  /** True until the header line of the file has been read. */
  #expectHeader: boolean
  /** Fields per row: from the header or `columns`, else from the first row of the file. */
  #width: number | undefined
  /** A key that cannot be set by assignment (`__proto__`) forces the slow path. */
  #unsafeKeys = false

  constructor (options: CsvReadOptions = {}) {
    this.#delimiter = options.delimiter ?? ','
    this.#expectHeader = options.header ?? true
    if (options.columns !== undefined) this.#setKeys(options.columns)
  }

  /** True while the next line is expected to be the header. */
  get expectsHeader (): boolean {
    return this.#expectHeader
  }

  /** Takes the header from a line read elsewhere (a reader resuming in the middle of a file). */
  useHeader (text: string): void {
    const fields = parseCsvLine(text, this.#delimiter)
    this.#expectHeader = false
    if (this.#keys === undefined) this.#setKeys(fields)
  }

  decode (text: string): unknown {
    if (this.#expectHeader) {
      this.useHeader(text)
      return undefined
    }
    const fields = parseCsvLine(text, this.#delimiter)
    const width = this.#width ??= fields.length
    if (fields.length !== width) throw new Error(`Expected ${width} fields, found ${fields.length}`)
    const keys = this.#keys
    if (keys === undefined) return fields
    const record: Record<string, string> = {}
    if (this.#unsafeKeys) {
      for (let i = 0; i < width; i++) Object.defineProperty(record, keys[i]!, { value: fields[i], enumerable: true, writable: true, configurable: true })
    } else {
      for (let i = 0; i < width; i++) record[keys[i]!] = fields[i]!
    }
    return record
  }

  #setKeys (keys: readonly string[]): void {
    this.#keys = keys
    this.#width = keys.length
    this.#unsafeKeys = keys.includes('__proto__')
  }
}

/** Each line is a record, as it is (empty lines are skipped like in the other formats). */
class TextDecoder implements LineDecoder<string> {
  readonly format = 'text'

  decode (text: string): string {
    return text
  }
}

/** A fresh decoder for one file; with a schema, records are typed by it (see typed-decoders.ts). */
export function createLineDecoder<T> (format: LineFormat, csv: CsvReadOptions = {}, schema?: DatasetSchema): LineDecoder<T> {
  if (format === 'text') return new TextDecoder() as LineDecoder<T>
  if (schema !== undefined) return (format === 'csv' ? new TypedCsvDecoder(schema, csv) : new TypedJsonlDecoder(schema)) as LineDecoder<T>
  return (format === 'csv' ? new CsvDecoder(csv) : new JsonlDecoder()) as LineDecoder<T>
}
