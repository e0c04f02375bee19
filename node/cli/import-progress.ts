/**
 * The progress bar of `meshflow dataset import` on a terminal (stderr, only when it is a
 * TTY; redrawn in place with `\r`, erased at the end). What it shows is what can be known
 * while the job runs: on the embedded peer the files are read by this process, so the bytes
 * it has read (`rchar` of /proc/self/io, from the start of the import, at most the input's
 * size) give a bar and a rate; on a mesh the peers read them, so it shows the time spent.
 *
 * @example
 * const bar = new ImportProgress({ stream: process.stderr, label: "importing 'sales'", totalBytes, measureBytes: processBytesRead })
 * bar.start(); …; bar.stop()
 */
import { readFileSync } from 'node:fs'
import { humanBytes } from './format-datasets.ts'

/** Redraws per second. */
const REDRAW_MS = 200
const WIDTH = 30

export interface ImportProgressInit {
  readonly stream: NodeJS.WritableStream & { isTTY?: boolean }
  readonly label: string
  readonly totalBytes: number
  /** Bytes read so far by whoever reads the input; undefined when that is not known. */
  readonly measureBytes?: (() => number | undefined) | undefined
  readonly now?: () => number
}

export class ImportProgress {
  readonly #init: ImportProgressInit
  #timer: ReturnType<typeof setInterval> | undefined
  #startedAt = 0
  #base: number | undefined

  constructor (init: ImportProgressInit) {
    this.#init = init
  }

  /** Whether a bar is drawn at all (stderr is a terminal). */
  get enabled (): boolean {
    return this.#init.stream.isTTY === true
  }

  start (): void {
    if (!this.enabled || this.#timer !== undefined) return
    this.#startedAt = this.#now()
    this.#base = this.#init.measureBytes?.()
    this.#timer = setInterval(() => { this.#draw() }, REDRAW_MS)
    this.#timer.unref()
  }

  stop (): void {
    if (this.#timer === undefined) return
    clearInterval(this.#timer)
    this.#timer = undefined
    this.#init.stream.write('\r\x1b[K')
  }

  /** The line drawn now (exported for tests through `line`). */
  line (): string {
    const seconds = (this.#now() - this.#startedAt) / 1000
    const { label, totalBytes } = this.#init
    const read = this.#base === undefined ? undefined : this.#init.measureBytes?.()
    if (read === undefined || this.#base === undefined) return `${label}  ${humanBytes(totalBytes)}  ${seconds.toFixed(1)} s`
    const done = Math.min(totalBytes, Math.max(0, read - this.#base))
    const share = totalBytes === 0 ? 1 : done / totalBytes
    const filled = Math.round(share * WIDTH)
    const rate = seconds > 0 ? `${humanBytes(done / seconds)}/s` : ''
    return `${label}  [${'#'.repeat(filled)}${'.'.repeat(WIDTH - filled)}] ${Math.floor(share * 100)}%  ${humanBytes(done)} / ${humanBytes(totalBytes)}  ${rate}  ${seconds.toFixed(1)} s`
  }

  #draw (): void {
    this.#init.stream.write(`\r\x1b[K${this.line()}`)
  }

  #now (): number {
    return this.#init.now?.() ?? performance.now()
  }
}

/** Bytes this process has read through read calls (Linux `rchar`), or undefined elsewhere. */
export function processBytesRead (): number | undefined {
  try {
    const m = /^rchar:\s*(\d+)/m.exec(readFileSync('/proc/self/io', 'utf8'))
    return m === null ? undefined : Number(m[1])
  } catch {
    return undefined
  }
}
