/**
 * How tests reach the external systems started by the scripts in this folder (README.md):
 * the endpoint of each, a check that it answers (failing with the line that names the script
 * to start it — never a silent skip), and a real outage (SIGSTOP of the server process).
 *
 * @example
 * const brokers = [await requireService('kafka')]
 * await withOutage('kafka', 4_000, async () => { ... })
 */
import { readFileSync } from 'node:fs'
import { connect } from 'node:net'
import { join } from 'node:path'

/** The services the scripts in this folder start. */
export type ServiceName = 'kafka' | 'rabbitmq' | 'kinesis'

interface ServiceInfo {
  readonly label: string
  /** What clients are given: broker list, AMQP URL, HTTP endpoint. */
  readonly endpoint: string
  readonly host: string
  readonly port: number
}

const DEFAULTS: Record<ServiceName, { label: string, env: string, endpoint: string }> = {
  kafka: { label: 'Kafka', env: 'MESHFLOW_KAFKA_BROKERS', endpoint: '127.0.0.1:39092' },
  rabbitmq: { label: 'RabbitMQ', env: 'MESHFLOW_RABBITMQ_URL', endpoint: 'amqp://127.0.0.1:35672' },
  kinesis: { label: 'Kinesis (kinesalite)', env: 'MESHFLOW_KINESIS_ENDPOINT', endpoint: 'http://127.0.0.1:34567' }
}

/** The folder holding each service's data, log and pid (`$MESHFLOW_SERVICES_DIR`). */
export function servicesDir (): string {
  return process.env.MESHFLOW_SERVICES_DIR ?? '/tmp/meshflow-services'
}

/** Where `name` is expected (its environment variable, else the scripts' default). */
export function serviceInfo (name: ServiceName): ServiceInfo {
  const d = DEFAULTS[name]
  const endpoint = process.env[d.env] ?? d.endpoint
  const m = /^(?:[a-z]+:\/\/)?(?:[^@/]*@)?([^:/,]+):(\d+)/.exec(endpoint)
  if (m === null) throw new Error(`${d.env}=${endpoint} does not name host:port`)
  return { label: d.label, endpoint, host: m[1]!, port: Number(m[2]) }
}

function answers (host: string, port: number): Promise<boolean> {
  return new Promise(resolve => {
    const socket = connect({ host, port })
    const done = (ok: boolean): void => { socket.destroy(); resolve(ok) }
    socket.setTimeout(2_000, () => done(false))
    socket.once('connect', () => done(true))
    socket.once('error', () => done(false))
  })
}

/**
 * The endpoint of `name` once it accepts connections. Waits up to `waitMs` (a service that
 * `npm test` started in the background may still be coming up), then throws naming the
 * script that starts it.
 */
export async function requireService (name: ServiceName, waitMs = Number(process.env.MESHFLOW_SERVICE_WAIT_MS ?? 180_000)): Promise<string> {
  const info = serviceInfo(name)
  const deadline = Date.now() + waitMs
  for (;;) {
    if (await answers(info.host, info.port)) return info.endpoint
    if (Date.now() > deadline) {
      throw new Error(`${info.label} is not running at ${info.endpoint}: start it with test/services/${name}.sh start (or set ${DEFAULTS[name].env})`)
    }
    await new Promise(resolve => setTimeout(resolve, 250))
  }
}

/** The pid of the server process of `name`, from the file its script wrote. */
export function servicePid (name: ServiceName): number {
  const file = join(servicesDir(), name, 'pid')
  let pid: number
  try {
    pid = Number(readFileSync(file, 'utf8').trim())
  } catch (err) {
    throw new Error(`No pid file ${file}: was ${name} started by test/services/${name}.sh?`, { cause: err })
  }
  if (!Number.isInteger(pid) || pid <= 0) throw new Error(`The pid file ${file} holds no pid`)
  return pid
}

/**
 * Makes `name` unreachable for `ms` (its server process is stopped with SIGSTOP: connections
 * stay open but nothing answers, as on a partitioned network), runs `during` meanwhile, and
 * always resumes it (SIGCONT).
 */
export async function withOutage<R> (name: ServiceName, ms: number, during: () => Promise<R> = async () => undefined as R): Promise<R> {
  const pid = servicePid(name)
  process.kill(pid, 'SIGSTOP')
  try {
    const [result] = await Promise.all([during(), new Promise(resolve => setTimeout(resolve, ms))])
    return result
  } finally {
    process.kill(pid, 'SIGCONT')
  }
}
