// The fault suite (issue 12, `npm run test:faults`, not part of `vitest run`): engines in child
// processes send without pause into direct and group conversations while the server is SIGKILLed and
// restarted on the same data dir and port, links are cut by a TCP proxy (FIN, RST, and after the
// server's reply to a request was swallowed) and engines are SIGKILLed mid-burst and reopened on
// their data dir. Once everything is healed and idle, the server's database and every engine's store
// must agree: every message an engine wrote (and so every one it called sent) is on the server exactly
// once, in the conversation and at the seq its engine was told, nothing is doubled, seqs have no gaps,
// every outbox is empty, every engine holds every event of its conversations, and no process exited
// but those the suite killed.
//
// The fault schedule and the senders' choices come from one seed, printed first; replay a run with
// FAULTS_SEED=<seed> npm run test:faults (timing still varies: the seed fixes what, not when). A
// failed run keeps its folder (data dirs and each engine's log) and prints where; FAULTS_KEEP=1 keeps
// it always.
import Database from 'better-sqlite3';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { forkServer, startServerProcess, type ChildServer, type ServerProcess } from '../../bench/support/server-process.js';
import type { EngineState } from './engine-child.js';
import { startProxy, type Proxy } from './proxy.js';
import { prng } from '../../bench/support/load.js';
import { until } from '../support/harness.js';

const SEED = Number(process.env.FAULTS_SEED ?? Math.floor(Math.random() * 2 ** 31));
const USERS = ['ann', 'ben', 'cat', 'dan'] as const;
type User = (typeof USERS)[number];
const GROUPS: User[][] = [['ann', 'ben', 'cat', 'dan'], ['ann', 'cat', 'dan']];
/** Created by the first, over their engines, before the faults start. */
const DIRECTS: Array<[User, User]> = [['ann', 'ben'], ['cat', 'dan'], ['ben', 'dan']];
/** How many of each fault one run injects, in a seeded order. */
const FAULT_COUNTS = { serverKill: 5, cut: 6, reset: 4, swallow: 5, engineKill: 5 } as const;
type FaultKind = keyof typeof FAULT_COUNTS;
/** Messages acknowledged between two faults: the system healed and moved on before the next one. */
const PROGRESS_BETWEEN_FAULTS = 25;
const PROGRESS_TIMEOUT_MS = 45_000;
const HEAL_TIMEOUT_MS = 90_000;

/** The suite's own lines (seed, schedule, counts, problems): what a person replaying a run needs. */
const report = (line: string) => void process.stdout.write(`${line}\n`);
/**
 * Pacing of the scenario only (seeded: when a sender sends next, when a fault strikes): no assertion
 * follows a pause; every check waits for a signal (acknowledgements, idle engines, drained outboxes).
 */
const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));



interface Engine {
  user: User;
  token: string;
  dataDir: string;
  logFile: string;
  proxy: Proxy;
  proc: ChildServer | null;
  conversations: string[];
  /** Set by an engine kill: SIGKILL after this many more of its messages are written. */
  killAfterWritten: number | null;
  killed: (() => void) | null;
  starts: number;
}

interface Exit {
  who: string;
  code: number | null;
  signal: NodeJS.Signals | null;
}

const runDir = mkdtempSync(join(tmpdir(), 'parley-faults-'));
/** FAULTS_KEEP=1 keeps the run's folder (data dirs, engine logs) even when the run passed. */
let keepRunDir = process.env.FAULTS_KEEP === '1';
/** Every process and proxy this run started: whatever a failed run left running ends here. */
const started: Array<ChildServer['child']> = [];
const proxies: Proxy[] = [];
afterAll(async () => {
  for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await Promise.all(proxies.map((p) => p.close()));
  if (keepRunDir) report(`fault suite: run dir kept for a look: ${runDir}`);
  else rmSync(runDir, { recursive: true, force: true });
});

