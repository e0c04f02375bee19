/**
 * The text `meshflow --help` prints, and the shorter text of one command
 * (`meshflow help run`, `meshflow run --help`).
 */

const RUN = `meshflow run JOB.ts [--parallelism N] [--max-parallelism N] [-- job args]
    Runs a job module (default export: defineJob(...)) in this process, on the
    embedded runtime, and exits when a bounded job has finished. Ctrl-C cancels it.
      -p, --parallelism N       default parallelism of the job's operators (default 1)
      --max-parallelism N       number of key groups, the upper bound of keyed parallelism (default 128)
      --mesh MA                 submit to the mesh at this peer (not available in this version)
      --from-savepoint NAME     restore from a savepoint (needs a mesh)
      --allow-non-restored-state  skip state of operators missing from the job (needs a mesh)
      -d, --detach              print the job id and return (needs a mesh)
      -- --key value ...        job arguments: build(env, args) receives { key: 'value' }`

const NODE = `meshflow node [--listen MA]... [--bootstrap MA]... [--data-dir DIR] [--slots N]
              [--label k=v]... [--psk FILE] [--api PORT]
    Runs a peer of a mesh (not available in this version).`

const QUERIES = `meshflow status|jobs|savepoints [--mesh MA] [--json]
    Shows the mesh, its jobs or its savepoints (not available in this version).`

const CONTROL = `meshflow cancel JOB_ID | savepoint JOB_ID NAME | stop JOB_ID --savepoint NAME [--drain]
    Controls a job running on a mesh (not available in this version).`

const KEYGEN = `meshflow keygen [--out FILE]
    Writes a pre-shared key for a private mesh (not available in this version).`

export const USAGE = `Usage: meshflow <command> [flags]

${RUN}

${NODE}

${QUERIES}

${CONTROL}

${KEYGEN}

meshflow help [COMMAND] | --help | --version

Environment: MESHFLOW_MESH names the mesh like --mesh; MESHFLOW_DEBUG=1 prints stack traces.`

/** The usage of one command, or of all when `topic` is undefined or 'help'. */
export function usageOf (topic: string | undefined): string {
  switch (topic) {
    case 'run': return `Usage: ${RUN}`
    case 'node': return `Usage: ${NODE}`
    case 'status': case 'jobs': case 'savepoints': return `Usage: ${QUERIES}`
    case 'cancel': case 'savepoint': case 'stop': return `Usage: ${CONTROL}`
    case 'keygen': return `Usage: ${KEYGEN}`
    default: return USAGE
  }
}
