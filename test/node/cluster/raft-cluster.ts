/**
 * RaftCores on a network that a test drives by hand (tick this node, deliver those
 * messages, cut that link), for unit tests of one behaviour at a time; and the pieces the
 * randomized simulation (raft-simulator.ts) shares: a crash-proof disk, entry keys and
 * message descriptions. Not a test file itself (run.ts only runs `*.test.ts`).
 */
import { RaftCore } from '../../../node/cluster/raft/raft-core.ts'
import type { RaftCoreInit, TickOptions } from '../../../node/cluster/raft/raft-core.ts'
import type { HardState, Ready, Snapshot } from '../../../node/cluster/raft/types.ts'
import type { LogEntry, NodeId, RaftConfiguration, RaftEnvelope } from '../../../protocol/raft.ts'

/** What a node has on stable storage: survives crashes. */
export class SimDisk {
  hardState: HardState | undefined
  /** Contiguous entries, from index 1 or (after compaction) from somewhere at or before `snapshot`'s index + 1. */
  entries: LogEntry[] = []
  snapshot: Snapshot | undefined

  /** Index of the last stored entry (or of the snapshot when no entry follows it). */
  get lastIndex (): number {
    return this.entries[this.entries.length - 1]?.index ?? this.snapshot?.meta.index ?? 0
  }

  /** Term of the stored entry at `index` (or of the snapshot there); 0 at index 0. */
  term (index: number): number | undefined {
    if (index === 0) return 0
    const first = this.entries[0]?.index
    if (first !== undefined && index >= first) return this.entries[index - first]?.term
    return this.snapshot?.meta.index === index ? this.snapshot.meta.term : undefined
  }

  /** Applies a Ready's writes, as `RaftStorage.saveSnapshot` then `save` would. */
  save (ready: Ready): void {
    if (ready.snapshot !== undefined) {
      const { snapshot, retainFrom } = ready.snapshot
      this.snapshot = snapshot
      this.entries = retainFrom === undefined ? [] : this.entries.filter(e => e.index >= retainFrom)
    }
    if (ready.hardState !== undefined) this.hardState = ready.hardState
    if (ready.truncateFrom !== undefined) {
      const first = this.entries[0]?.index ?? this.lastIndex + 1
      this.entries.length = Math.max(0, Math.min(this.entries.length, ready.truncateFrom - first))
    }
    for (const e of ready.entries) {
      if (e.index !== this.lastIndex + 1) throw new Error(`Disk write of entry ${e.index} after index ${this.lastIndex}`)
      this.entries.push(e)
    }
  }
}

/** A string naming an entry's term and content, for comparisons. */
export function entryKey (e: LogEntry): string {
  switch (e.type) {
    case 'noop': return `${e.term}/noop`
    case 'config': return `${e.term}/config/${e.config.voters.join(',')}/${e.config.learners.join(',')}`
    case 'command': return `${e.term}/command/${JSON.stringify(e.command)}`
  }
}

export type CoreOptions = Omit<RaftCoreInit, 'id' | 'restore'>

export interface ClusterOptions extends CoreOptions {
  readonly voters: readonly NodeId[]
  readonly learners?: readonly NodeId[]
  /** Nodes that start empty, outside the configuration (they can be added later). */
  readonly others?: readonly NodeId[]
  /** Per node: the random source (default: always 0, so every timeout is `electionTicks`). */
  readonly random?: (id: NodeId) => () => number
  /** Per node: initial disk contents instead of a bootstrap (for hand-made logs). */
  readonly disks?: Readonly<Record<NodeId, { hardState?: HardState, entries: readonly LogEntry[] }>>
}

interface ClusterNode {
  readonly id: NodeId
  core: RaftCore | undefined
  readonly disk: SimDisk
  applied: LogEntry[]
  /** The last snapshot the node's state machine restored (on start or from the leader). */
  restored: Snapshot | undefined
}

