/**
 * The text `meshflow --help` prints, and the shorter text of one command
 * (`meshflow help run`, `meshflow run --help`).
 */

const RUN = `meshflow run JOB.ts [--mesh MA] [--parallelism N] [--max-parallelism N]
             [--from-savepoint NAME [--allow-non-restored-state]] [--detach]
             [--data-dir DIR] [--resume] [--listen MA]... [--api PORT] [--threads N]
             [--task-memory SIZE] [-- job args]
    Runs a job module (default export: defineJob(...)). Without --mesh it runs on an
    embedded mesh of one in this process (JobManager and TaskManager), keeping checkpoints
    and savepoints in --data-dir; with --mesh (or MESHFLOW_MESH) the job is bundled, its
    code stored in the mesh and submitted through the peer at MA. The command waits for the
    job to end and exits 0 when a bounded job has finished. Ctrl-C cancels the job.
      -p, --parallelism N       default parallelism of the job's operators (default 1)
      --max-parallelism N       number of key groups, the upper bound of keyed parallelism (default 128)
      --mesh MA                 submit to the mesh through the peer at this multiaddr
      --psk FILE                the mesh's pre-shared key (with --mesh), or the key that guards
                                an embedded run's --listen
      -d, --detach              print the job id and return (with --mesh)
      --from-savepoint NAME     start from the state of savepoint NAME, matched by operator uid,
                                at any parallelism
      --allow-non-restored-state  skip savepoint state of operators the job no longer has
                                (without it such state fails the restore)
      --data-dir DIR            embedded: the peer's store (or MESHFLOW_DATA_DIR; default ./meshflow-data)
      --resume                  embedded: continue this job's interrupted run (the process was
                                killed) from its latest retained checkpoint in --data-dir
      --listen MA               embedded: listen here, so that meshflow jobs|savepoint|stop --mesh MA
                                reach the run (default: no listener), repeatable
      --api PORT                embedded: serve GET /status on http://127.0.0.1:PORT
      --threads N               embedded: task threads (default: one per core; 0 runs the job's
                                subtasks on the main thread)
      --task-memory SIZE        embedded: memory of each task slot, e.g. 256m, 1g (default 256m);
                                sorts, groupings and joins holding more spill to --data-dir/spill
      -- --key value ...        job arguments: build(env, args) receives { key: 'value' }`

const NODE = `meshflow node [--listen MA]... [--bootstrap MA]... [--data-dir DIR] [--slots N]
              [--threads N] [--label k=v]... [--psk FILE] [--api PORT] [--no-mdns] [--max-voters N]
              [--repair] [--scrub-interval SECONDS] [--scrub-rate BYTES]
              [--bootstrap-expect N] [--force-new-mesh] [--task-memory SIZE]
    Runs a peer of a mesh until Ctrl-C or SIGTERM (a leader hands over first). Prints
    'listening <multiaddr>' per listen address, then one 'role ...' line per role change
    and 'peer joined|lost|left <id>' lines. The first peers up to --max-voters elect the
    JobManager (Raft leader); every peer is a TaskManager.
      --listen MA               address to listen on (default /ip4/0.0.0.0/tcp/0), repeatable
      --bootstrap MA            a peer to join, /p2p/<id> optional, repeatable
      --data-dir DIR            identity, Raft log and blocks (default ./meshflow-data)
      --slots N                 task slots offered, one task thread each (default 2)
      --threads N               task threads (default: one per slot; 0 runs subtasks on the
                                main thread)
      --task-memory SIZE        memory of each task slot, e.g. 512k, 256m, 1g (default 256m): sorts,
                                groupings and joins holding more spill to --data-dir/spill
      --label k=v               a label for placement constraints, repeatable
      --psk FILE                pre-shared key of a private mesh (see meshflow keygen)
      --api PORT                serve GET /status (the status JSON) on http://127.0.0.1:PORT
      --no-mdns                 find peers through --bootstrap only, not mDNS
      --max-voters N            peers that vote in elections (default 5); later ones are learners
      --repair                  drop this peer's Raft state (term, vote, log; not its identity
                                or blocks), also when its store is damaged, and rejoin as a
                                learner that votes again once it has caught up
      --scrub-interval SECONDS  how often every local block is re-hashed (default 86400)
      --scrub-rate BYTES        bytes per second a scrub reads at most (default 4194304)
      --bootstrap-expect N      found the mesh's Raft group with N voters at once, once N fresh
                                peers have met (give every founding peer the same N); without it
                                the first peer founds the group alone and adds the others
      --force-new-mesh          LAST RESORT after losing the quorum for good: restart the Raft
                                group from this peer's own log with it as the only voter; entries
                                the old group had not committed may be kept; others join anew`

