// Seeds a browser-host data dir the way a long-used install looks: a remembered session (session.json)
// and that account's engine store holding `messages` messages across `conversations` conversations,
// written with the engine's own store module (upsertConversations + ingest, in big transactions), so
// the tables are what the engine's ingest makes of these events. The distribution is skewed (Zipf,
// weight 1/rank): with 100 conversations the most recently active one, the one the app opens at
// launch, holds about 19% of everything (193k of 1M). With `actions` (the default), each
// conversation's history is bench:catchup's mix (bench/support/mix.ts): besides its messages (some
// replies and mentions), a quarter as many events again of reactions, edits and deletes.
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MAX_QUOTE_CHARS, type Conversation, type ConversationEvent } from '../../protocol/index.js';
import { indexPending } from '../../main/core/search/indexer.js';
import { openStore } from '../../main/core/store/index.js';
import { mixEvents, type MixEvent } from './mix.js';

export interface SeedOptions {
  dataDir: string;
  /** Where the session points; unreachable for an offline start. */
  serverUrl: string;
  messages: number;
  conversations: number;
  me?: string;
  /** Events per ingest transaction. */
  batch?: number;
  /** Reactions, edits, deletes, replies and mentions among the messages (default true). */
  actions?: boolean;
}

export interface SeedResult {
  me: string;
  accountDir: string;
  topConversationId: string;
  /** Messages in the top conversation. */
  topCount: number;
  /** Its newest seq: its newest message's, which starts `#<seq> `. */
  topLastSeq: number;
  /** Messages per conversation. */
  counts: number[];
  /** Events stored, actions included. */
  events: number;
  seconds: number;
}

const WORDS = 'the quick brown fox jumps over a lazy dog while parley keeps every message in order and on time'.split(' ');

/** Message text of varied length (one to about four lines), deterministic per seq; an edit says which. */
function bodyOf(conversation: number, seq: number, edits = 0): string {
  const words = 4 + ((seq * 7919 + conversation * 104729) % 37);
  const out: string[] = [`#${seq}`];
  for (let i = 0; i < words; i++) out.push(WORDS[(seq + i * 13 + conversation) % WORDS.length]!);
  if (edits > 0) out.push(`(edit ${edits})`);
  return out.join(' ');
}

/** Runs of a few messages from the same sender, about a third of them mine. */
const senderOf = (me: string, peers: readonly string[], seq: number) => (Math.floor(seq / 3) % 3 === 0 ? me : peers[(seq >> 2) % peers.length]!);

/** A conversation's history up to its `count`th message: messages only, or the mix. */
function* historyOf(conversation: number, count: number, me: string, peers: readonly string[], actions: boolean): Generator<MixEvent> {
  if (!actions) {
    for (let seq = 1; seq <= count; seq++) yield { type: 'message', sender: senderOf(me, peers, seq), body: bodyOf(conversation, seq) };
    return;
  }
  let messages = 0;
  const mix = mixEvents({ seed: conversation + 1, senders: [...peers, me], body: (seq, edits) => bodyOf(conversation, seq, edits), messageSender: (seq) => senderOf(me, peers, seq) });
  for (const e of mix) {
    yield e;
    if (e.type === 'message' && ++messages === count) return;
  }
}

/** A mix event as the engine receives it. */
function toEvent(e: MixEvent, conversationId: string, seq: number, serverTime: number): ConversationEvent {
  const base = { conversationId, seq, sender: e.sender, clientId: `seed-${conversationId}-${seq}`, serverTime };
  switch (e.type) {
    case 'message':
      return {
        type: 'message',
        ...base,
        body: e.body,
        ...(e.replyTo ? { replyTo: { ...e.replyTo, quote: e.replyTo.quote.slice(0, MAX_QUOTE_CHARS) } } : {}),
        ...(e.mentions ? { mentions: e.mentions } : {}),
      };
    case 'revise':
      return { type: 'revise', ...base, target: e.target, body: e.body };
    case 'delete':
      return { type: 'delete', ...base, target: e.target };
    case 'react':
      return { type: 'react', ...base, target: e.target, emoji: e.emoji, on: e.on };
  }
}

