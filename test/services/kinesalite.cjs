// Runs kinesalite (the Kinesis emulator) bound to 127.0.0.1 for the tests: started by
// kinesis.sh. Arguments: <port> <data folder> <pid file>. Streams are created, updated and deleted in
// 50 ms (500 by default) and an account may hold 500 shards (10), so tests that make fresh
// streams and reshard them do not wait or hit the limit.
'use strict'
patchAtTimestamp()
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

/**
 * kinesalite 3.3.3 never answers GetShardIterator AT_TIMESTAMP when no record of the shard
 * arrived at or after the timestamp (its scan ends without calling back): the request
 * hangs. Kinesis answers an iterator at the shard's tip. The patched action looks first,
 * holding the stream's lock (which PutRecords takes, so no record slips in between), and
 * answers LATEST when nothing is that recent.
 */
function patchAtTimestamp () {
  const path = require.resolve('kinesalite/actions/getShardIterator')
  const original = require(path)
  const db = require('kinesalite/db')
  require.cache[path].exports = function getShardIterator (store, data, cb) {
    if (data.ShardIteratorType !== 'AT_TIMESTAMP' || data.Timestamp == null) return original(store, data, cb)
    let shardIx
    try {
      shardIx = db.resolveShardId(data.ShardId).shardIx
    } catch {
      return original(store, data, cb)
    }
    store.metaDb.lock(data.StreamName, release => {
      const done = release(cb)
      let found = false
      db.lazy(store.getStreamDb(data.StreamName).createReadStream({ gt: db.shardIxToHex(shardIx), lt: db.shardIxToHex(shardIx + 1) }), done)
        .filter(item => item.value.ApproximateArrivalTimestamp >= data.Timestamp)
        .take(1)
        .join(items => {
          found = items.length > 0
          if (found) return original(store, data, done)
          const { Timestamp, ...latest } = data
          return original(store, { ...latest, ShardIteratorType: 'LATEST' }, done)
        })
    })
  }
}
