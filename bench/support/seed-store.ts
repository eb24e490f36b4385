// Seeds a browser-host data dir the way a long-used install looks: a remembered session (session.json)
// and that account's engine store holding `messages` events across `conversations` conversations,
// written with the engine's own store module (upsertConversations + ingest, in big transactions).
// The distribution is skewed (Zipf, weight 1/rank): with 100 conversations the most recently active
// one, the one the app opens at launch, holds about 19% of everything (193k of 1M).
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Conversation, ConversationEvent } from '../../protocol/index.js';
import { indexPending } from '../../main/core/search/indexer.js';
import { openStore } from '../../main/core/store/index.js';
import { isAction, seedAction } from './action-mix.js';

export interface SeedOptions {
  dataDir: string;
  /** Where the session points; unreachable for an offline start. */
  serverUrl: string;
  messages: number;
  conversations: number;
  me?: string;
  /** Events per ingest transaction. */
  batch?: number;
  /** One event in this many is an action on the message before it (edit, reaction, delete: bench/support/action-mix.ts); 0 for none. */
  actionEvery?: number;
}

export interface SeedResult {
  me: string;
  accountDir: string;
  topConversationId: string;
  topCount: number;
  counts: number[];
  seconds: number;
}

const WORDS = 'the quick brown fox jumps over a lazy dog while parley keeps every message in order and on time'.split(' ');

/** Message text of varied length (one to about four lines), deterministic per seq. */
function bodyOf(conversation: number, seq: number): string {
  const words = 4 + ((seq * 7919 + conversation * 104729) % 37);
  const out: string[] = [`#${seq}`];
  for (let i = 0; i < words; i++) out.push(WORDS[(seq + i * 13 + conversation) % WORDS.length]!);
  return out.join(' ');
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
  const now = Date.now();
  const store = openStore(accountDir);
  try {
    store.init();
    store.setMe(me);
    store.prefs.setMeta('deviceId', 'bench-device');
    // Conversation i was last active i minutes ago: conversation 0 is on top.
    const conversations: Conversation[] = counts.map((count, i) => {
      const group = i % 5 === 4;
      const peers = group ? [`peer${i}`, `peer${i}b`, `peer${i}c`] : [`peer${i}`];
      return {
        id: `c${String(i).padStart(4, '0')}`,
        type: group ? 'group' : 'direct',
        title: group ? `Group ${i}` : null,
        participants: [
          { address: me, role: 'admin', deliveredSeq: count, readSeq: Math.max(0, count - (i % 7)) },
          // Others are a few behind on my last messages, so ticks show sent, delivered and read.
          ...peers.map((address) => ({ address, role: 'member' as const, deliveredSeq: Math.max(0, count - 2), readSeq: Math.max(0, count - 4) })),
        ],
        lastSeq: count,
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
      const peers = conversation.participants.filter((p) => p.address !== me).map((p) => p.address);
      // Spread the history over the year before the conversation's last activity, newest last.
      const step = Math.max(1, Math.floor((365 * 86_400_000) / count));
      const every = options.actionEvery ?? 0;
      let last: { seq: number; sender: string } | null = null;
      for (let seq = 1; seq <= count; seq++) {
        // Runs of a few messages from the same sender, about a third of them mine.
        const run = Math.floor(seq / 3) % 3;
        const sender = run === 0 ? me : peers[(seq >> 2) % peers.length]!;
        const base = { conversationId: conversation.id, seq, clientId: `seed-${i}-${seq}`, serverTime: conversation.lastActivity - (count - seq) * step };
        // The newest event stays a message: the launch shows it at the bottom.
        if (last && seq < count && isAction(seq - 1, every)) {
          const change = seedAction(Math.floor((seq - 1) / every), seq);
          const target = last.seq;
          pending.push(
            change.type === 'revise'
              ? { type: 'revise', ...base, sender: last.sender, target, body: `#${target} ${change.body}` }
              : change.type === 'react'
                ? { type: 'react', ...base, sender: peers[seq % peers.length]!, target, emoji: change.emoji, on: change.on }
                : { type: 'delete', ...base, sender: last.sender, target },
          );
        } else {
          pending.push({ type: 'message', ...base, sender, body: bodyOf(i, seq) });
          last = { seq, sender };
        }
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
    counts,
    seconds: (performance.now() - started) / 1000,
  };
}