/** The account directory the bridge's session opens for this server and address (main/bridge/session.ts). */
export function accountDirOf(dataDir: string, serverUrl: string, address: string): string {
  const server = createHash('sha256').update(new URL(serverUrl).origin).digest('hex').slice(0, 16);
  return join(dataDir, 'accounts', `${server}-${address}`);
}

/** Zipf-ish split of `total` over `n` conversations, largest first, summing exactly to total. */
export function skewedCounts(total: number, n: number): number[] {
  const weights = Array.from({ length: n }, (_, i) => 1 / (i + 1));
  const sum = weights.reduce((a, b) => a + b, 0);
  const counts = weights.map((w) => Math.max(1, Math.floor((total * w) / sum)));
  let rest = total - counts.reduce((a, b) => a + b, 0);
  for (let i = 0; rest > 0; i = (i + 1) % n, rest--) counts[i]!++;
  return counts;
}

export function seedStore(options: SeedOptions): SeedResult {
  const started = performance.now();
  const me = options.me ?? 'me';
  const batch = options.batch ?? 50_000;
  const accountDir = accountDirOf(options.dataDir, options.serverUrl, me);
  mkdirSync(accountDir, { recursive: true });
  // The bridge resumes this session at launch (session.ts load()): no codec in the browser host.
  writeFileSync(join(options.dataDir, 'session.json'), JSON.stringify({ serverUrl: options.serverUrl, address: me, token: 'plu_bench_offline_token' }));

  const counts = skewedCounts(options.messages, options.conversations);
  const actions = options.actions ?? true;
  const peersOf = (i: number) => (i % 5 === 4 ? [`peer${i}`, `peer${i}b`, `peer${i}c`] : [`peer${i}`]);
  // Each conversation's last seq, its messages and their actions counted (a first pass of the history).
  const lastSeqs = counts.map((count, i) => {
    let n = 0;
    for (const _ of historyOf(i, count, me, peersOf(i), actions)) n++;
    return n;
  });
  const now = Date.now();
  const store = openStore(accountDir);
  try {
    store.init();
    store.setMe(me);
    store.prefs.setMeta('deviceId', 'bench-device');
    // Conversation i was last active i minutes ago: conversation 0 is on top.
    const conversations: Conversation[] = lastSeqs.map((last, i) => {
      const group = i % 5 === 4;
      return {
        id: `c${String(i).padStart(4, '0')}`,
        type: group ? 'group' : 'direct',
        title: group ? `Group ${i}` : null,
        participants: [
          { address: me, role: 'admin', deliveredSeq: last, readSeq: Math.max(0, last - (i % 7)) },
          // Others are a few behind on my last messages, so ticks show sent, delivered and read.
          ...peersOf(i).map((address) => ({ address, role: 'member' as const, deliveredSeq: Math.max(0, last - 2), readSeq: Math.max(0, last - 4) })),
        ],
        lastSeq: last,
        lastActivity: now - i * 60_000,
        createdAt: now - 400 * 86_400_000,
      };
    });
    store.upsertConversations(conversations);

    let pending: ConversationEvent[] = [];
    const flush = () => {
      if (pending.length) store.ingest(pending, false);
      pending = [];
    };
    counts.forEach((count, i) => {
      const conversation = conversations[i]!;
      const last = lastSeqs[i]!;
      // Spread the history over the year before the conversation's last activity, newest last.
      const step = Math.max(1, Math.floor((365 * 86_400_000) / last));
      let seq = 0;
      for (const e of historyOf(i, count, me, peersOf(i), actions)) {
        seq++;
        pending.push(toEvent(e, conversation.id, seq, conversation.lastActivity - (last - seq) * step));
        if (pending.length >= batch) flush();
      }
    });
    flush();
    // A long-used install has its search index built.
    while (indexPending(store, batch) > 0);
  } finally {
    store.close();
  }
  return {
    me,
    accountDir,
    topConversationId: 'c0000',
    topCount: counts[0]!,
    topLastSeq: lastSeqs[0]!,
    counts,
    events: lastSeqs.reduce((a, b) => a + b, 0),
    seconds: (performance.now() - started) / 1000,
  };
}
