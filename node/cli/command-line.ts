/**
 * What the user asked for: the `meshflow` command line of DESIGN §7 parsed into a tagged
 * union. Parsing is strict for every command, including the job commands this version
 * cannot run yet, so a typo is reported as a typo and not as a missing feature.
 *
 * @example
 * parseCommandLine(['run', 'job.ts', '--parallelism', '2', '--', '--count', '10'])
 * // { type: 'run', job: 'job.ts', parallelism: 2, jobArgs: ['--count', '10'], … }
 */
import { savepointNameProblem } from '../../protocol/client-fields.ts'
import { parseArgs, type FlagSpecs, type ParsedArgs } from './args.ts'
import { UsageError } from './errors.ts'
import { DEFAULT_MAX_VOTERS } from '../cluster/constants.ts'
import { parseDatasetCommand, parseDatasetsCommand, type DatasetCommand } from './dataset-command-line.ts'
import { parseSqlCommand, type SqlCommand } from './sql-command-line.ts'
import { parseMemorySize } from '../runtime/spill/memory-size.ts'
import { errorMessage } from '../../protocol/error-message.ts'

export interface RunCommand {
  readonly type: 'run'
  readonly job: string
  readonly parallelism: number | undefined
  readonly maxParallelism: number | undefined
  readonly mesh: string | undefined
  readonly fromSavepoint: string | undefined
  readonly allowNonRestoredState: boolean
  readonly detach: boolean
  /** The mesh's pre-shared key file (with --mesh). */
  readonly psk: string | undefined
  /** Embedded run: listen for clients and peers on these multiaddrs (none by default). */
  readonly listen: string[]
  /** Embedded run: serve the REST API on this port. */
  readonly api: number | undefined
  /** Embedded run: where the in-process peer keeps its store (default `./meshflow-data`). */
  readonly dataDir: string | undefined
  /** Embedded run: `--resume` restarts the job from its latest retained checkpoint in the data dir. */
  readonly resume: boolean
  /** Task threads of the embedded peer (default: one per core; 0: the main thread). */
  readonly threads: number | undefined
  /** Embedded run: `--task-memory SIZE`, each task's memory budget in bytes. */
  readonly taskMemory?: number | undefined
  /** The raw arguments after `--`, for the job's `build(env, args)`. */
  readonly jobArgs: string[]
}

export interface NodeCommand {
  readonly type: 'node'
  readonly listen: string[]
  readonly bootstrap: string[]
  readonly dataDir: string | undefined
  readonly slots: number | undefined
  /** Task threads (default: one per slot; 0: the main thread). */
  readonly threads: number | undefined
  /** `--task-memory SIZE`: each task's memory budget in bytes (default 256 MiB). */
  readonly taskMemory?: number | undefined
  readonly labels: string[]
  readonly psk: string | undefined
  readonly api: number | undefined
  /** False with `--no-mdns`: find peers through `--bootstrap` only. */
  readonly mdns: boolean
  readonly maxVoters: number | undefined
  /** `--repair`: drop the Raft state and rejoin as a learner (see PeerInit.repair). */
  readonly repair: boolean
  /** `--scrub-interval SECONDS` between scrubs of the local blocks. */
  readonly scrubIntervalS: number | undefined
  /** `--scrub-rate BYTES`: bytes per second a scrub reads at most. */
  readonly scrubRate: number | undefined
  /** `--bootstrap-expect N`: found the first Raft group with N voters once N peers met. */
  readonly bootstrapExpect: number | undefined
  /** `--force-new-mesh`: restart the Raft group alone from this peer's log (last resort). */
  readonly forceNewMesh: boolean
}

export interface QueryCommand {
  readonly type: 'status' | 'jobs' | 'savepoints'
  readonly mesh: string | undefined
  readonly json: boolean
  readonly psk: string | undefined
}

export interface JobControlCommand {
  readonly type: 'cancel' | 'savepoint' | 'stop'
  readonly jobId: string
  /** The savepoint name (`savepoint JOB_ID NAME`, `stop JOB_ID --savepoint NAME`). */
  readonly savepoint: string | undefined
  readonly drain: boolean
  readonly mesh: string | undefined
  readonly psk: string | undefined
}

