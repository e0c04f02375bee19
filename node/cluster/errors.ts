/**
 * Errors of the cluster layer. Match on `err.name`.
 */

/** No leader is known now (an election is running): retrying shortly can help. */
export class NoLeaderError extends Error {
  readonly retriable = true
  constructor (message = 'No JobManager (Raft leader) is known yet: an election is running, retry shortly', options?: ErrorOptions) {
    super(message, options)
    this.name = 'NoLeaderError'
  }
}

/** A peer answered a client request with an error. */
export class RemoteError extends Error {
  readonly code: string
  readonly retriable: boolean
  constructor (code: string, message: string, retriable: boolean, options?: ErrorOptions) {
    super(message, options)
    this.name = 'RemoteError'
    this.code = code
    this.retriable = retriable
  }
}

/** The peer is not running (not started yet, or stopped). */
export class PeerStoppedError extends Error {
  constructor (message = 'The peer is not running', options?: ErrorOptions) {
    super(message, options)
    this.name = 'PeerStoppedError'
  }
}

/** A job registry snapshot (Raft state machine snapshot) is corrupt, foreign or of an unknown version. */
export class InvalidRegistrySnapshotError extends Error {
  constructor (problem: string, options?: ErrorOptions) {
    super(`Invalid job registry snapshot: ${problem}`, options)
    this.name = 'InvalidRegistrySnapshotError'
  }
}

/**
 * `--force-new-mesh` cannot restart a group from this peer: it holds no Raft log (a fresh
 * data directory), so there is nothing to restart from.
 */
export class ForceNewMeshError extends Error {
  constructor (dataDir: string, options?: ErrorOptions) {
    super(`Cannot --force-new-mesh from ${dataDir}: it holds no Raft log (start the peer without --force-new-mesh to join or found a mesh)`, options)
    this.name = 'ForceNewMeshError'
  }
}

/**
 * A message that speaks for a peer was refused: a report, acknowledgement or submission in
 * another peer's name, or about subtasks the current attempt did not assign to its sender
 * (see report-guard.ts). The user's (or an attacker's) doing; retrying cannot help.
 */
export class ForbiddenReportError extends Error {
  /** The peer that sent it (undefined: this peer itself). */
  readonly sender: string | undefined
  constructor (message: string, sender: string | undefined, options?: ErrorOptions) {
    super(message, options)
    this.name = 'ForbiddenReportError'
    this.sender = sender
  }
}

/** A dataset request is wrong: a bad name, a manifest that does not fit, a schema change (the message names it). */
export class DatasetRejectedError extends Error {
  constructor (message = 'The dataset request was rejected', options?: ErrorOptions) {
    super(message, options)
    this.name = 'DatasetRejectedError'
  }
}

/** No dataset has that name. */
export class DatasetNotFoundError extends Error {
  /** With `version`: the dataset exists but does not retain that version (`retained` lists those it does). */
  constructor (name: string, options?: ErrorOptions & { readonly version?: number, readonly retained?: readonly number[] }) {
    super(options?.version === undefined
      ? `No dataset is named '${name}'`
      : `Dataset '${name}' has no retained version ${options.version} (retained: ${(options.retained ?? []).join(', ')})`, options)
    this.name = 'DatasetNotFoundError'
  }
}

/** Another commit of the dataset came first: read it again and retry. */
export class DatasetConflictError extends Error {
  constructor (message = 'Another commit of the dataset came first', options?: ErrorOptions) {
    super(message, options)
    this.name = 'DatasetConflictError'
  }
}

/** A submitted job cannot run: its code does not load or build, or the mesh cannot hold it. */
export class JobRejectedError extends Error {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'JobRejectedError'
  }
}

/** No job has that id. */
export class JobNotFoundError extends Error {
  constructor (id: string, what: 'job' | 'savepoint' = 'job') {
    super(what === 'job' ? `No job with id ${id}` : `No savepoint named '${id}'`)
    this.name = 'JobNotFoundError'
  }
}
