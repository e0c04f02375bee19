/**
 * Deterministic simulation of the Raft core (see raft-simulator.ts): each scenario runs many
 * seeds of random delays, drops, duplicates, reordering, symmetric and one-way partitions
 * (a leader cut off from the majority among them), crashes that lose unpersisted state,
 * restarts, membership changes and leadership transfers. Every step is checked for election
 * safety, log matching, leader completeness, state machine safety, vote safety and
 * check-quorum; after healing, a leader must commit a command on every member, then stay.
 *
 *   MESHFLOW_RAFT_SEEDS=5000 npm test -- raft-simulation     more seeds per scenario
 *   MESHFLOW_RAFT_SEED=1234 MESHFLOW_RAFT_TRACE=1 npx node test/node/cluster/raft-simulation.test.ts
 *                                                              replay one seed with a trace
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { runSimulation } from './raft-simulator.ts'
import type { SimulationOptions, SimulationReport } from './raft-simulator.ts'
import { errorMessage } from '../../../protocol/error-message.ts'

const RaftSimulation = suite('RaftSimulation')

const SEEDS = Number(process.env.MESHFLOW_RAFT_SEEDS ?? 300)
const ONLY_SEED = process.env.MESHFLOW_RAFT_SEED === undefined ? undefined : Number(process.env.MESHFLOW_RAFT_SEED)
const TRACE = process.env.MESHFLOW_RAFT_TRACE !== undefined

type Scenario = Omit<SimulationOptions, 'seed'>

const SCENARIOS: Record<string, Scenario> = {
  '3 voters': { voters: 3 },
  '5 voters and 2 learners': { voters: 5, learners: 2 },
  '3 voters, 1 learner and 3 spares joining and leaving': { voters: 3, learners: 1, spares: 3 },
  '5 voters and 2 spares joining and leaving': { voters: 5, spares: 2 },
  '3 voters in a storm of crashes and losses': { voters: 3, crashRate: 0.06, dropRate: 0.2 },
  '5 voters in a storm, one entry per AppendEntries': { voters: 5, crashRate: 0.08, dropRate: 0.25, partitionRate: 0.04, maxEntriesPerAppend: 1 },
  '5 voters without pre-vote or check-quorum (safety only rests on the core rules)': { voters: 5, learners: 1, preVote: false, checkQuorum: false },
  '3 voters snapshotting, with lagging followers and crashes mid-install': { voters: 3, learners: 1, snapshots: true, crashRate: 0.05, dropRate: 0.1 },
  '5 voters and spares snapshotting in a storm of partitions': { voters: 5, spares: 2, snapshots: true, crashRate: 0.04, partitionRate: 0.04 }
}

const totals: SimulationReport[] = []

function runSeeds (name: string, scenario: Scenario): void {
  const seeds = ONLY_SEED === undefined ? Array.from({ length: SEEDS }, (_, i) => i + 1) : [ONLY_SEED]
  for (const seed of seeds) {
    try {
      totals.push(runSimulation({ seed, ...scenario, ...(TRACE ? { trace: (line: string) => { process.stdout.write(line + '\n') } } : {}) }))
    } catch (err) {
      const replay = `MESHFLOW_RAFT_SEED=${seed} MESHFLOW_RAFT_TRACE=1 npx node test/node/cluster/raft-simulation.test.ts`
      assert.unreachable(`[${name}] ${errorMessage(err)}\n  replay: ${replay}`)
    }
  }
}

for (const [name, scenario] of Object.entries(SCENARIOS)) {
  RaftSimulation(`keeps every safety property and recovers after healing: ${name}`, () => {
    runSeeds(name, scenario)
  })
}

RaftSimulation('the same seed gives the same run', () => {
  const a = runSimulation({ seed: 42, voters: 5, learners: 1, spares: 1 })
  const b = runSimulation({ seed: 42, voters: 5, learners: 1, spares: 1 })
  assert.equal(a, b)
})

RaftSimulation('the runs exercised elections, faults, membership changes and transfers', () => {
  if (ONLY_SEED !== undefined) return
  const sum = (f: (r: SimulationReport) => number): number => totals.reduce((n, r) => n + f(r), 0)
  const leaderTerms = sum(r => r.leaderTerms)
  const stats = {
    runs: totals.length,
    leaderTerms,
    committed: sum(r => r.committed),
    crashes: sum(r => r.crashes),
    partitions: sum(r => r.partitions),
    configChanges: sum(r => r.configChanges),
    transfers: sum(r => r.transfers),
    maxTicksToRecover: Math.max(...totals.map(r => r.livenessTicks))
  }
  process.stdout.write(`raft simulation: ${JSON.stringify(stats)}\n`)
  assert.ok(stats.leaderTerms > 3 * stats.runs, 'several elections per run')
  assert.ok(stats.crashes > stats.runs && stats.partitions > stats.runs)
  assert.ok(stats.configChanges > stats.runs && stats.transfers > 0)
})

RaftSimulation('the snapshot runs took snapshots, installed them on lagging nodes and crashed nodes mid-install', () => {
  if (ONLY_SEED !== undefined) return
  const runs = totals.filter(r => r.snapshotsTaken > 0)
  const sum = (f: (r: SimulationReport) => number): number => runs.reduce((n, r) => n + f(r), 0)
  const stats = { runs: runs.length, taken: sum(r => r.snapshotsTaken), installed: sum(r => r.snapshotsInstalled), crashesMidInstall: sum(r => r.crashesMidInstall) }
  process.stdout.write(`raft simulation with snapshots: ${JSON.stringify(stats)}\n`)
  assert.ok(stats.runs >= SEEDS, 'every snapshot run took snapshots')
  assert.ok(stats.installed > stats.runs, 'followers left behind got InstallSnapshot')
  assert.ok(stats.crashesMidInstall > 0, 'some nodes crashed with a snapshot half received')
})

RaftSimulation.run()