/** `meshflow savepoint --delete NAME`: deletes a savepoint. */
export interface DeleteSavepointCommand {
  readonly type: 'delete-savepoint'
  readonly savepoint: string
  readonly mesh: string | undefined
  readonly psk: string | undefined
}

export interface KeygenCommand {
  readonly type: 'keygen'
  readonly out: string | undefined
}

export type Command =
  | { readonly type: 'help', readonly topic: string | undefined }
  | { readonly type: 'version' }
  | RunCommand
  | NodeCommand
  | QueryCommand
  | JobControlCommand
  | DeleteSavepointCommand
  | KeygenCommand
  | DatasetCommand
  | SqlCommand

/** The commands `meshflow` knows, in the order usage lists them. */
export const COMMANDS = ['run', 'node', 'status', 'jobs', 'savepoints', 'cancel', 'savepoint', 'stop', 'keygen', 'datasets', 'dataset', 'sql', 'help'] as const

const RUN_FLAGS: FlagSpecs = {
  parallelism: { type: 'int', alias: 'p' },
  'max-parallelism': { type: 'int' },
  mesh: { type: 'string' },
  'from-savepoint': { type: 'string' },
  'allow-non-restored-state': { type: 'boolean' },
  detach: { type: 'boolean', alias: 'd' },
  psk: { type: 'string' },
  listen: { type: 'string', multiple: true },
  api: { type: 'int' },
  'data-dir': { type: 'string' },
  resume: { type: 'boolean' },
  threads: { type: 'count' },
  'task-memory': { type: 'string' }
}

const NODE_FLAGS: FlagSpecs = {
  listen: { type: 'string', multiple: true },
  bootstrap: { type: 'string', multiple: true },
  'data-dir': { type: 'string' },
  slots: { type: 'int' },
  threads: { type: 'count' },
  label: { type: 'string', multiple: true },
  psk: { type: 'string' },
  api: { type: 'int' },
  'no-mdns': { type: 'boolean' },
  'max-voters': { type: 'int' },
  repair: { type: 'boolean' },
  'scrub-interval': { type: 'int' },
  'scrub-rate': { type: 'int' },
  'bootstrap-expect': { type: 'int' },
  'force-new-mesh': { type: 'boolean' },
  'task-memory': { type: 'string' }
}

const QUERY_FLAGS: FlagSpecs = { mesh: { type: 'string' }, json: { type: 'boolean' }, psk: { type: 'string' } }
const CONTROL_FLAGS: FlagSpecs = { mesh: { type: 'string' }, psk: { type: 'string' } }
const SAVEPOINT_FLAGS: FlagSpecs = { mesh: { type: 'string' }, psk: { type: 'string' }, delete: { type: 'boolean' } }
const STOP_FLAGS: FlagSpecs = { mesh: { type: 'string' }, psk: { type: 'string' }, savepoint: { type: 'string' }, drain: { type: 'boolean' } }
const KEYGEN_FLAGS: FlagSpecs = { out: { type: 'string' } }

function str (p: ParsedArgs, name: string): string | undefined {
  const v = p.flags[name]
  return typeof v === 'string' ? v : undefined
}
function int (p: ParsedArgs, name: string): number | undefined {
  const v = p.flags[name]
  return typeof v === 'number' ? v : undefined
}
function bool (p: ParsedArgs, name: string): boolean {
  return p.flags[name] === true
}
function list (p: ParsedArgs, name: string): string[] {
  const v = p.flags[name]
  return Array.isArray(v) ? v : []
}

/** Checks the number of positional arguments and names the first one missing or extra. */
function positionals (p: ParsedArgs, command: string, names: readonly string[], usage: string): string[] {
  if (p.positionals.length > names.length) throw new UsageError(`Unexpected argument '${p.positionals[names.length]!}' for '${command}' (usage: ${usage})`)
  if (p.positionals.length < names.length) throw new UsageError(`'${command}' needs ${names[p.positionals.length]!} (usage: ${usage})`)
  return p.positionals
}

/**
 * Checks a savepoint name as the mesh will (1–200 characters, no '/', no control
 * characters) before anything connects; `what` names where it came from.
 */
