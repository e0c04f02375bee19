/**
 * `meshflow keygen [--out FILE]`: a new pre-shared key (swarm.key format) for a private
 * mesh, on stdout or into FILE — created with mode 0600, never overwriting a file.
 *
 * @example
 * await keygenCommand({ type: 'keygen', out: 'mesh.key' }, io)   // then: meshflow node --psk mesh.key
 */
import { writeFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import type { CliIo } from './cli-io.ts'
import type { KeygenCommand } from './command-line.ts'
import { KeygenError } from './errors.ts'

export async function keygenCommand (command: KeygenCommand, io: CliIo): Promise<number> {
  const { createPsk } = await import('../mesh/psk.ts')
  const key = createPsk()
  if (command.out === undefined) {
    io.stdout.write(key)
    return 0
  }
  try {
    // 'wx' fails when the file exists: a key in use must not be replaced by accident
    await writeFile(resolve(io.cwd, command.out), key, { flag: 'wx', mode: 0o600 })
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'EEXIST') throw new KeygenError(`Refusing to overwrite ${command.out}: the file exists (remove it first, or choose another --out)`, { cause: err })
    throw new KeygenError(`Cannot write ${command.out}: ${(err as Error).message}`, { cause: err })
  }
  io.stderr.write(`meshflow: Wrote a pre-shared key to ${command.out}; start every peer of the mesh with --psk ${command.out}\n`)
  return 0
}