/**
 * RaftCores on a hand-driven network. Every tick or delivered message is followed by
 * processing the node's Ready (persist, queue messages, apply), so nothing is lost by a
 * crash here; the randomized simulation covers unpersisted state.
 */
export class Cluster {
  readonly nodes = new Map<NodeId, ClusterNode>()
  /** Messages sent and not delivered yet, in send order. */
  queue: RaftEnvelope[] = []
  /** Every message ever sent, for assertions. */
  readonly sent: RaftEnvelope[] = []
  readonly #blocked = new Set<string>()
  readonly #options: ClusterOptions

  constructor (options: ClusterOptions) {
    this.#options = options
    const config: RaftConfiguration = { voters: [...options.voters], learners: [...(options.learners ?? [])] }
    for (const id of [...config.voters, ...config.learners, ...(options.others ?? [])]) {
      const disk = new SimDisk()
      const given = options.disks?.[id]
      if (given !== undefined) {
        disk.hardState = given.hardState
        disk.entries = [...given.entries]
      }
      const node: ClusterNode = { id, core: undefined, disk, applied: [], restored: undefined }
      this.nodes.set(id, node)
      this.#boot(node)
      if (given === undefined && !(options.others ?? []).includes(id)) node.core!.bootstrap(config)
      this.flush(id)
    }
  }