function savepointName (name: string, what: string): string {
  if (savepointNameProblem(name) === undefined) return name
  const shown = JSON.stringify(name.length > 60 ? `${name.slice(0, 60)}…` : name)
  throw new UsageError(`${what} ${shown} is not a valid savepoint name: use 1 to 200 characters, without '/' or control characters`)
}

function wantsHelp (argv: readonly string[]): boolean {
  for (const a of argv) {
    if (a === '--') return false
    if (a === '--help' || a === '-h') return true
  }
  return false
}

/** `--task-memory SIZE` in bytes (`512k`, `256m`, `1g`), when given. */
function taskMemory (p: ParsedArgs): { taskMemory?: number } {
  const given = str(p, 'task-memory')
  if (given === undefined) return {}
  try {
    return { taskMemory: parseMemorySize('--task-memory', given) }
  } catch (err) {
    throw new UsageError(errorMessage(err), { cause: err })
  }
}

/** Parses the arguments after `meshflow`; throws a UsageError for a wrong command line. */
export function parseCommandLine (argv: readonly string[]): Command {
  const [first, ...rest] = argv
  if (first === undefined) throw new UsageError('Missing command (see meshflow --help)')
  if (first === '--help' || first === '-h') return { type: 'help', topic: undefined }
  if (first === '--version' || first === '-v') {
    if (rest.length > 0) throw new UsageError(`Unexpected argument '${rest[0]!}' after --version`)
    return { type: 'version' }
  }
  if (first === 'help') {
    if (rest.length > 1) throw new UsageError(`Unexpected argument '${rest[1]!}' for 'help'`)
    const topic = rest[0]
    if (topic !== undefined && !(COMMANDS as readonly string[]).includes(topic)) throw new UsageError(`Unknown command '${topic}' (see meshflow --help)`)
    return { type: 'help', topic }
  }
  if (first.startsWith('-')) throw new UsageError(`Unknown flag ${first.split('=')[0]!} (a command comes first: see meshflow --help)`)
  if (!(COMMANDS as readonly string[]).includes(first)) throw new UsageError(`Unknown command '${first}' (see meshflow --help)`)
  if (wantsHelp(rest)) return { type: 'help', topic: first }

  switch (first) {
    case 'run': {
      const p = parseArgs(rest, RUN_FLAGS, { command: 'run', rest: true })
      const [job] = positionals(p, 'run', ['a job file'], 'meshflow run JOB.ts [flags] [-- job args]')
      const fromSavepoint = str(p, 'from-savepoint')
      if (fromSavepoint !== undefined) savepointName(fromSavepoint, '--from-savepoint')
      if (bool(p, 'allow-non-restored-state') && fromSavepoint === undefined) {
        throw new UsageError('--allow-non-restored-state needs --from-savepoint NAME: it says what to do with state the savepoint has and the job lacks')
      }
      return {
        type: 'run',
        job: job!,
        parallelism: int(p, 'parallelism'),
        maxParallelism: int(p, 'max-parallelism'),
        mesh: str(p, 'mesh'),
        fromSavepoint,
        allowNonRestoredState: bool(p, 'allow-non-restored-state'),
        detach: bool(p, 'detach'),
        psk: str(p, 'psk'),
        listen: list(p, 'listen'),
        api: int(p, 'api'),
        dataDir: str(p, 'data-dir'),
        resume: bool(p, 'resume'),
        threads: int(p, 'threads'),
        ...taskMemory(p),
        jobArgs: p.rest ?? []
      }
    }
    case 'node': {
      const p = parseArgs(rest, NODE_FLAGS, { command: 'node' })
      positionals(p, 'node', [], 'meshflow node [flags]')
      const keys = new Set<string>()
      for (const label of list(p, 'label')) {
        if (!/^[^=]+=/.test(label)) throw new UsageError(`--label needs key=value, got '${label}'`)
        const key = label.slice(0, label.indexOf('='))
        if (keys.has(key)) throw new UsageError(`--label ${key} is given more than once`)
        keys.add(key)
      }
      return {
        type: 'node',
        listen: list(p, 'listen'),
        bootstrap: list(p, 'bootstrap'),
        dataDir: str(p, 'data-dir'),
        slots: int(p, 'slots'),
        threads: int(p, 'threads'),
        ...taskMemory(p),
        labels: list(p, 'label'),
        psk: str(p, 'psk'),
        api: int(p, 'api'),
        mdns: !bool(p, 'no-mdns'),
        maxVoters: int(p, 'max-voters'),
        repair: bool(p, 'repair'),
        scrubIntervalS: int(p, 'scrub-interval'),
        scrubRate: int(p, 'scrub-rate'),
        bootstrapExpect: bootstrapExpect(p),
        forceNewMesh: bool(p, 'force-new-mesh')
      }
    }
    case 'status':
    case 'jobs':
    case 'savepoints': {
      const p = parseArgs(rest, QUERY_FLAGS, { command: first })
      positionals(p, first, [], `meshflow ${first} [--mesh MA] [--json] [--psk FILE]`)
      return { type: first, mesh: str(p, 'mesh'), json: bool(p, 'json'), psk: str(p, 'psk') }
    }
    case 'cancel': {
      const p = parseArgs(rest, CONTROL_FLAGS, { command: 'cancel' })
      const [jobId] = positionals(p, 'cancel', ['a JOB_ID'], 'meshflow cancel JOB_ID')
      return { type: 'cancel', jobId: jobId!, savepoint: undefined, drain: false, mesh: str(p, 'mesh'), psk: str(p, 'psk') }
    }
    case 'savepoint': {
      const p = parseArgs(rest, SAVEPOINT_FLAGS, { command: 'savepoint' })
      if (bool(p, 'delete')) {
        const [name] = positionals(p, 'savepoint --delete', ['a savepoint NAME'], 'meshflow savepoint --delete NAME')
        return { type: 'delete-savepoint', savepoint: savepointName(name!, 'NAME'), mesh: str(p, 'mesh'), psk: str(p, 'psk') }
      }
      const [jobId, name] = positionals(p, 'savepoint', ['a JOB_ID', 'a savepoint NAME'], 'meshflow savepoint JOB_ID NAME')
      return { type: 'savepoint', jobId: jobId!, savepoint: savepointName(name!, 'NAME'), drain: false, mesh: str(p, 'mesh'), psk: str(p, 'psk') }
    }
    case 'stop': {
      const p = parseArgs(rest, STOP_FLAGS, { command: 'stop' })
      const [jobId] = positionals(p, 'stop', ['a JOB_ID'], 'meshflow stop JOB_ID --savepoint NAME [--drain]')
      const savepoint = str(p, 'savepoint')
      if (savepoint === undefined) throw new UsageError("'stop' needs --savepoint NAME")
      return { type: 'stop', jobId: jobId!, savepoint: savepointName(savepoint, '--savepoint'), drain: bool(p, 'drain'), mesh: str(p, 'mesh'), psk: str(p, 'psk') }
    }
    case 'keygen': {
      const p = parseArgs(rest, KEYGEN_FLAGS, { command: 'keygen' })
      positionals(p, 'keygen', [], 'meshflow keygen [--out FILE]')
      return { type: 'keygen', out: str(p, 'out') }
    }
    case 'datasets':
      return parseDatasetsCommand(rest)
    case 'dataset':
      return parseDatasetCommand(rest)
    case 'sql':
      return parseSqlCommand(rest)
    default:
      // 'help' was handled above; the list and the switch must agree
      throw new UsageError(`Unknown command '${first}' (see meshflow --help)`)
  }
}

/** `--bootstrap-expect N`, which must not exceed the voter count. */
function bootstrapExpect (p: ParsedArgs): number | undefined {
  const n = int(p, 'bootstrap-expect')
  const max = int(p, 'max-voters') ?? DEFAULT_MAX_VOTERS
  if (n !== undefined && n > max) throw new UsageError(`--bootstrap-expect ${n} exceeds the number of voters (${max}, see --max-voters)`)
  if (n !== undefined && bool(p, 'force-new-mesh')) throw new UsageError('--bootstrap-expect and --force-new-mesh exclude each other')
  return n
}
