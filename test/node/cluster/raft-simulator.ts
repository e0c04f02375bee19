/**
 * A deterministic simulation of RaftCores; not a test file itself (run.ts only runs
 * `*.test.ts`). Nodes run on a simulated network with random delays, drops, duplicates,
 * reordering, symmetric and one-way partitions, crashes and restarts (a crash loses
 * whatever did not go through storage), membership changes and leadership transfers, all
 * driven by one seeded PRNG in virtual time. With `snapshots`, nodes also snapshot their
 * state machine (a digest of every applied entry) every few entries with a small margin,
 * so that lagging and restarted nodes catch up through chunked InstallSnapshot, and
 * crashes hit transfers half done. It checks the Raft safety properties after every step
 * (a restored snapshot must equal the state every other node had at its index),
 * check-quorum during partitions, liveness and stability after healing, and throws a
 * `SimulationError` naming the seed.
 */
import { RaftCore } from '../../../node/cluster/raft/raft-core.ts'
import type { Snapshot } from '../../../node/cluster/raft/types.ts'
import type { LogEntry, NodeId, RaftConfiguration, RaftEnvelope } from '../../../protocol/raft.ts'
import { SimDisk, describe, entryKey } from './raft-cluster.ts'

/** A small, fast, seeded PRNG (mulberry32): uniform in [0, 1). */
export function mulberry32 (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export interface SimulationOptions {
  readonly seed: number
  /** Initial voters (bootstrapped). */
  readonly voters: number
  /** Initial learners (bootstrapped). */
  readonly learners?: number
  /** Nodes outside the initial configuration, candidates for membership changes. */
  readonly spares?: number
  /** Ticks of faults before healing. Default 400. */
  readonly chaosTicks?: number
  /** Ticks allowed after healing for a leader to appear and a command to commit everywhere. Default 400. */
  readonly livenessTicks?: number
  readonly electionTicks?: number
  readonly heartbeatTicks?: number
  readonly preVote?: boolean
  readonly checkQuorum?: boolean
  /** Probability that a message is lost. Default 0.05. */
  readonly dropRate?: number
  /** Probability that a message is delivered twice. Default 0.03. */
  readonly duplicateRate?: number
  /** Entries per AppendEntries; small batches split old entries from a new leader's no-op. Default: drawn from 1, 2, 3, 8. */
  readonly maxEntriesPerAppend?: number
  readonly crashes?: boolean
  /** Probability per tick that a node crashes (it restarts 5–65 ticks later). Default 0.012. */
  readonly crashRate?: number
  /** Probability per tick that a partition starts when none is active. Default 0.012. */
  readonly partitionRate?: number
  readonly partitions?: boolean
  readonly membership?: boolean
  readonly transfers?: boolean
  /**
   * Snapshot every few applied entries (drawn per run from 3..20) with a margin of 0..3
   * entries and chunks of 16..256 bytes, 1..3 in flight. Default false.
   */
  readonly snapshots?: boolean
  /** Called with a line per event (delivery, fault, role change), to debug a failing seed. */
  readonly trace?: (line: string) => void
}

export interface SimulationReport {
  readonly seed: number
  readonly ticks: number
  readonly leaderTerms: number
  readonly committed: number
  readonly delivered: number
  readonly crashes: number
  readonly partitions: number
  readonly configChanges: number
  readonly transfers: number
  readonly livenessTicks: number
  readonly snapshotsTaken: number
  readonly snapshotsInstalled: number
  /** Crashes of a node that had received part of a snapshot and not installed it yet. */
  readonly crashesMidInstall: number
}

/** A safety or liveness violation; the message names the seed to replay it. */
export class SimulationError extends Error {
  readonly seed: number
  constructor (seed: number, time: number, message: string, options?: ErrorOptions) {
    super(`Raft simulation seed ${seed} at tick ${(time / UNITS_PER_TICK).toFixed(2)}: ${message}`, options)
    this.name = 'SimulationError'
    this.seed = seed
  }
}

/** Virtual time units per tick: messages take a few units, so they reorder within a tick. */
const UNITS_PER_TICK = 4

interface SimNode {
  readonly id: NodeId
  readonly phase: number
  core: RaftCore | undefined
  readonly disk: SimDisk
  /** Has unprocessed Ready work (it is lost if the node crashes first). */
  dirty: boolean
  lastApplied: number
  /** Term in which it was last seen leading, and its commit index seen since. */
  leaderTerm: number
  seenCommit: number
  restartAt: number
  appliedCommands: Set<string>
  /** Digest of every entry applied so far (the state machine's state). */
  digest: string
  /** Received a chunk of a snapshot not installed yet. */
  midInstall: boolean
}

/** Term of a core's last committed entry (compacted entries: the snapshot's). */
function committedTerm (core: RaftCore): number | undefined {
  const snapshot = core.snapshotMeta
  if (snapshot !== undefined && snapshot.index === core.commitIndex) return snapshot.term
  return core.entry(core.commitIndex)?.term
}

/** The simulated state machine's snapshot. */
interface SimState { readonly digest: string, readonly commands: readonly string[] }

function digestOf (prev: string, key: string): string {
  // FNV-1a over the previous digest and the entry: equal digests mean equal histories
  let h = 0x811c9dc5
  for (const ch of prev + '|' + key) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0
  return h.toString(16)
}

/**
 * Runs one seeded simulation and returns what happened; throws `SimulationError` on any
 * violation. Same options, same run.
 */
export function runSimulation (options: SimulationOptions): SimulationReport {
  return new Simulation(options).run()
}

class Simulation {
  readonly #o: Required<Omit<SimulationOptions, 'seed' | 'maxEntriesPerAppend' | 'trace'>> & { seed: number }
  readonly #snapshotEvery: number
  readonly #snapshotInit: { snapshotMargin: number, snapshotChunkBytes: number, snapshotChunksInFlight: number }
  /** State machine digest after applying each index, as the first node to get there had it. */
  readonly #digestAt: (string | undefined)[] = ['']
  #snapshotsTaken = 0
  #snapshotsInstalled = 0
  #crashesMidInstall = 0
  readonly #trace: ((line: string) => void) | undefined
  readonly #rng: () => number
  readonly #maxEntriesPerAppend: number
  readonly #nodes: SimNode[] = []
  readonly #byId = new Map<NodeId, SimNode>()
  readonly #inFlight = new Map<number, RaftEnvelope[]>()
  #time = 0
  #dropRate: number
  #duplicateRate: number
  /** Partition group per node; links only within a group. Empty: no partition. */
  #groups = new Map<NodeId, number>()
  /** Directed links cut one way (`from>to`): asymmetric partitions. */
  #oneWay = new Set<string>()
  #healAt = 0
  #commandCounter = 0
  /** A leader put in a minority by a partition: it must step down by `deadline`. */
  #cutOff: { readonly id: NodeId, readonly term: number, readonly deadline: number } | undefined

  // safety bookkeeping
  readonly #leaderOfTerm = new Map<number, NodeId>()
  /** First committed entry key per index, and the lowest term of a leader that committed it. */
  readonly #committed: (string | undefined)[] = []
  readonly #commitTerm: number[] = []
  readonly #appliedAt: (string | undefined)[] = []
  /** Log matching registry: `${index}:${term}` -> content key and previous entry's term. */
  readonly #registry = new Map<string, { key: string, prevTerm: number }>()

  // statistics
  #delivered = 0
  #crashes = 0
  #partitions = 0
  #configChanges = 0
  #transfers = 0

  constructor (options: SimulationOptions) {
    this.#o = {
      learners: 0,
      spares: 0,
      chaosTicks: 400,
      livenessTicks: 400,
      electionTicks: 10,
      heartbeatTicks: 1,
      preVote: true,
      checkQuorum: true,
      dropRate: 0.05,
      duplicateRate: 0.03,
      crashes: true,
      crashRate: 0.012,
      partitionRate: 0.012,
      partitions: true,
      membership: true,
      transfers: true,
      snapshots: false,
      ...options
    }
    this.#rng = mulberry32(options.seed)
    // drawn only with snapshots, so a run without them is the run it always was
    const draw = (lo: number, hi: number): number => lo + Math.floor(this.#rng() * (hi - lo + 1))
    this.#trace = options.trace
    this.#maxEntriesPerAppend = options.maxEntriesPerAppend ?? [1, 2, 3, 8][Math.floor(this.#rng() * 4)] ?? 8
    this.#snapshotEvery = this.#o.snapshots ? draw(3, 20) : 0
    this.#snapshotInit = this.#o.snapshots
      ? { snapshotMargin: draw(0, 3), snapshotChunkBytes: [16, 32, 64, 256][draw(0, 3)]!, snapshotChunksInFlight: draw(1, 3) }
      : { snapshotMargin: 0, snapshotChunkBytes: 256, snapshotChunksInFlight: 1 }
    this.#dropRate = this.#o.dropRate
    this.#duplicateRate = this.#o.duplicateRate
    const ids = (prefix: string, n: number): NodeId[] => Array.from({ length: n }, (_, i) => `${prefix}${i + 1}`)
    const config: RaftConfiguration = { voters: ids('v', this.#o.voters), learners: ids('l', this.#o.learners) }
    for (const id of [...config.voters, ...config.learners, ...ids('s', this.#o.spares)]) {
      const node: SimNode = {
        id,
        phase: Math.floor(this.#rng() * UNITS_PER_TICK),
        core: undefined,
        disk: new SimDisk(),
        dirty: false,
        lastApplied: 0,
        leaderTerm: 0,
        seenCommit: 0,
        restartAt: 0,
        appliedCommands: new Set(),
        digest: '',
        midInstall: false
      }
      this.#nodes.push(node)
      this.#byId.set(id, node)
      this.#boot(node)
      if (!id.startsWith('s')) {
        node.core!.bootstrap(config)
        this.#flush(node)
      }
    }
    // the bootstrap entry is committed everywhere from the start
    this.#recordCommit(1, entryKey({ term: 1, index: 1, type: 'config', config }), 0)
  }

  run (): SimulationReport {
    try {
      return this.#run()
    } catch (err) {
      if (err instanceof SimulationError) throw err
      // a crash of the core itself (an internal assertion) is a failure of this seed too
      throw new SimulationError(this.#o.seed, this.#time, `threw ${String(err)}`, { cause: err })
    }
  }

  #run (): SimulationReport {
    const chaosEnd = this.#o.chaosTicks * UNITS_PER_TICK
    while (this.#time < chaosEnd) {
      this.#chaos()
      this.#unit()
    }
    this.#heal()
    const healedAt = this.#time
    const livenessTicks = this.#liveness()
    return {
      seed: this.#o.seed,
      ticks: this.#time / UNITS_PER_TICK,
      leaderTerms: this.#leaderOfTerm.size,
      committed: this.#committed.length - 1,
      delivered: this.#delivered,
      crashes: this.#crashes,
      partitions: this.#partitions,
      configChanges: this.#configChanges,
      transfers: this.#transfers,
      livenessTicks: livenessTicks ?? (this.#time - healedAt) / UNITS_PER_TICK,
      snapshotsTaken: this.#snapshotsTaken,
      snapshotsInstalled: this.#snapshotsInstalled,
      crashesMidInstall: this.#crashesMidInstall
    }
  }

  #fail (message: string): never {
    throw new SimulationError(this.#o.seed, this.#time, message)
  }

  #boot (node: SimNode): void {
    node.core = new RaftCore({ random: this.#rng }, {
      id: node.id,
      electionTicks: this.#o.electionTicks,
      heartbeatTicks: this.#o.heartbeatTicks,
      preVote: this.#o.preVote,
      checkQuorum: this.#o.checkQuorum,
      maxEntriesPerAppend: this.#maxEntriesPerAppend,
      ...this.#snapshotInit,
      restore: { hardState: node.disk.hardState, entries: node.disk.entries.slice(), snapshot: node.disk.snapshot }
    })
    node.dirty = false
    node.lastApplied = 0
    node.digest = ''
    node.appliedCommands = new Set()
    node.midInstall = false
    if (node.disk.snapshot !== undefined) this.#restoreState(node, node.disk.snapshot)
    node.leaderTerm = 0
    node.seenCommit = 0
  }

  /** One unit of virtual time: deliveries, ticks, then Ready processing. */
  #unit (): void {
    const now = this.#time
    const due = this.#inFlight.get(now)
    if (due !== undefined) {
      this.#inFlight.delete(now)
      for (const m of due) this.#deliver(m)
    }
    for (const node of this.#nodes) {
      if (node.core === undefined) {
        if (node.restartAt > 0 && now >= node.restartAt) this.#restart(node)
        continue
      }
      if (now % UNITS_PER_TICK === node.phase) {
        node.core.tick()
        node.dirty = true
        this.#check(node)
      }
    }
    for (const node of this.#nodes) {
      // Ready processing sometimes lags, so that a crash can lose unpersisted state.
      if (node.dirty && this.#rng() < 0.85) this.#flush(node)
    }
    this.#time++
  }

  #deliver (m: RaftEnvelope): void {
    const target = this.#byId.get(m.to)
    if (target?.core === undefined) return
    if (!this.#linked(m.from, m.to)) return
    if (this.#trace !== undefined) this.#trace(`${this.#now()} ${describe(m)}`)
    const x = m.message
    if (x.type === 'install-snapshot' && x.offset + x.data.byteLength < x.size) target.midInstall = true
    target.core.step(m)
    target.dirty = true
    this.#delivered++
    this.#check(target)
  }

  #now (): string { return (this.#time / UNITS_PER_TICK).toFixed(2) }

  #linked (a: NodeId, b: NodeId): boolean {
    if (this.#oneWay.size > 0 && this.#oneWay.has(`${a}>${b}`)) return false
    if (this.#groups.size === 0) return true
    return this.#groups.get(a) === this.#groups.get(b)
  }

  #partitioned (): boolean { return this.#groups.size > 0 || this.#oneWay.size > 0 }

  #send (m: RaftEnvelope): void {
    if (this.#rng() < this.#dropRate) return
    const copies = this.#rng() < this.#duplicateRate ? 2 : 1
    for (let i = 0; i < copies; i++) {
      // mostly within a tick, sometimes up to three ticks late: reordering
      const delay = this.#rng() < 0.05
        ? 1 + Math.floor(this.#rng() * 3 * UNITS_PER_TICK)
        : 1 + Math.floor(this.#rng() * UNITS_PER_TICK)
      const at = this.#time + delay
      let bucket = this.#inFlight.get(at)
      if (bucket === undefined) {
        bucket = []
        this.#inFlight.set(at, bucket)
      }
      bucket.push(m)
    }
  }

  /** Persists, sends and applies the node's pending Readies, checking each. */
  #flush (node: SimNode): void {
    const core = node.core
    node.dirty = false
    if (core === undefined) return
    while (core.hasReady()) {
      const ready = core.ready()
      const before = node.disk.hardState
      if (ready.hardState !== undefined && before !== undefined) {
        if (ready.hardState.term < before.term) this.#fail(`${node.id} persisted term ${ready.hardState.term} after ${before.term}`)
        if (ready.hardState.term === before.term && before.votedFor !== undefined && ready.hardState.votedFor !== before.votedFor) {
          this.#fail(`${node.id} voted for ${String(ready.hardState.votedFor)} after voting for ${before.votedFor} in term ${before.term}`)
        }
      }
      node.disk.save(ready)
      for (const e of ready.entries) this.#checkMatching(node, e)
      for (const m of ready.messages) this.#send(m)
      if (ready.restore !== undefined) {
        this.#restoreState(node, ready.restore)
        this.#snapshotsInstalled++
        node.midInstall = false
        this.#trace?.(`${this.#now()} ${node.id} installed snapshot ${ready.restore.meta.index}/${ready.restore.meta.term}`)
      }
      for (const e of ready.committed) this.#apply(node, e)
      if (ready.softState !== undefined && this.#trace !== undefined) {
        this.#trace(`${this.#now()} ${node.id} is ${ready.softState.role} of term ${ready.softState.term}, leader ${String(ready.softState.leaderId)}, log ${core.lastIndex}/${core.lastTerm}`)
      }
      core.advance(ready)
      this.#maybeSnapshot(node, core)
    }
    this.#check(node)
  }

  /** As RaftNode does: snapshot the state machine every `#snapshotEvery` applied entries. */
  #maybeSnapshot (node: SimNode, core: RaftCore): void {
    if (this.#snapshotEvery === 0 || core.appliedIndex - (core.snapshotMeta?.index ?? 0) < this.#snapshotEvery) return
    if (core.appliedIndex !== node.lastApplied) this.#fail(`${node.id} core applied ${core.appliedIndex}, its state machine ${node.lastApplied}`)
    const state: SimState = { digest: node.digest, commands: [...node.appliedCommands] }
    if (core.createSnapshot(core.appliedIndex, new TextEncoder().encode(JSON.stringify(state)))) {
      this.#snapshotsTaken++
      this.#trace?.(`${this.#now()} ${node.id} snapshot at ${core.appliedIndex}, log from ${core.firstIndex}`)
    }
  }

  /** The state machine takes a snapshot's state: it must be what every node had at that index. */
  #restoreState (node: SimNode, snapshot: Snapshot): void {
    const { index } = snapshot.meta
    let state: SimState
    try {
      state = JSON.parse(new TextDecoder().decode(snapshot.data)) as SimState
    } catch (err) {
      this.#fail(`${node.id} got a snapshot at ${index} that does not decode: ${String(err)}`)
    }
    const known = this.#digestAt[index]
    if (known !== undefined && known !== state.digest) this.#fail(`state machine safety: ${node.id} restored a snapshot at ${index} whose state differs from what was applied there`)
    node.lastApplied = index
    node.digest = state.digest
    node.appliedCommands = new Set(state.commands)
  }

  /** Log matching: one content per (index, term), always after the same previous term. */
  #checkMatching (node: SimNode, e: LogEntry): void {
    const prevTerm = node.disk.term(e.index - 1) ?? 0
    const key = entryKey(e)
    const id = `${e.index}:${e.term}`
    const known = this.#registry.get(id)
    if (known === undefined) {
      this.#registry.set(id, { key, prevTerm })
    } else if (known.key !== key || known.prevTerm !== prevTerm) {
      this.#fail(`log matching: ${node.id} has ${key} after term ${prevTerm} at index ${e.index}, another log has ${known.key} after term ${known.prevTerm}`)
    }
  }

  /** State machine safety: every node applies the same entry at an index, in order. */
  #apply (node: SimNode, e: LogEntry): void {
    if (e.index !== node.lastApplied + 1) this.#fail(`${node.id} applied index ${e.index} after ${node.lastApplied}`)
    node.lastApplied = e.index
    const key = entryKey(e)
    const first = this.#appliedAt[e.index]
    if (first === undefined) this.#appliedAt[e.index] = key
    else if (first !== key) this.#fail(`state machine safety: ${node.id} applied ${key} at index ${e.index}, another node applied ${first}`)
    if (e.type === 'command') node.appliedCommands.add(String(e.command))
    node.digest = digestOf(node.digest, key)
    const digest = this.#digestAt[e.index]
    if (digest === undefined) this.#digestAt[e.index] = node.digest
    else if (digest !== node.digest) this.#fail(`state machine safety: ${node.id}'s state after index ${e.index} differs from another node's`)
  }

  /** Election safety, leader completeness and commit bookkeeping after a node changed. */
  #check (node: SimNode): void {
    const core = node.core
    if (core === undefined || core.role !== 'leader') return
    const term = core.term
    const known = this.#leaderOfTerm.get(term)
    if (known === undefined) this.#leaderOfTerm.set(term, node.id)
    else if (known !== node.id) this.#fail(`election safety: ${node.id} and ${known} both lead term ${term}`)
    if (node.leaderTerm !== term) {
      node.leaderTerm = term
      node.seenCommit = core.commitIndex
      // entries behind its snapshot are compacted: the snapshot check covers them
      for (let i = core.firstIndex; i < this.#committed.length; i++) {
        const key = this.#committed[i]
        if (key !== undefined && (this.#commitTerm[i] ?? 0) < term) this.#checkHas(node, core, i, key, 'became leader')
      }
    }
    for (let i = Math.max(node.seenCommit + 1, core.firstIndex); i <= core.commitIndex; i++) {
      const e = core.entry(i)
      if (e === undefined) this.#fail(`${node.id} commit index ${core.commitIndex} is past its last index ${core.lastIndex}`)
      this.#recordCommit(i, entryKey(e), term)
    }
    if (core.commitIndex > node.seenCommit) node.seenCommit = core.commitIndex
  }

  #checkHas (node: SimNode, core: RaftCore, index: number, key: string, when: string): void {
    if (index < core.firstIndex) return
    const e = core.entry(index)
    if (e === undefined || entryKey(e) !== key) {
      this.#fail(`leader completeness: ${node.id} ${when} in term ${core.term} without committed entry ${index} (${key}); it has ${e === undefined ? 'nothing' : entryKey(e)}`)
    }
  }

  #recordCommit (index: number, key: string, term: number): void {
    const first = this.#committed[index]
    if (first === undefined) {
      this.#committed[index] = key
      this.#commitTerm[index] = term
      // leaders of later terms must have it already
      for (const n of this.#nodes) {
        if (n.core?.role === 'leader' && n.core.term > term) this.#checkHas(n, n.core, index, key, 'leads')
      }
    } else if (first !== key) {
      this.#fail(`two entries committed at index ${index}: ${first} and ${key}`)
    } else if (term < (this.#commitTerm[index] ?? term)) {
      this.#commitTerm[index] = term
    }
  }

  // ---- faults and clients ----

  #chaos (): void {
    if (this.#time % UNITS_PER_TICK !== 0) return
    this.#checkCutOff()
    const r = this.#rng
    const alive = this.#nodes.filter(n => n.core !== undefined)
    if (this.#o.crashes && r() < this.#o.crashRate && alive.length > 0) {
      const victim = this.#pick(alive)
      if (victim.midInstall) this.#crashesMidInstall++
      victim.core = undefined
      victim.dirty = false
      victim.restartAt = this.#time + (5 + Math.floor(r() * 60)) * UNITS_PER_TICK
      this.#crashes++
      this.#trace?.(`${this.#now()} CRASH ${victim.id}`)
    }
    if (this.#o.partitions) {
      if (this.#partitioned() && this.#time >= this.#healAt) {
        this.#groups = new Map()
        this.#oneWay = new Set()
        this.#cutOff = undefined
        this.#trace?.(`${this.#now()} HEAL partition`)
      }
      else if (!this.#partitioned() && r() < this.#o.partitionRate) this.#partition()
    }
    if (r() < 0.3) {
      const node = this.#pick(this.#nodes)
      node.core?.propose(`c${this.#commandCounter++}`)
      node.dirty = true
    }
    const leader = this.#nodes.find(n => n.core?.role === 'leader')
    if (leader?.core !== undefined) {
      if (this.#o.membership && r() < 0.03) this.#changeMembership(leader, leader.core)
      if (this.#o.transfers && r() < 0.008) {
        const voters = leader.core.configuration.voters.filter(v => v !== leader.id)
        if (voters.length > 0 && typeof leader.core.transferLeadership(this.#pick(voters)) === 'string') this.#transfers++
        leader.dirty = true
      }
    }
  }

  /** A leader cut off from a majority of its voters must have stepped down by the deadline. */
  #checkCutOff (): void {
    const cut = this.#cutOff
    if (cut === undefined || this.#time < cut.deadline) return
    this.#cutOff = undefined
    const core = this.#byId.get(cut.id)?.core
    if (core === undefined || core.role !== 'leader' || core.term !== cut.term || !this.#o.checkQuorum) return
    // (it was in a minority when cut off; a configuration change since may have fixed that)
    const voters = core.configuration.voters
    if (this.#inMinority(cut.id, voters)) {
      this.#fail(`check-quorum: ${cut.id} still leads term ${cut.term} while cut off from a majority of ${voters.join(',')}`)
    }
  }

  #inMinority (id: NodeId, voters: readonly NodeId[]): boolean {
    const group = this.#groups.get(id)
    return voters.filter(v => this.#groups.get(v) === group).length <= voters.length / 2
  }

  #partition (): void {
    const r = this.#rng
    this.#groups = new Map()
    const leader = this.#nodes.find(n => n.core?.role === 'leader')
    const kind = r()
    if (kind < 0.2) {
      // asymmetric: a few links fail one way only (a follower that cannot hear the leader
      // but can reach everyone else must not unseat it: leader lease)
      const cuts = 1 + Math.floor(r() * 3)
      for (let i = 0; i < cuts; i++) {
        const from = leader !== undefined && r() < 0.5 ? leader : this.#pick(this.#nodes)
        const to = this.#pick(this.#nodes)
        if (from !== to) this.#oneWay.add(`${from.id}>${to.id}`)
      }
    } else if (leader !== undefined && kind < 0.6) {
      // the leader, with maybe one companion, cut off from the rest
      this.#groups.set(leader.id, 1)
      if (r() < 0.5) this.#groups.set(this.#pick(this.#nodes).id, 1)
      for (const n of this.#nodes) if (!this.#groups.has(n.id)) this.#groups.set(n.id, 0)
      // check-quorum: it must notice within two election timeouts (the first check may
      // still count what it heard just before the cut), plus a tick of phase and delay
      if (leader.core !== undefined && this.#inMinority(leader.id, leader.core.configuration.voters)) {
        this.#cutOff = { id: leader.id, term: leader.core.term, deadline: this.#time + (2 * this.#o.electionTicks + 2) * UNITS_PER_TICK }
      }
    } else {
      const parts = r() < 0.7 ? 2 : 3
      for (const n of this.#nodes) this.#groups.set(n.id, Math.floor(r() * parts))
    }
    this.#healAt = this.#time + (10 + Math.floor(r() * 80)) * UNITS_PER_TICK
    this.#partitions++
    this.#trace?.(`${this.#now()} PARTITION ${[...this.#groups].map(([id, g]) => `${id}:${g}`).join(' ')} ${[...this.#oneWay].join(' ')}`)
  }

  #changeMembership (leader: SimNode, core: RaftCore): void {
    const { voters, learners } = core.configuration
    const outside = this.#nodes.filter(n => !voters.includes(n.id) && !learners.includes(n.id))
    const choice = this.#rng()
    let result: unknown
    if (choice < 0.35 && outside.length > 0) {
      result = core.changeConfiguration({ type: 'add-learner', id: this.#pick(outside).id })
    } else if (choice < 0.65 && learners.length > 0 && voters.length < 6) {
      result = core.changeConfiguration({ type: 'promote', id: this.#pick(learners) })
    } else if (voters.length > 3) {
      result = core.changeConfiguration({ type: 'remove', id: this.#pick(voters) })
    } else if (learners.length > 0) {
      result = core.changeConfiguration({ type: 'remove', id: this.#pick(learners) })
    }
    if (result !== undefined && !(result instanceof Error)) {
      this.#configChanges++
      this.#trace?.(`${this.#now()} CONFIG ${JSON.stringify(core.configuration)} at ${core.lastIndex} by ${leader.id}`)
    }
    leader.dirty = true
  }

  /**
   * Once healed and settled, nothing disturbs the leader: no member changes term for a few
   * election timeouts (removed or lagging nodes only pre-vote, and members in the leader
   * lease ignore them).
   */
  #stability (leaderId: NodeId, term: number): void {
    const end = this.#time + 4 * this.#o.electionTicks * UNITS_PER_TICK
    while (this.#time < end) {
      this.#unit()
      const leader = this.#byId.get(leaderId)?.core
      if (leader?.role !== 'leader' || leader.term !== term) this.#fail(`stability: ${leaderId} lost leadership of term ${term} after healing`)
      for (const id of [...leader.configuration.voters, ...leader.configuration.learners]) {
        const t = this.#byId.get(id)?.core?.term
        if (t !== term) this.#fail(`stability: member ${id} is in term ${String(t)} while ${leaderId} leads term ${term}`)
      }
    }
  }

  #pick<T> (items: readonly T[]): T {
    const item = items[Math.floor(this.#rng() * items.length)]
    if (item === undefined) throw new Error('Pick from an empty list')
    return item
  }

  #restart (node: SimNode): void {
    this.#trace?.(`${this.#now()} RESTART ${node.id}`)
    node.restartAt = 0
    this.#boot(node)
    node.dirty = true
  }

  // ---- healing and liveness ----

  #heal (): void {
    this.#trace?.(`${this.#now()} HEAL all`)
    this.#cutOff = undefined
    this.#groups = new Map()
    this.#oneWay = new Set()
    this.#dropRate = 0
    this.#duplicateRate = 0
    for (const n of this.#nodes) if (n.core === undefined) this.#restart(n)
  }

  /**
   * After healing: within `livenessTicks` a leader commits an entry of its term, and a
   * command proposed to it is applied by every member of its configuration. Returns the
   * ticks it took.
   */
  #liveness (): number {
    const start = this.#time
    const end = start + this.#o.livenessTicks * UNITS_PER_TICK
    const command = `final-${this.#o.seed}`
    let proposedTo: { id: NodeId, term: number } | undefined
    while (this.#time < end) {
      this.#unit()
      const leader = this.#nodes.find(n => n.core?.role === 'leader' && committedTerm(n.core) === n.core.term)
      if (leader?.core === undefined) continue
      if (proposedTo?.id !== leader.id || proposedTo.term !== leader.core.term) {
        const r = leader.core.propose(command)
        if (r instanceof Error) continue // a leadership transfer may still be running
        proposedTo = { id: leader.id, term: leader.core.term }
        leader.dirty = true
      }
      const { voters, learners } = leader.core.configuration
      if ([...voters, ...learners].every(id => this.#byId.get(id)?.appliedCommands.has(command) === true)) {
        const took = (this.#time - start) / UNITS_PER_TICK
        if (this.#o.preVote && this.#o.checkQuorum) this.#stability(leader.id, leader.core.term)
        return took
      }
    }
    const state = this.#nodes.map(n => n.core === undefined
      ? `${n.id}: down`
      : `${n.id}: ${n.core.role} term ${n.core.term} leader ${String(n.core.leaderId)} last ${n.core.lastIndex}/${n.core.lastTerm} commit ${n.core.commitIndex} config ${JSON.stringify(n.core.configuration)}`)
    return this.#fail(`liveness: no leader committed '${command}' on every member within ${this.#o.livenessTicks} ticks after healing\n  ${state.join('\n  ')}`)
  }
}