  #boot (node: ClusterNode): void {
    const { voters: _v, learners: _l, others: _o, random, disks: _d, ...init } = this.#options
    node.core = new RaftCore({ random: random?.(node.id) ?? (() => 0) }, {
      ...init,
      id: node.id,
      restore: { hardState: node.disk.hardState, entries: node.disk.entries.slice(), snapshot: node.disk.snapshot }
    })
    node.applied = []
    node.restored = node.disk.snapshot
  }

  core (id: NodeId): RaftCore {
    const core = this.nodes.get(id)?.core
    if (core === undefined) throw new Error(`Node ${id} is down or unknown`)
    return core
  }

  applied (id: NodeId): LogEntry[] { return this.nodes.get(id)?.applied ?? [] }

  /** The last snapshot node `id` restored its state machine from. */
  restored (id: NodeId): Snapshot | undefined { return this.nodes.get(id)?.restored }

  disk (id: NodeId): SimDisk {
    const disk = this.nodes.get(id)?.disk
    if (disk === undefined) throw new Error(`Node ${id} is unknown`)
    return disk
  }

  /** Processes the node's Readies: persist, queue the messages, apply. */
  flush (id: NodeId): void {
    const node = this.nodes.get(id)
    const core = node?.core
    if (node === undefined || core === undefined) return
    while (core.hasReady()) {
      const ready = core.ready()
      node.disk.save(ready)
      for (const m of ready.messages) {
        this.sent.push(m)
        if (!this.#blocked.has(`${m.from}>${m.to}`)) this.queue.push(m)
      }
      if (ready.restore !== undefined) node.restored = ready.restore
      node.applied.push(...ready.committed)
      core.advance(ready)
    }
  }

  /** Ticks `id` `times` times (each with `options`), processing its Ready after each. */
  tick (id: NodeId, times = 1, options: TickOptions = {}): void {
    for (let i = 0; i < times; i++) {
      this.nodes.get(id)?.core?.tick(options)
      this.flush(id)
    }
  }

  /** Ticks every live node `times` times, delivering all messages after each round. */
  tickAll (times = 1): void {
    for (let i = 0; i < times; i++) {
      for (const id of this.nodes.keys()) this.tick(id)
      this.deliver()
    }
  }

  /**
   * Processes every node's Ready, then delivers queued messages in order (including the
   * ones they cause) that match `filter`; messages on a cut link or to a crashed node are dropped. Returns how many
   * were delivered.
   */
  deliver (filter: (m: RaftEnvelope) => boolean = () => true, limit = 100_000): number {
    // pick up what direct calls (propose, changeConfiguration, ...) produced
    for (const id of this.nodes.keys()) this.flush(id)
    let delivered = 0
    for (let guard = 0; guard < limit; guard++) {
      const i = this.queue.findIndex(filter)
      if (i < 0) break
      const [m] = this.queue.splice(i, 1)
      if (m === undefined) break
      if (this.#blocked.has(`${m.from}>${m.to}`)) continue
      const target = this.nodes.get(m.to)
      if (target?.core === undefined) continue
      target.core.step(m)
      this.flush(m.to)
      delivered++
    }
    return delivered
  }

  /** Drops queued messages that match `filter`. */
  drop (filter: (m: RaftEnvelope) => boolean = () => true): void {
    this.queue = this.queue.filter(m => !filter(m))
  }

  /** Cuts every link between `id` and the other nodes, both ways. */
  isolate (id: NodeId): void {
    for (const other of this.nodes.keys()) {
      if (other === id) continue
      this.#blocked.add(`${id}>${other}`)
      this.#blocked.add(`${other}>${id}`)
    }
  }

  /** Cuts every link between the two groups. */
  partition (a: readonly NodeId[], b: readonly NodeId[]): void {
    for (const x of a) {
      for (const y of b) {
        this.#blocked.add(`${x}>${y}`)
        this.#blocked.add(`${y}>${x}`)
      }
    }
  }

  heal (): void { this.#blocked.clear() }

  /** Stops the node; whatever is not on its disk is gone, and so are messages to it. */
  crash (id: NodeId): void {
    const node = this.nodes.get(id)
    if (node !== undefined) node.core = undefined
    this.drop(m => m.to === id)
  }

  restart (id: NodeId): void {
    const node = this.nodes.get(id)
    if (node === undefined || node.core !== undefined) return
    this.#boot(node)
    this.flush(id)
  }

  /** Live nodes that believe they lead, highest term first. */
  leaders (): RaftCore[] {
    return [...this.nodes.values()].flatMap(n => n.core?.role === 'leader' ? [n.core] : []).sort((a, b) => b.term - a.term)
  }

  /**
   * Ticks only `id` until it campaigns, delivering everything after each campaign, until it
   * leads (it must be promotable and electable; the others must not be in a leader lease).
   */
  elect (id: NodeId): RaftCore {
    const core = this.core(id)
    for (let round = 0; round < 5 && core.role !== 'leader'; round++) {
      for (let i = 0; i < 2 * core.electionTicks && core.role === 'follower'; i++) this.tick(id)
      this.deliver()
    }
    return core
  }
}

/** One line describing a message, for traces. */
export function describe (m: RaftEnvelope): string {
  const x = m.message
  const head = `${m.from}->${m.to} ${x.type} t${x.term}`
  switch (x.type) {
    case 'request-vote': return `${head}${x.preVote ? ' pre' : ''}${x.transfer ? ' transfer' : ''} last ${x.lastLogIndex}/${x.lastLogTerm}`
    case 'request-vote-response': return `${head}${x.preVote ? ' pre' : ''} ${x.voteGranted ? 'granted' : 'rejected'}`
    case 'append-entries': return `${head} prev ${x.prevLogIndex}/${x.prevLogTerm} entries ${x.entries.length === 0 ? '-' : `${x.entries[0]!.index}..${x.entries[x.entries.length - 1]!.index}`} commit ${x.leaderCommit}`
    case 'append-entries-response': return `${head} ${x.success ? `ok match ${x.matchIndex}` : `reject conflict ${x.conflictIndex}`}`
    case 'timeout-now': return head
    case 'install-snapshot': return `${head} snapshot ${x.meta.index}/${x.meta.term} bytes ${x.offset}+${x.data.byteLength}/${x.size}`
    case 'install-snapshot-response': return `${head} snapshot ${x.index} ${x.done ? 'done' : `received ${x.received}`}`
  }
}
