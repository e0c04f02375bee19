// Runs kinesalite (the Kinesis emulator) bound to 127.0.0.1 for the tests: started by
// kinesis.sh. Arguments: <port> <data folder> <pid file>. Streams are created, updated and deleted in
// 50 ms (500 by default) and an account may hold 500 shards (10), so tests that make fresh
// streams and reshard them do not wait or hit the limit.
'use strict'
const kinesalite = require('kinesalite')
const port = Number(process.argv[2] ?? 34567)
const path = process.argv[3]
const pidFile = process.argv[4]
const server = kinesalite({
  ...(path === undefined ? {} : { path }),
  createStreamMs: 50,
  deleteStreamMs: 50,
  updateStreamMs: 50,
  shardLimit: 500
})
server.listen(port, '127.0.0.1', () => {
  const a = server.address()
  if (pidFile !== undefined) require('node:fs').writeFileSync(pidFile, `${process.pid}\n`)
  process.stdout.write(`kinesalite listening at http://${a.address}:${a.port}\n`)
})
server.on('error', err => {
  process.stderr.write(`kinesalite failed: ${err.stack ?? err}\n`)
  process.exit(1)
})
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => { server.close(); process.exit(0) })
