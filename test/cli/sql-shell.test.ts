/**
 * `meshflow sql` with no query: the interactive shell, driven through a pseudo-terminal
 * (tmux) as a user would, on an embedded data dir holding two datasets.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runCli, BIN } from './spawn-cli.ts'
import { TmuxPane } from './tmux-pane.ts'

const test = suite('meshflow sql shell (tmux)')

const PROMPT = 'meshflow>'
const LONG_QUERY = 'SELECT COUNT(*) AS n FROM big a JOIN big b ON a.k = b.k JOIN big c ON b.k = c.k;'

let dir = ''
let pane: TmuxPane | undefined
/** Lines of the pane before the current step (the step's output starts at the prompt line). */
let mark = 0

async function importCsv (name: string, text: string): Promise<void> {
  await writeFile(join(dir, `${name}.csv`), text)
  const r = await runCli(['dataset', 'import', name, `${name}.csv`, '--format', 'csv'], { MESHFLOW_DATA_DIR: join(dir, 'data') }, dir)
  assert.is(r.code, 0, r.stderr)
}

async function startShell (): Promise<TmuxPane> {
  const p = await TmuxPane.start([process.execPath, BIN, 'sql'], {
    cwd: dir,
    env: { MESHFLOW_DATA_DIR: join(dir, 'data'), MESHFLOW_SQL_HISTORY: join(dir, 'history') }
  })
  await p.waitFor(t => t.includes("statements end with ';'") && t.trimEnd().endsWith(PROMPT), 'the banner and the prompt')
  return p
}

/** What the pane shows from the prompt line of the current step on. */
function sinceMark (text: string): string {
  return text.split('\n').slice(mark).join('\n')
}

/** Starts a step: its output is what comes after the current prompt line. */
async function step (): Promise<void> {
  mark = Math.max(0, (await pane!.everything()).split('\n').length - 1)
}

/** Waits until the step's output holds every one of `texts` and ends at an empty prompt. */
async function untilPrompt (what: string, ...texts: string[]): Promise<string> {
  const text = await pane!.waitFor(t => {
    const s = sinceMark(t)
    return texts.every(x => s.includes(x)) && s.split('\n').at(-1) === PROMPT
  }, what)
  return sinceMark(text)
}

test.before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'meshflow-sql-shell-'))
  await importCsv('t', 'id,name,amount\n1,plain,1.5\n2,other,\n3,third,-2\n')
  let big = 'id,k\n'
  for (let i = 0; i < 3000; i++) big += `${i},${i % 10}\n`
  await importCsv('big', big)
  pane = await startShell()
})

test.after(async () => {
  await pane?.close()
  await rm(dir, { recursive: true, force: true })
})

test('SqlShell runs a query and prints a table with the row count and time', async () => {
  await step()
  await pane!.enter('SELECT id, name, amount FROM t ORDER BY id;')
  const out = await untilPrompt('the rows', '3 rows (')
  assert.match(out, /^meshflow> SELECT id, name, amount FROM t ORDER BY id;\nid  name   amount\n 1  plain     1\.5\n 2  other    NULL\n 3  third      -2\n3 rows \(\d+\.\d\d s\)\nmeshflow>$/, out)
})

test('SqlShell reads a statement over several lines until its ";", and runs several on one line in order', async () => {
  await step()
  await pane!.enter('SELECT name,')
  await pane!.waitFor(t => sinceMark(t).split('\n').at(-1) === '     ...>', 'the continuation prompt')
  await pane!.enter('  amount FROM t WHERE id = 1;')
  const out = await untilPrompt('the multi-line result', '1 row (')
  assert.match(out, /\n {5}\.\.\.> {3}amount FROM t WHERE id = 1;\nname   amount\nplain     1\.5\n1 row/, out)

  await step()
  await pane!.enter("SELECT 'first' AS a; SELECT 'second' AS b;")
  const both = await untilPrompt('both results', 'second\n1 row (')
  assert.ok(both.indexOf('first') < both.indexOf('second'), both)
  assert.match(both, /\na\nfirst\n1 row \(\d+\.\d\d s\)\nb\nsecond\n1 row/)
})

test('SqlShell prints EXPLAIN, SHOW TABLES and DESCRIBE', async () => {
  await step()
  await pane!.enter('EXPLAIN SELECT name FROM t WHERE amount > 1;')
  const explain = await untilPrompt('the plans', 'Physical plan:')
  assert.match(explain, /\nLogical plan:\n/)
  assert.match(explain, /Scan t@1/)
  await step()
  await pane!.enter('SHOW TABLES;')
  assert.match(await untilPrompt('the tables', '2 rows ('), /\nname\nbig\nt\n2 rows/)
  await step()
  await pane!.enter('DESCRIBE t;')
  assert.match(await untilPrompt('the columns', '3 rows ('), /\ncolumn_name {2}column_type {2}null\nid {11}DOUBLE {7}NO\n/)
})

test('SqlShell prints a SQL error with the line and a caret, and goes on', async () => {
  await step()
  await pane!.enter('SELECT amout FROM t;')
  const out = await untilPrompt('the error', 'Unknown column')
  assert.ok(out.includes("Unknown column 'amout' at 1:8 — did you mean 'amount'?\nSELECT amout FROM t\n       ^\nmeshflow>"), out)
  await step()
  await pane!.enter('SELECT 42 AS answer;')
  assert.match(await untilPrompt('the next query', '1 row ('), /\nanswer\n {4}42\n1 row/)
})

