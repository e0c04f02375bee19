/**
 * The dataset commands of DESIGN §7 parsed into tagged unions: `meshflow datasets` and
 * `meshflow dataset import|show|export|rm`. Every flag, name and schema is checked here,
 * before anything starts, so a mistake is one line and exit code 2.
 *
 * @example
 * parseDatasetCommand(['import', 'sales', 'in/sales.csv', '--format', 'csv', '--partition-by', 'store'])
 * // { type: 'dataset-import', name: 'sales', files: ['in/sales.csv'], format: 'csv', partitionBy: 'store', … }
 */
import { COLUMN_TYPES, type ColumnType, type DatasetSchema } from '../api/dataset-schema.ts'
import { datasetNameProblem } from '../../protocol/dataset-fields.ts'
import { MAX_PARTITIONS } from '../storage/datasets/partitioner.ts'
import { parseArgs, type FlagSpecs, type ParsedArgs } from './args.ts'
import { UsageError } from './errors.ts'

/** File formats the dataset commands read and write. */
export type DatasetFileFormat = 'csv' | 'jsonl' | 'parquet'
const FORMATS: readonly DatasetFileFormat[] = ['csv', 'jsonl', 'parquet']

/** Where a dataset command works: a mesh (`--mesh`/MESHFLOW_MESH) or the embedded peer over `--data-dir`. */
export interface DatasetTargetFlags {
  readonly mesh: string | undefined
  readonly psk: string | undefined
  readonly dataDir: string | undefined
}

export interface DatasetImportCommand extends DatasetTargetFlags {
  readonly type: 'dataset-import'
  readonly name: string
  /** Files or directories, as given (relative to the working directory). */
  readonly files: string[]
  readonly format: DatasetFileFormat
  readonly partitionBy: string | undefined
  readonly partitions: number | undefined
  readonly schema: DatasetSchema | undefined
  readonly mode: 'append' | 'overwrite'
  readonly deadLetter: string | undefined
  readonly parallelism: number | undefined
}

export interface DatasetsCommand extends DatasetTargetFlags {
  readonly type: 'datasets'
  readonly json: boolean
}

export interface DatasetShowCommand extends DatasetTargetFlags {
  readonly type: 'dataset-show'
  readonly name: string
  readonly json: boolean
}

export interface DatasetExportCommand extends DatasetTargetFlags {
  readonly type: 'dataset-export'
  readonly name: string
  readonly dir: string
  readonly format: DatasetFileFormat
  readonly parallelism: number | undefined
}

export interface DatasetRmCommand extends DatasetTargetFlags {
  readonly type: 'dataset-rm'
  readonly name: string
}

export type DatasetCommand = DatasetImportCommand | DatasetsCommand | DatasetShowCommand | DatasetExportCommand | DatasetRmCommand

/** The subcommands of `meshflow dataset`. */
export const DATASET_SUBCOMMANDS = ['import', 'show', 'export', 'rm'] as const

const TARGET: FlagSpecs = { mesh: { type: 'string' }, psk: { type: 'string' }, 'data-dir': { type: 'string' } }
const IMPORT_FLAGS: FlagSpecs = {
  ...TARGET,
  format: { type: 'string' },
  'partition-by': { type: 'string' },
  partitions: { type: 'int' },
  schema: { type: 'string' },
  mode: { type: 'string' },
  'dead-letter': { type: 'string' },
  parallelism: { type: 'int', alias: 'p' }
}
const LIST_FLAGS: FlagSpecs = { ...TARGET, json: { type: 'boolean' } }
const EXPORT_FLAGS: FlagSpecs = { ...TARGET, format: { type: 'string' }, parallelism: { type: 'int', alias: 'p' } }

const USAGE = {
  import: 'meshflow dataset import NAME FILE|DIR... --format csv|jsonl|parquet [flags]',
  show: 'meshflow dataset show NAME [--json]',
  export: 'meshflow dataset export NAME DIR --format csv|jsonl|parquet',
  rm: 'meshflow dataset rm NAME'
} as const

function str (p: ParsedArgs, name: string): string | undefined {
  const v = p.flags[name]
  return typeof v === 'string' ? v : undefined
}
function int (p: ParsedArgs, name: string): number | undefined {
  const v = p.flags[name]
  return typeof v === 'number' ? v : undefined
}

function target (p: ParsedArgs): DatasetTargetFlags {
  return { mesh: str(p, 'mesh'), psk: str(p, 'psk'), dataDir: str(p, 'data-dir') }
}

/** Throws a UsageError unless `name` is a dataset name. */
export function datasetName (name: string): string {
  const problem = datasetNameProblem(name)
  if (problem !== undefined) throw new UsageError(`NAME ${problem}`)
  return name
}

function format (p: ParsedArgs, command: string): DatasetFileFormat {
  const f = str(p, 'format')
  if (f === undefined) throw new UsageError(`'${command}' needs --format csv|jsonl|parquet`)
  if (!(FORMATS as readonly string[]).includes(f)) throw new UsageError(`--format must be csv, jsonl or parquet, got '${f}'`)
  return f as DatasetFileFormat
}

