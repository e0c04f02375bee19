/**
 * The contract suite run against an in-process partitioned log (a tiny Kafka in memory):
 * proves the suite itself — its jobs, savepoint round trip and failure injection — on a
 * source and sink whose behaviour is known, apart from any external system.
 */
import { OutputTag, type Source, type SourceReader, type SourceSplit } from 'meshflow'
import { sinkContract, sourceContract, type ContractRecord, type SinkFixture, type SourceFixture } from './contract.ts'

interface LogSplit extends SourceSplit { readonly partition: number, readonly offset: number }

/** A partitioned log in memory: the record at `offset` of a partition never changes. */
class MemoryLog {
  readonly partitions: string[][]
  constructor (n: number) { this.partitions = Array.from({ length: n }, () => []) }
  append (records: readonly ContractRecord[]): void {
    for (const r of records) this.partitions[r.id % this.partitions.length]!.push(JSON.stringify(r))
  }

  source (deadLetter?: OutputTag<unknown>): Source<ContractRecord, LogSplit> {
    return {
      bounded: false,
      createSplits: () => this.partitions.map((_, partition) => ({ id: `p${partition}`, partition, offset: 0 })),
      createReader: context => {
        const splits: { partition: number, offset: number }[] = []
        const reader: SourceReader<ContractRecord, LogSplit> = {
          addSplits: added => { for (const s of added) splits.push({ partition: s.partition, offset: s.offset }) },
          pollNext: max => {
            const out: ContractRecord[] = []
            for (const s of splits) {
              const log = this.partitions[s.partition]!
              while (s.offset < log.length && out.length < max) {
                const line = log[s.offset]!
                try {
                  out.push(JSON.parse(line) as ContractRecord)
                } catch (err) {
                  const where = `partition ${s.partition} offset ${s.offset}`
                  if (deadLetter === undefined) throw new Error(`Malformed record at ${where}`, { cause: err })
                  context.output(deadLetter, { where, line })
                }
                s.offset++
              }
            }
            if (out.length > 0) return out
            return new Promise(resolve => setTimeout(() => resolve([]), 5))
          },
          snapshotSplits: () => splits.map(s => ({ id: `p${s.partition}`, ...s })),
          close: () => {}
        }
        return reader
      }
    }
  }
}

sourceContract({
  name: 'memory-log',
  guarantee: 'exactly-once',
  create: async ({ splits }): Promise<SourceFixture> => {
    const log = new MemoryLog(splits)
    return {
      write: async records => { log.append(records) },
      writeMalformed: async () => { log.partitions[0]!.push('{"id": 1, not json') },
      source: ({ deadLetter }) => log.source(deadLetter),
      badRecordLocation: /partition \d+ offset \d+/,
      describeDeadLetter: d => (d as { where: string }).where,
      delete: async () => {}
    }
  }
})

sinkContract({
  name: 'memory-log',
  guarantee: 'exactly-once',
  create: async (): Promise<SinkFixture> => {
    const visible: ContractRecord[] = []
    const committed = new Set<number>() // across writers: a restored writer commits again
    return {
      sink: () => ({
        createWriter: () => {
          let pending: ContractRecord[] = []
          return {
            write: values => { pending.push(...values) },
            finish: () => { visible.push(...pending); pending = [] },
            close: () => { pending = [] },
            prepareCommit: () => { const c = pending; pending = []; return c.length === 0 ? [] : [{ at: Math.random(), records: c }] },
            commit: committables => {
              for (const c of committables as { at: number, records: ContractRecord[] }[]) {
                if (committed.has(c.at)) continue
                committed.add(c.at)
                visible.push(...c.records)
              }
            }
          }
        }
      }),
      readAll: async atLeast => {
        if (visible.length < atLeast) throw new Error(`Only ${visible.length} of ${atLeast} records visible`)
        return visible
      },
      delete: async () => {}
    }
  }
})

