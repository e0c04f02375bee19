/**
 * `meshflow node --api PORT`: a tiny HTTP endpoint on 127.0.0.1 (never on other interfaces:
 * it has no authentication) for scripts and health checks that do not speak libp2p.
 *
 *   GET /status   200, the JSON of `meshflow status --json` as this peer sees the mesh
 *
 * Anything else answers 404 (or 405 for another method) with `{ "error": "..." }`.
 *
 * @example
 * const api = await startApiServer(8080, () => statusJson(peer.status()))
 * // curl http://127.0.0.1:8080/status
 * await api.close()
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { errorMessage } from '../../protocol/error-message.ts'

export interface ApiServer {
  /** `http://127.0.0.1:PORT` */
  readonly url: string
  close(): Promise<void>
}

function reply (res: ServerResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body) + '\n'
  res.writeHead(code, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) })
  res.end(text)
}

/** Listens on 127.0.0.1:`port`; rejects when the port cannot be bound. */
export async function startApiServer (port: number, status: () => unknown): Promise<ApiServer> {
  const { createServer } = await import('node:http')
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname
    if (path !== '/status') return reply(res, 404, { error: `No such endpoint ${path} (try GET /status)` })
    if (req.method !== 'GET' && req.method !== 'HEAD') return reply(res, 405, { error: `${req.method ?? '?'} is not allowed on /status (use GET)` })
    try {
      reply(res, 200, status())
    } catch (err) {
      reply(res, 500, { error: errorMessage(err) })
    }
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject)
      resolve()
    })
  })
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      server.closeAllConnections()
      await new Promise<void>(resolve => { server.close(() => { resolve() }) })
    }
  }
}