test('SqlShell pages a result longer than the terminal: a screenful, Enter for more, q to stop', async () => {
  await step()
  await pane!.enter('SELECT id FROM big ORDER BY id LIMIT 100;')
  // 30 rows: the heading and 28 rows, then the pager's prompt
  const first = await pane!.waitFor(t => t.endsWith('-- more (72 rows left): Enter for more, q to stop --'), 'the first page', { screen: true })
  const lines = first.split('\n')
  assert.is(lines.length, 30, first)
  assert.is(lines[0], 'id')
  assert.is(lines[1], ' 0')
  assert.is(lines[28], '27')
  await pane!.press('Enter')
  const second = await pane!.waitFor(t => t.endsWith('-- more (43 rows left): Enter for more, q to stop --'), 'the second page', { screen: true })
  assert.is(second.split('\n').at(-2), '56')
  await pane!.enter('q')
  const out = await untilPrompt('the end of paging', '100 rows (')
  const shown = out.split('\n')
  assert.ok(shown.includes('56') && !shown.includes('57') && !shown.includes('99'), out)
  // the pager's prompts were erased: the table reads on
  assert.not.ok(out.includes('-- more'), out)
  assert.ok(shown.indexOf('28') === shown.indexOf('27') + 1, out)
})

test('SqlShell prints the windows of a continuous query as they fire until Ctrl-C cancels it, then takes the next statement', async () => {
  await step()
  // an unbounded source: row i at event time i ms, 2000 rows a second
  await pane!.enter("CREATE TABLE ticks (n BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts) WITH ('connector' = 'datagen', 'rows-per-second' = '2000');")
  await untilPrompt('the table declared', 'ticks')
  await step()
  await pane!.enter('SELECT window_start, COUNT(*) AS n FROM TABLE(TUMBLE(TABLE ticks, DESCRIPTOR(ts), INTERVAL \'1\' SECOND)) GROUP BY window_start, window_end;')
  // windows fire while it runs: two full ones of 1000 rows (1000 ms of event time) each
  await pane!.waitFor(t => (sinceMark(t).match(/\n\s*1970-01-01 00:00:0\d(\.\d+)?\s+1000\b/g) ?? []).length >= 2, 'two windows printed')
  await pane!.press('C-c')
  const out = await untilPrompt('the end of the continuous query', 'Ctrl-C')
  assert.not.ok(out.includes('Error'), out)
  await step()
  await pane!.enter('SELECT 8 AS eight;')
  assert.match(await untilPrompt('a query after the continuous one', '1 row ('), /\neight\n {4}8\n1 row/)
})

test('SqlShell cancels a running statement on Ctrl-C (its job is cancelled) and the rest of its line, and returns to the prompt', async () => {
  await step()
  await pane!.enter(`${LONG_QUERY} SELECT 1 AS x;`)
  // once readline has taken the line (the cursor is below it), the statement runs
  const deadline = Date.now() + 90_000
  for (;;) {
    const screen = (await pane!.screen()).split('\n')
    const row = screen.findLastIndex(l => l.includes(LONG_QUERY))
    if (row >= 0 && await pane!.cursorRow() > row) break
    assert.ok(Date.now() < deadline, 'the statement was never taken')
    await new Promise(resolve => setTimeout(resolve, 100))
  }
  await pane!.press('C-c')
  const out = await untilPrompt('the cancellation', 'Cancelled')
  assert.not.ok(out.includes('270000000'), out)
  assert.not.ok(out.includes('\nx\n'), out)
  assert.not.ok(out.includes('To exit'), out)
  await step()
  await pane!.enter('SELECT 7 AS seven;')
  assert.match(await untilPrompt('a query after the cancellation', '1 row ('), /\nseven\n {4}7\n1 row/)
})

test('SqlShell clears the line on Ctrl-C at the prompt, and .help explains', async () => {
  await step()
  await pane!.type('SELECT half a thought')
  await pane!.waitFor(t => t.endsWith('SELECT half a thought'), 'the typed text')
  await pane!.press('C-c')
  const cleared = await untilPrompt('a fresh prompt')
  assert.ok(cleared.startsWith(`${PROMPT} SELECT half a thought\n${PROMPT}`), cleared)
  await step()
  await pane!.enter('.help')
  assert.match(await untilPrompt('the help', '.quit'), /Statements end with ';'/)
})

test('SqlShell leaves on .quit and keeps the history', async () => {
  await step()
  await pane!.enter('.quit')
  await pane!.waitFor(t => sinceMark(t).includes('exited 0'), 'the shell to exit')
  const history = await readFile(join(dir, 'history'), 'utf8')
  assert.ok(history.includes('SELECT 42 AS answer;\n'), history)
  assert.ok(history.includes('SELECT name,\n  amount FROM t WHERE id = 1;\n'), history)
  assert.not.ok(history.split('\n').includes('q'), history)
})

test('SqlShell quits on a second Ctrl-C at an empty prompt, and offers the history again', async () => {
  await pane!.close()
  pane = await startShell()
  // Up recalls the last line of the previous session
  await pane.press('Up')
  await pane.waitFor(t => t.endsWith(`${PROMPT} .quit`), 'the recalled line')
  await pane.press('C-u')
  await step()
  await pane.press('C-c')
  await pane.waitFor(t => sinceMark(t).includes('(To exit, press Ctrl+C again or Ctrl+D or type .quit)'), 'the hint')
  await pane.press('C-c')
  await pane.waitFor(t => sinceMark(t).includes('exited 0'), 'the shell to exit')
})

test.run()