/**
 * `--schema col:type,...` as a schema; a UsageError names the column that is wrong.
 *
 * @example
 * parseSchemaFlag('store:string,amount:number') // { columns: [{ name: 'store', type: 'string' }, { name: 'amount', type: 'number' }] }
 */
export function parseSchemaFlag (text: string): DatasetSchema {
  const seen = new Set<string>()
  const columns = text.split(',').map(part => {
    const colon = part.lastIndexOf(':')
    const name = colon === -1 ? part.trim() : part.slice(0, colon).trim()
    const type = colon === -1 ? '' : part.slice(colon + 1).trim()
    if (name.length === 0) throw new UsageError(`--schema needs col:type pairs separated by commas, got '${part}'`)
    if (colon === -1) throw new UsageError(`--schema column '${name}' has no type (col:type, one of ${COLUMN_TYPES.join(', ')})`)
    if (!(COLUMN_TYPES as readonly string[]).includes(type)) throw new UsageError(`--schema column '${name}' has unknown type '${type}' (one of ${COLUMN_TYPES.join(', ')})`)
    if (seen.has(name)) throw new UsageError(`--schema names column '${name}' twice`)
    seen.add(name)
    return { name, type: type as ColumnType }
  })
  return { columns }
}

function positionals (p: ParsedArgs, command: string, names: readonly string[], usage: string, more = false): string[] {
  if (!more && p.positionals.length > names.length) throw new UsageError(`Unexpected argument '${p.positionals[names.length]!}' for '${command}' (usage: ${usage})`)
  if (p.positionals.length < names.length) throw new UsageError(`'${command}' needs ${names[p.positionals.length]!} (usage: ${usage})`)
  return p.positionals
}

/** `meshflow datasets [--json]`. */
export function parseDatasetsCommand (argv: readonly string[]): DatasetsCommand {
  const p = parseArgs(argv, LIST_FLAGS, { command: 'datasets' })
  positionals(p, 'datasets', [], 'meshflow datasets [--json]')
  return { type: 'datasets', json: p.flags.json === true, ...target(p) }
}

/** `meshflow dataset SUBCOMMAND ...`. */
export function parseDatasetCommand (argv: readonly string[]): DatasetCommand {
  const [sub, ...rest] = argv
  if (sub === undefined) throw new UsageError(`'dataset' needs a subcommand: ${DATASET_SUBCOMMANDS.join(', ')} (see meshflow dataset --help)`)
  switch (sub) {
    case 'import': {
      const p = parseArgs(rest, IMPORT_FLAGS, { command: 'dataset import' })
      const [name, ...files] = positionals(p, 'dataset import', ['a dataset NAME', 'a FILE or DIR to import'], USAGE.import, true)
      const mode = str(p, 'mode') ?? 'append'
      if (mode !== 'append' && mode !== 'overwrite') throw new UsageError(`--mode must be append or overwrite, got '${mode}'`)
      const partitions = int(p, 'partitions')
      if (partitions !== undefined && partitions > MAX_PARTITIONS) throw new UsageError(`--partitions must be at most ${MAX_PARTITIONS}, got ${partitions}`)
      const fmt = format(p, 'dataset import')
      const schemaText = str(p, 'schema')
      if (schemaText !== undefined && fmt === 'parquet') throw new UsageError('--schema is for csv and jsonl: Parquet files carry their own schema')
      const schema = schemaText === undefined ? undefined : parseSchemaFlag(schemaText)
      const partitionBy = str(p, 'partition-by')
      if (partitionBy !== undefined && schema !== undefined && !schema.columns.some(c => c.name === partitionBy)) {
        throw new UsageError(`--partition-by names '${partitionBy}', which is not a column of --schema (${schema.columns.map(c => c.name).join(', ')})`)
      }
      return {
        type: 'dataset-import',
        name: datasetName(name!),
        files,
        format: fmt,
        partitionBy,
        partitions,
        schema,
        mode,
        deadLetter: str(p, 'dead-letter'),
        parallelism: int(p, 'parallelism'),
        ...target(p)
      }
    }
    case 'show': {
      const p = parseArgs(rest, LIST_FLAGS, { command: 'dataset show' })
      const [name] = positionals(p, 'dataset show', ['a dataset NAME'], USAGE.show)
      return { type: 'dataset-show', name: datasetName(name!), json: p.flags.json === true, ...target(p) }
    }
    case 'export': {
      const p = parseArgs(rest, EXPORT_FLAGS, { command: 'dataset export' })
      const [name, dir] = positionals(p, 'dataset export', ['a dataset NAME', 'a DIR to write into'], USAGE.export)
      return { type: 'dataset-export', name: datasetName(name!), dir: dir!, format: format(p, 'dataset export'), parallelism: int(p, 'parallelism'), ...target(p) }
    }
    case 'rm': {
      const p = parseArgs(rest, TARGET, { command: 'dataset rm' })
      const [name] = positionals(p, 'dataset rm', ['a dataset NAME'], USAGE.rm)
      return { type: 'dataset-rm', name: datasetName(name!), ...target(p) }
    }
    default:
      throw new UsageError(`Unknown subcommand 'dataset ${sub}' (one of ${DATASET_SUBCOMMANDS.join(', ')}; see meshflow dataset --help)`)
  }
}