const QUERIES = `meshflow status [--mesh MA] [--json] [--psk FILE]
    Shows the mesh as the peer at MA (or MESHFLOW_MESH) sees it: leader, term and every
    peer with its role, slots, labels and address, then a 'warning: ...' line when the
    mesh has no quorum or is split into several Raft groups; --json prints
    { "leader", "term", "peers": [{ "id", "addrs", "labels", "slots", "freeSlots", "role" }],
      "group", "voters", "warnings": [{ "code", "message", "peers", "group" }] } ("warnings"
    only when something is wrong: code no-quorum, other-group or waiting-for-peers).
meshflow jobs [--mesh MA] [--json] [--psk FILE]
    Lists the mesh's jobs: id, name, state, restarts, where their tasks run and the latest
    checkpoint, then which checkpoint each restart restored; --json prints
    [{ "id", "name", "state", "restarts", "tasks": [{ "vertex", "subtask", "peer" }],
       "checkpoints": { "completed", "latest": { "id", "cid", "at" } },
       "restoreHistory": [{ "attempt", "checkpointId", "at" }],
       "batch": { "stages", "regions" ({ "total", "done", "running" }), "reruns",
                  "recordsRead", "recordsWritten" } }] ("error" for a failed job,
       "batch" for a batch job).
meshflow savepoints [--mesh MA] [--json] [--psk FILE]
    Lists the mesh's savepoints: name, job, checkpoint and when it was taken (UTC); --json
    prints [{ "name", "jobId", "jobName", "checkpointId", "cid", "createdAt" }] (epoch ms).`

const CONTROL = `meshflow cancel JOB_ID [--mesh MA] [--psk FILE]
    Cancels a job running on the mesh and prints its state.
meshflow savepoint JOB_ID NAME [--mesh MA] [--psk FILE]
    Takes a savepoint of a running job: its state at one consistent point, kept under NAME
    until deleted (1-200 characters, no '/'). Prints the checkpoint id and manifest CID.
meshflow stop JOB_ID --savepoint NAME [--drain] [--mesh MA] [--psk FILE]
    Stops the sources, takes the savepoint NAME, commits what the sinks hold and ends the
    job without firing event-time windows early; --drain fires every window first.
meshflow savepoint --delete NAME [--mesh MA] [--psk FILE]
    Deletes the savepoint NAME (its state is garbage-collected when nothing else uses it).`

const KEYGEN = `meshflow keygen [--out FILE]
    Writes a new pre-shared key for a private mesh to stdout, or to FILE (mode 0600;
    an existing FILE is never overwritten). Give it to every peer with --psk FILE.`

