/**
 * A command running in a tmux pane (a real pseudo-terminal) for tests of interactive
 * programs: type into it, press keys, and wait until the screen shows what is expected.
 * Each pane has its own tmux server (a private socket in the `cwd` given), killed by `close()`.
 */
import { execFile } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)

/**
 * tmux, installed with apt-get when missing and this is root (as test/services/ installs
 * what the services need), so `npm install && npm test` holds on a fresh machine.
 *
 * @throws naming tmux and how to install it, when it is missing and cannot be installed
 */
async function ensureTmux (): Promise<void> {
  try {
    await run('tmux', ['-V'])
    return
  } catch (err) {
    if ((err as { code?: unknown }).code !== 'ENOENT') throw err
  }
  const why = 'The SQL shell tests drive the shell in a pseudo-terminal through tmux, which is not installed'
  if (process.getuid?.() !== 0) throw new Error(`${why}: apt-get install tmux`)
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
  try {
    await run('apt-get', ['install', '-y', '--no-install-recommends', 'tmux'], { env }).catch(async () => {
      await run('apt-get', ['update'], { env })
      await run('apt-get', ['install', '-y', '--no-install-recommends', 'tmux'], { env })
    })
  } catch (err) {
    throw new Error(`${why}, and apt-get install tmux failed: ${(err as Error).message}`, { cause: err })
  }
}

/** How long `waitFor` waits by default: generous, for a busy machine. */
const DEADLINE_MS = 90_000

export class TmuxPane {
  readonly #socket: string
  readonly #config: string
  #closed = false

  private constructor (socket: string, config: string) {
    this.#socket = socket
    this.#config = config
  }

  /**
   * Runs `argv` in a new `width`×`height` pane with `env` added to the environment; when it
   * ends, the pane shows `exited <code>` and stays open.
   */
  static async start (argv: readonly string[], options: { cwd: string, env: Record<string, string>, width?: number, height?: number }): Promise<TmuxPane> {
    await ensureTmux()
    const name = `tmux-${Math.random().toString(36).slice(2, 10)}`
    const socket = join(options.cwd, `${name}.sock`)
    const config = join(options.cwd, `${name}.conf`)
    writeFileSync(config, 'set -g history-limit 50000\nset -g status off\n')
    const pane = new TmuxPane(socket, config)
    const env = Object.entries(options.env).map(([k, v]) => `${k}=${v}`)
    // the command's own arguments go in as sh's positional parameters: no quoting to get wrong
    const script = '"$@"; echo "exited $?"; exec sleep 3600'
    await run('tmux', ['-S', socket, '-f', config, 'new-session', '-d', '-x', String(options.width ?? 120), '-y', String(options.height ?? 30), '-c', options.cwd,
      'env', '-u', 'MESHFLOW_MESH', '-u', 'MESHFLOW_DEBUG', ...env, 'sh', '-c', script, 'sh', ...argv])
    return pane
  }

  async #tmux (...args: string[]): Promise<string> {
    const { stdout } = await run('tmux', ['-S', this.#socket, '-f', this.#config, ...args])
    return stdout
  }

  /** Types `text` literally (no Enter). */
  async type (text: string): Promise<void> {
    // tmux reads an argument ending in ';' as the end of a command: escape it
    await this.#tmux('send-keys', '-t', '=0:', '-l', text.endsWith(';') ? text.slice(0, -1) + '\\;' : text)
  }

  /** Presses keys by tmux name: `Enter`, `C-c`, `C-d`. */
  async press (...keys: string[]): Promise<void> {
    await this.#tmux('send-keys', '-t', '=0:', ...keys)
  }

  /** Types `text` and presses Enter. */
  async enter (text: string): Promise<void> {
    await this.type(text)
    await this.press('Enter')
  }

  /** The visible screen, trailing blank lines removed. */
  async screen (): Promise<string> {
    return trimEnd(await this.#tmux('capture-pane', '-p', '-t', '=0:'))
  }

  /** The scrollback and the screen, trailing blank lines removed. */
  async everything (): Promise<string> {
    return trimEnd(await this.#tmux('capture-pane', '-p', '-S', '-', '-t', '=0:'))
  }

  /** The cursor's row on the screen (0 at the top). */
  async cursorRow (): Promise<number> {
    return Number((await this.#tmux('display-message', '-p', '-t', '=0:', '#{cursor_y}')).trim())
  }

  /**
   * Polls `everything()` (or `screen()`) until `test` accepts it; rejects with what was
   * shown when the deadline passes.
   */
  async waitFor (test: (text: string) => boolean, what: string, options: { screen?: boolean, deadlineMs?: number } = {}): Promise<string> {
    const deadline = Date.now() + (options.deadlineMs ?? DEADLINE_MS)
    let text = ''
    for (;;) {
      text = options.screen === true ? await this.screen() : await this.everything()
      if (test(text)) return text
      if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}; the pane shows:\n${text}`)
      await new Promise(resolve => setTimeout(resolve, 100))
    }
  }

  /** Kills the tmux server and everything in it. Safe to call twice. */
  async close (): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await this.#tmux('kill-server').catch(() => {})
    await rm(this.#socket, { force: true })
    await rm(this.#config, { force: true })
  }
}

function trimEnd (text: string): string {
  return text.replace(/\s+$/, '')
}
