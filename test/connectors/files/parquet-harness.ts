/**
 * Sink harnesses of the contract suite (test/connectors/contract.ts) for the file
 * connector: the Parquet lake (`parquetSink` partitioned Hive style by the record's `key`,
 * read back by DuckDB with `hive_partitioning`; and partitioned by a function, read back by
 * `fileSource`, which takes the key from the directory names) and `fileSink` JSON Lines. No service:
 * the "system" is a temporary directory, so the suite runs no outage test. A reader sees
 * exactly the committed files: names starting with `.` or `_` (parts not committed yet,
 * claims) are skipped while listing, as any reader of the lake does.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileSink, fileSource, parquetSink } from 'meshflow/connectors/files'
import { readAll, readerOf } from '../source-readers.ts'
import type { DatasetSchema } from '../../../node/api/dataset-schema.ts'
import type { ContractRecord, SinkFixture, SinkHarness } from '../contract.ts'
import { duck, lit } from './duckdb.ts'

const schema: DatasetSchema = {
  columns: [{ name: 'id', type: 'number' }, { name: 'key', type: 'string' }, { name: 'payload', type: 'string' }]
}

/** The visible files under `dir` whose names end with `extension`, walking partition directories. */
export async function committedFiles (dir: string, extension: string): Promise<string[]> {
  const out: string[] = []
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      if (e.name.startsWith('.') || e.name.startsWith('_')) continue
      const p = join(d, e.name)
      if (e.isDirectory()) await walk(p)
      else if (e.isFile() && e.name.endsWith(extension)) out.push(p)
    }
  }
  await walk(dir)
  return out.sort()
}

/** Polls `read` until it returns at least `atLeast` records or `timeoutMs` passed; returns the last read. */
async function pollRead (read: () => Promise<ContractRecord[]>, atLeast: number, timeoutMs: number): Promise<ContractRecord[]> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const records = await read()
    if (records.length >= atLeast || Date.now() > deadline) return records
    await new Promise(resolve => setTimeout(resolve, 50))
  }
}

async function tempDir (name: string): Promise<string> {
  return await mkdtemp(join(tmpdir(), `meshflow-contract-${name}-`))
}

/** The Parquet lake: `parquetSink` partitioned by `key` (`key=k3/part-….parquet`), exactly-once. */
export const parquetSinkHarness: SinkHarness = {
  name: 'parquet lake',
  guarantee: 'exactly-once',
  create: async (): Promise<SinkFixture> => {
    const dir = await tempDir('parquet')
    return {
      sink: () => parquetSink<ContractRecord>({ path: dir, partitionBy: ['key'], schema, rollBytes: 32 * 1024 }),
      readAll: async (atLeast, timeoutMs) => await pollRead(async () => {
        const files = await committedFiles(dir, '.parquet')
        if (files.length === 0) return []
        // every file is a partition directory's part: the key comes back from the directory name
        const rows = await duck(`select id, key, payload from read_parquet([${files.map(lit).join(', ')}], hive_partitioning = true, hive_types_autocast = false)`)
        return rows.map(r => ({ id: r.id as number, key: r.key as string, payload: r.payload as string }))
      }, atLeast, timeoutMs),
      delete: async () => { await rm(dir, { recursive: true, force: true }) }
    }
  }
}

/** The Parquet lake partitioned by a function (`bucket=…/key=…`), read back by `fileSource` with the partition columns. */
export const parquetFunctionSinkHarness: SinkHarness = {
  name: 'parquet lake (partitionBy function, read by fileSource)',
  guarantee: 'exactly-once',
  create: async (): Promise<SinkFixture> => {
    const dir = await tempDir('parquet-fn')
    return {
      sink: () => parquetSink<ContractRecord>({ path: dir, partitionBy: r => ({ bucket: r.id % 2 === 0 ? 'even' : 'odd', key: r.key }), schema, rollBytes: 32 * 1024 }),
      readAll: async (atLeast, timeoutMs) => await pollRead(async () => {
        if ((await committedFiles(dir, '.parquet')).length === 0) return []
        const source = fileSource<ContractRecord & { bucket: string }>({ path: dir, format: 'parquet' })
        const reader = readerOf(source)
        reader.addSplits(await source.createSplits(1))
        try {
          return (await readAll(reader)).map(r => {
            if (r.bucket !== (r.id % 2 === 0 ? 'even' : 'odd')) throw new Error(`Record ${r.id} read from bucket=${r.bucket}`)
            return { id: r.id, key: r.key, payload: r.payload }
          })
        } finally {
          await reader.close()
        }
      }, atLeast, timeoutMs),
      delete: async () => { await rm(dir, { recursive: true, force: true }) }
    }
  }
}

/** `fileSink` JSON Lines: one record per line in committed part files, exactly-once. */
export const jsonlSinkHarness: SinkHarness = {
  name: 'jsonl file',
  guarantee: 'exactly-once',
  create: async (): Promise<SinkFixture> => {
    const dir = await tempDir('jsonl')
    return {
      sink: () => fileSink<ContractRecord>({ path: dir, format: 'jsonl', rollBytes: 32 * 1024 }),
      readAll: async (atLeast, timeoutMs) => await pollRead(async () => {
        const records: ContractRecord[] = []
        for (const file of await committedFiles(dir, '.jsonl')) {
          for (const line of (await readFile(file, 'utf8')).split('\n')) if (line.length > 0) records.push(JSON.parse(line) as ContractRecord)
        }
        return records
      }, atLeast, timeoutMs),
      delete: async () => { await rm(dir, { recursive: true, force: true }) }
    }
  }
}