const DATASETS = `meshflow datasets [--json] [--mesh MA] [--psk FILE] [--data-dir DIR]
    Lists the datasets: name, latest version, partitions, rows, bytes, replica health and
    when the latest version was committed; --json prints
    [{ "name", "version", "partitions", "rows", "bytes", "segments", "versions", "createdAt",
       "replicas": { "expected", "healthy", "underReplicated" } }] (replicas: partitions whose
    segments have min(3, peers) copies or fewer).
meshflow dataset import NAME FILE|DIR... --format csv|jsonl|parquet [--partition-by COL]
              [--partitions N] [--schema col:type,...] [--mode append|overwrite]
              [--dead-letter FILE] [--parallelism N]
    Imports files (a DIR: its visible files) into dataset NAME as a parallel job, then
    prints the rows and bytes imported and the new version. The columns are --schema, else
    the dataset's, else inferred from the files (a Parquet file's own); files that do not
    fit the dataset are refused naming the column. A malformed row fails the import naming
    the file and line, and nothing is imported; with --dead-letter such lines go to FILE as
    JSON lines and the rest is imported. On a mesh the peers read the paths: use a shared
    file system.
      --format F                csv (with a header), jsonl or parquet
      --partition-by COL        hash-partition the rows on COL (default: as the dataset is,
                                else round-robin)
      --partitions N            partitions of a new dataset (default: as the dataset is, else
                                the parallelism)
      --schema col:type,...     column types: string, number, int64, boolean, timestamp
      --mode M                  append (default) or overwrite
      --dead-letter FILE        write malformed lines to FILE instead of failing
      -p, --parallelism N       readers (default: free slots, at most 8)
meshflow dataset show NAME [--json]
    The dataset's schema, partitioning, retained versions and, per partition of the latest
    version, its segments, rows, bytes and the peers holding them.
meshflow dataset export NAME DIR --format csv|jsonl|parquet [--parallelism N]
    Writes the latest version's rows into DIR (new or empty) as part files, by a job.
meshflow dataset rm NAME
    Drops the dataset with every version (its blocks are garbage-collected).
    Every dataset command works on the mesh at --mesh MA (or MESHFLOW_MESH; --psk FILE), or
    without it on the embedded peer over --data-dir (or MESHFLOW_DATA_DIR; default
    ./meshflow-data), the store 'meshflow run' uses.`

const SQL = `meshflow sql ["QUERY"] [--format table|json|csv] [--mesh MA] [--psk FILE] [--data-dir DIR]
             [--parallelism N]
    Runs one SQL statement on the datasets of the mesh at --mesh MA (or MESHFLOW_MESH), or
    without it of the embedded peer over --data-dir (datasets are tables by name), and prints
    its result: a query's rows, EXPLAIN's plans, or what INSERT INTO, CREATE TABLE … AS or
    DROP TABLE did; SHOW TABLES and DESCRIBE name list the datasets and columns. A SQL error
    prints its message, the query line and a caret, and exits 2; Ctrl-C cancels the query's job.
    Without QUERY it opens an interactive shell: statements end with ';' and may span lines,
    results are tables with the row count and time, paged when longer than the terminal;
    .help, .quit or Ctrl-D; Ctrl-C cancels the running statement. History is kept in
    ~/.meshflow_sql_history (or MESHFLOW_SQL_HISTORY; empty: none). With its input not a
    terminal (meshflow sql < script.sql) it runs the statements and stops at the first error.
    The embedded shell holds --data-dir while it runs: other embedded commands on it fail
    until it ends.
      --format F                table (default: aligned columns, then 'N rows (0.12 s)'), json
                                (one array of row objects: BIGINT a number, or a string beyond
                                2^53; TIMESTAMP an ISO 8601 string in UTC; DATE 'YYYY-MM-DD') or
                                csv (a header, RFC 4180 quoting, NULL an empty field)
      --mesh MA                 run on the mesh through the peer at this multiaddr
      --psk FILE                the mesh's pre-shared key (with --mesh)
      --data-dir DIR            embedded: the peer's store (or MESHFLOW_DATA_DIR; default ./meshflow-data)
      -p, --parallelism N       parallelism of each query's job (default: embedded cores, at most
                                4; on a mesh 3)`

export const USAGE = `Usage: meshflow <command> [flags]

${RUN}

${NODE}

${QUERIES}

${CONTROL}

${KEYGEN}

${DATASETS}

${SQL}

meshflow help [COMMAND] | --help | --version

Environment: MESHFLOW_MESH names the mesh like --mesh; MESHFLOW_DATA_DIR the embedded data dir; MESHFLOW_DEBUG=1 prints stack traces.`

/** The usage of one command, or of all when `topic` is undefined or 'help'. */
export function usageOf (topic: string | undefined): string {
  switch (topic) {
    case 'run': return `Usage: ${RUN}`
    case 'node': return `Usage: ${NODE}`
    case 'status': case 'jobs': case 'savepoints': return `Usage: ${QUERIES}`
    case 'cancel': case 'savepoint': case 'stop': return `Usage: ${CONTROL}`
    case 'keygen': return `Usage: ${KEYGEN}`
    case 'datasets': case 'dataset': return `Usage: ${DATASETS}`
    case 'sql': return `Usage: ${SQL}`
    default: return USAGE
  }
}