it(`loses and doubles nothing under server kills, cut links and engine kills (seed ${SEED})`, async () => {
  report(`fault suite: seed ${SEED} (replay: FAULTS_SEED=${SEED} npm run test:faults)`);
  const startedAt = Date.now();
  const random = prng(SEED);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;

  // ---- what the processes report, and how they ended ----
  const written = new Map<string, string>(); // message id → conversationId
  const acked = new Map<string, { conversationId: string; seq: number }>();
  const ackConflicts: string[] = [];
  const failed: string[] = [];
  const expectedExits = new Set<ChildServer['child']>();
  const unexpectedExits: Exit[] = [];
  const cleanExits: Exit[] = [];
  let closing = false;
  const watch = (who: string, proc: ChildServer) => {
    started.push(proc.child);
    proc.child.on('exit', (code, signal) => {
      const exit = { who, code, signal };
      if (expectedExits.has(proc.child)) return;
      if (code === 0 && closing) cleanExits.push(exit);
      else unexpectedExits.push(exit);
    });
  };

  // ---- the server ----
  const serverDir = join(runDir, 'server');
  let server: ServerProcess = await startServerProcess(serverDir);
  const port = Number(new URL(server.url).port);
  watch('server', server);
  const api = server.api.bind(server);
  const tokens = {} as Record<User, string>;
  for (const user of USERS) {
    await api('POST', '/users', { address: user, name: user });
    tokens[user] = (await api<{ token: string }>('POST', `/users/${user}/tokens`, {})).token;
  }
  const conversationsOf = new Map<User, string[]>(USERS.map((u) => [u, []]));
  for (const [g, members] of GROUPS.entries()) {
    const { group } = await api<{ group: { id: string } }>('POST', '/groups', { name: `Group ${g}`, members });
    for (const member of members) conversationsOf.get(member)!.push(group.id);
  }

  // ---- the engines, each behind its own proxy ----
  const engineScript = new URL('./engine-child.ts', import.meta.url).href;
  const engines: Engine[] = [];
  for (const user of USERS) {
    const dataDir = join(runDir, user);
    mkdirSync(dataDir);
    const proxy = await startProxy(port);
    proxies.push(proxy);
    engines.push({
      user,
      token: tokens[user],
      dataDir,
      logFile: join(runDir, `${user}.log`),
      proxy,
      proc: null,
      conversations: conversationsOf.get(user)!,
      killAfterWritten: null,
      killed: null,
      starts: 0,
    });
  }
  const engineOf = (user: User) => engines.find((e) => e.user === user)!;

  async function open(engine: Engine): Promise<ChildServer> {
    const proc = await forkServer(engineScript, [engine.dataDir, engine.proxy.url, engine.token, engine.logFile]);
    engine.starts++;
    watch(`engine ${engine.user} (start ${engine.starts})`, proc);
    proc.child.on('message', (m: { type?: string; id?: string; conversationId?: string; seq?: number; error?: string }) => {
      if (m.type === 'written') {
        written.set(m.id!, m.conversationId!);
        if (engine.killAfterWritten !== null && --engine.killAfterWritten <= 0) {
          engine.killAfterWritten = null;
          expectedExits.add(proc.child);
          proc.child.kill('SIGKILL');
          engine.killed?.();
        }
      } else if (m.type === 'sent') {
        const before = acked.get(m.id!);
        if (before && (before.seq !== m.seq || before.conversationId !== m.conversationId)) {
          ackConflicts.push(`${m.id}: sent as ${before.conversationId}#${before.seq}, then as ${m.conversationId}#${m.seq}`);
        }
        acked.set(m.id!, { conversationId: m.conversationId!, seq: m.seq! });
      } else if (m.type === 'failed') {
        failed.push(`${m.id}: ${m.error}`);
      }
    });
    engine.proc = proc;
    return proc;
  }
  for (const engine of engines) await open(engine);
  for (const [from, to] of DIRECTS) {
    const id = await engineOf(from).proc!.call<string>('createDirect', { peer: to });
    conversationsOf.get(from)!.push(id);
    conversationsOf.get(to)!.push(id);
  }
  const allConversations = [...new Set([...conversationsOf.values()].flat())];

  // ---- the server's database, read beside the running server (WAL) ----
  const serverDb = () => new Database(join(serverDir, 'parley.db'), { readonly: true, fileMustExist: true });
  function serverLastSeqs(): Map<string, number> {
    const db = serverDb();
    try {
      const rows = db.prepare('SELECT id, last_seq AS last FROM conversations').all() as Array<{ id: string; last: number }>;
      return new Map(rows.map((r) => [r.id, r.last]));
    } finally {
      db.close();
    }
  }

  /** Every engine online, idle, its outbox empty and every conversation of its stored up to the server's last seq. */
  let lastStates: string = '';
  async function settled(): Promise<boolean> {
    if (engines.some((e) => e.proc === null)) return false;
    const states = await Promise.all(engines.map((e) => e.proc!.call<EngineState>('settle')));
    const last = serverLastSeqs();
    lastStates = JSON.stringify(states.map((s, i) => ({ user: engines[i]!.user, ...s })));
    return states.every(
      (s, i) =>
        s.online &&
        s.outbox === 0 &&
        conversationsOf.get(engines[i]!.user)!.every((c) => s.conversations[c]?.[0] === last.get(c) && s.conversations[c]?.[1] === last.get(c)),
    );
  }
  await until(settled, 'every engine to know every conversation', HEAL_TIMEOUT_MS, () => lastStates);

  // ---- senders: each engine writes bursts into its conversations until told to stop ----
  let sending = true;
  let bursts = 0;
  const senders = engines.map(async (engine, n) => {
    const choose = prng(SEED + 1 + n);
    while (sending) {
      const proc = engine.proc;
      if (proc) {
        const conversationId = engine.conversations[Math.floor(choose() * engine.conversations.length)]!;
        const count = 1 + Math.floor(choose() * 6);
        bursts++;
        // A burst cut short by a kill rejects; the messages it wrote are already reported.
        await proc.call('burst', { conversationId, count, tag: `${engine.user}/${bursts}` }).catch(() => {});
      }
      await pause(40 + Math.floor(choose() * 160));
    }
  });

  // ---- the faults, in a seeded order, each after the system made progress since the last ----
  const schedule: FaultKind[] = (Object.entries(FAULT_COUNTS) as Array<[FaultKind, number]>).flatMap(([kind, n]) => Array<FaultKind>(n).fill(kind));
  for (let i = schedule.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [schedule[i], schedule[j]] = [schedule[j]!, schedule[i]!];
  }
  report(`fault suite: schedule ${schedule.join(' ')}`);
  const injected: Record<FaultKind, number> = { serverKill: 0, cut: 0, reset: 0, swallow: 0, engineKill: 0 };
  let linksCut = 0;
  try {
    for (const kind of schedule) {
      const before = acked.size;
      await until(() => acked.size >= before + PROGRESS_BETWEEN_FAULTS, `${PROGRESS_BETWEEN_FAULTS} messages sent before the ${kind}`, PROGRESS_TIMEOUT_MS, () => `(${acked.size - before} sent)`);
      await pause(Math.floor(random() * 1500));
      switch (kind) {
        case 'serverKill': {
          const gone = new Promise((resolve) => server.child.once('exit', resolve));
          expectedExits.add(server.child);
          server.child.kill('SIGKILL');
          await gone;
          await pause(Math.floor(random() * 1500));
          server = await startServerProcess(serverDir, { port });
          watch('server', server);
          break;
        }
        case 'cut':
        case 'reset':
          linksCut += pick(engines).proxy.cut(kind === 'reset');
          break;
        case 'swallow':
          linksCut += await pick(engines).proxy.swallowThenCut(3000);
          break;
        case 'engineKill': {
          const engine = pick(engines);
          await new Promise<void>((resolve) => {
            engine.killed = resolve;
            engine.killAfterWritten = 1 + Math.floor(random() * 4);
          });
          engine.killed = null;
          const proc = engine.proc!;
          engine.proc = null;
          if (proc.child.exitCode === null && proc.child.signalCode === null) await new Promise((resolve) => proc.child.once('exit', resolve));
          await pause(Math.floor(random() * 800));
          await open(engine);
          break;
        }
      }
      injected[kind]++;
    }
  } finally {
    sending = false;
    await Promise.all(senders);
  }
  const faultSeconds = (Date.now() - startedAt) / 1000;

  // ---- healed and idle: then everything must agree ----
  await until(settled, 'every engine online, idle, its outbox empty and caught up', HEAL_TIMEOUT_MS, () => lastStates);
  closing = true;
  for (const engine of engines) await engine.proc!.stop();
  await server.stop();
  for (const engine of engines) await engine.proxy.close();

  const sdb = serverDb();
  const events = sdb
    .prepare('SELECT conversation_id AS c, seq, type, sender, client_id AS clientId, body FROM events ORDER BY conversation_id, seq')
    .all() as Array<{ c: string; seq: number; type: string; sender: string | null; clientId: string | null; body: string }>;
  const lastSeq = new Map((sdb.prepare('SELECT id, last_seq AS last FROM conversations').all() as Array<{ id: string; last: number }>).map((r) => [r.id, r.last]));
  sdb.close();

  const problems: string[] = [];
  // Seqs gap-free per conversation, and the conversation's last seq is its last event.
  const seqsOf = new Map<string, number[]>();
  for (const e of events) seqsOf.set(e.c, [...(seqsOf.get(e.c) ?? []), e.seq]);
  for (const [c, last] of lastSeq) {
    const seqs = seqsOf.get(c) ?? [];
    if (seqs.length !== last || seqs.some((s, i) => s !== i + 1)) problems.push(`conversation ${c}: seqs are not 1..${last} (${seqs.length} events)`);
  }
  // Nothing doubled: one event per sender and clientId.
  const onServer = new Map<string, { c: string; seq: number; n: number }>();
  for (const e of events) {
    if (e.type !== 'message' || e.clientId === null) continue;
    const id = `${e.sender}:${e.clientId}`;
    const seen = onServer.get(id);
    if (seen) seen.n++;
    else onServer.set(id, { c: e.c, seq: e.seq, n: 1 });
  }
  for (const [id, { n }] of onServer) if (n > 1) problems.push(`${id} is on the server ${n} times`);
  // Nothing written lost; everything sent where and as its engine was told.
  for (const [id, c] of written) {
    const got = onServer.get(id);
    if (!got) problems.push(`${id} was written${acked.has(id) ? ' and sent' : ''} but is not on the server`);
    else if (got.c !== c) problems.push(`${id} was written to ${c} but is in ${got.c}`);
  }
  for (const [id, ack] of acked) {
    const got = onServer.get(id);
    if (got && got.seq !== ack.seq) problems.push(`${id} was sent as seq ${ack.seq} but the server has it at ${got.seq}`);
  }
  problems.push(...ackConflicts, ...failed.map((f) => `failed: ${f}`));
  // Every engine: an empty outbox, and exactly the server's events of each of its conversations.
  for (const engine of engines) {
    const db = new Database(join(engine.dataDir, 'parley-client.db'), { readonly: true, fileMustExist: true });
    const outbox = (db.prepare('SELECT count(*) AS n FROM outbox WHERE sent_at IS NULL').get() as { n: number }).n;
    if (outbox > 0) problems.push(`${engine.user}: ${outbox} messages left in the outbox`);
    for (const c of conversationsOf.get(engine.user)!) {
      const mine = db.prepare('SELECT seq, sender, client_id AS clientId, body FROM messages WHERE conversation_id = ? ORDER BY seq').all(c) as Array<{ seq: number; sender: string; clientId: string | null; body: string }>;
      const theirs = events.filter((e) => e.c === c);
      const differ = theirs.filter((e, i) => mine[i]?.seq !== e.seq || (e.type === 'message' && (mine[i]?.clientId !== e.clientId || mine[i]?.body !== e.body)));
      if (mine.length !== theirs.length || differ.length > 0) {
        problems.push(`${engine.user}: conversation ${c} holds ${mine.length} events, the server ${theirs.length}; first difference at seq ${differ[0]?.seq ?? '-'}`);
      }
    }
    db.close();
  }
  // No process ended but those the suite killed, and every close was clean.
  for (const exit of unexpectedExits) problems.push(`${exit.who} exited unexpectedly (code ${exit.code}, signal ${exit.signal})`);

  const messages = onServer.size;
  // Written by an engine that was killed before it could say so: on the server all the same.
  const unreported = [...onServer.keys()].filter((id) => !written.has(id)).length;
  const faults = Object.values(injected).reduce((a, b) => a + b, 0);
  report(
    `fault suite: ${faults} faults injected (${injected.serverKill} server SIGKILLs, ${injected.cut} link cuts (FIN), ${injected.reset} (RST), ` +
      `${injected.swallow} swallow-then-cut, ${injected.engineKill} engine SIGKILLs mid-burst; ${linksCut} connections cut, ` +
      `${engines.reduce((n, e) => n + e.proxy.stats.cutAfterReply, 0)} of them right after a request went up and its reply was swallowed) ` +
      `in ${faultSeconds.toFixed(0)} s; ${written.size} messages written in ${bursts} bursts, ${acked.size} acknowledged, ${messages} on the server ` +
      `(${unreported} written by an engine killed before it reported them) ` +
      `in ${allConversations.length} conversations, ${events.length} events; ${engines.reduce((n, e) => n + e.starts, 0)} engine starts, ` +
      `${cleanExits.length} clean exits; ${problems.length} problems; ${((Date.now() - startedAt) / 1000).toFixed(0)} s in all`,
  );
  if (problems.length > 0) {
    keepRunDir = true;
    report(`fault suite: problems (seed ${SEED}):\n  ${problems.slice(0, 50).join('\n  ')}`);
  }
  expect(problems).toEqual([]);
  expect(cleanExits).toHaveLength(engines.length + 1);
});
