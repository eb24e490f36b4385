// Property: a random mix of messages, edits, deletes and reactions from several senders (and my
// deletes for me), delivered to several devices of mine in random orders, in random batches, with
// duplicates and restarts (the real SQLite file closed and opened again), leaves every device
// showing the same thing: what the log says (newest edit by seq, tombstones, each person's last
// reaction per emoji, nothing I hid), with no action lost or applied twice, and the same unread counts.
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import type { ConversationEvent } from '../../protocol/index.js';
import { createViews } from '../../main/core/messages/views.js';
import { openStore, type Store } from '../../main/core/store/index.js';
import type { Message } from '../../main/core/types.js';
import { fuzzParams } from '../fuzz/arbitraries.js';
import { cleanup, tempDir } from '../support/harness.js';

afterEach(cleanup);

const ME = 'ann';
const PEOPLE = [ME, 'bob', 'cat'];
const EMOJI = ['👍', '🎉', '❤️'];
const C = 'room';

type Op =
  | { op: 'message'; by: number; mentionMe: boolean }
  | { op: 'revise'; target: number; mentionMe: boolean }
  | { op: 'delete'; target: number; by: number }
  | { op: 'react'; target: number; by: number; emoji: number; on: boolean };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ op: fc.constant('message' as const), by: fc.nat(2), mentionMe: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('revise' as const), target: fc.nat(), mentionMe: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('delete' as const), target: fc.nat(), by: fc.nat(2) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('react' as const), target: fc.nat(), by: fc.nat(2), emoji: fc.nat(2), on: fc.boolean() }) },
);

/** The log as the server numbers it: actions only on earlier messages (an edit by the message's sender). */
function logOf(ops: readonly Op[]): ConversationEvent[] {
  const events: ConversationEvent[] = [];
  const messages: Array<{ seq: number; sender: string }> = [];
  for (const o of ops) {
    const seq = events.length + 1;
    const base = { conversationId: C, seq, clientId: `k${seq}`, serverTime: 1_000 + seq };
    if (o.op === 'message') {
      const sender = PEOPLE[o.by]!;
      messages.push({ seq, sender });
      events.push({ type: 'message', ...base, sender, body: `m${seq}${o.mentionMe ? ' @ann' : ''}`, ...(o.mentionMe ? { mentions: [ME] } : {}) });
      continue;
    }
    const target = messages[o.target % Math.max(messages.length, 1)];
    if (!target) continue;
    if (o.op === 'revise') events.push({ type: 'revise', ...base, sender: target.sender, target: target.seq, body: `e${seq}`, ...(o.mentionMe ? { mentions: [ME] } : {}) });
    if (o.op === 'delete') events.push({ type: 'delete', ...base, sender: PEOPLE[o.by]!, target: target.seq });
    if (o.op === 'react') events.push({ type: 'react', ...base, sender: PEOPLE[o.by]!, target: target.seq, emoji: EMOJI[o.emoji]!, on: o.on });
  }
  return events;
}

/** What the log says a device shows: the model the store is checked against. */
function expected(log: readonly ConversationEvent[], hidden: ReadonlySet<number>) {
  const shown = new Map<number, { sender: string; body: string; editSeq: number; editedAt?: number; mentionsMe: boolean; deleted: boolean }>();
  const reactions = new Map<string, { seq: number; on: boolean }>();
  for (const e of log) if (e.type === 'message') shown.set(e.seq, { sender: e.sender, body: e.body, editSeq: 0, mentionsMe: !!e.mentions, deleted: false });
  for (const e of log) {
    const t = e.type === 'revise' || e.type === 'delete' || e.type === 'react' ? shown.get(e.target) : undefined;
    if (!t) continue;
    if (e.type === 'delete') t.deleted = true;
    if (e.type === 'revise' && e.seq > t.editSeq) Object.assign(t, { body: e.body, editSeq: e.seq, editedAt: e.serverTime, mentionsMe: !!e.mentions });
    if (e.type === 'react') {
      const key = JSON.stringify([e.target, e.sender, e.emoji]);
      if (e.seq > (reactions.get(key)?.seq ?? 0)) reactions.set(key, { seq: e.seq, on: e.on });
    }
  }
  const read = Math.max(0, ...log.filter((e) => e.type === 'message' && e.sender === ME).map((e) => e.seq));
  let unread = 0;
  let mentions = 0;
  const page = [...shown.entries()]
    .filter(([seq]) => !hidden.has(seq))
    .sort(([a], [b]) => a - b)
    .map(([seq, t]) => {
      if (t.sender !== ME && !t.deleted && seq > read) {
        unread++;
        if (t.mentionsMe) mentions++;
      }
      const on = [...reactions.entries()]
        .map(([key, r]) => [JSON.parse(key) as [number, string, string], r] as const)
        .filter(([[target], r]) => target === seq && r.on)
        .sort(([, a], [, b]) => a.seq - b.seq);
      const emoji = [...new Set(on.map(([[, , e]]) => e))];
      return {
        seq,
        body: t.deleted ? '' : t.body,
        deleted: t.deleted,
        editedAt: t.deleted ? undefined : t.editedAt,
        reactions: t.deleted ? [] : emoji.map((e) => ({ emoji: e, by: on.filter(([[, , x]]) => x === e).map(([[, s]]) => s) })),
      };
    });
  return { page, unread, mentions };
}

const visible = (m: Message) => ({
  seq: m.seq,
  body: m.body,
  deleted: m.deleted ?? false,
  editedAt: m.editedAt,
  reactions: (m.reactions ?? []).map((r) => ({ emoji: r.emoji, by: r.by })),
});

function openDevice(dir: string): Store {
  const store = openStore(dir);
  store.init();
  store.setMe(ME);
  store.upsertConversations([
    {
      id: C,
      type: 'group',
      title: 'Room',
      participants: PEOPLE.map((address) => ({ address, role: 'member' as const, deliveredSeq: 0, readSeq: 0 })),
      lastSeq: 0,
      lastActivity: 0,
      createdAt: 0,
    },
  ]);
  return store;
}

/** One device's delivery: the log shuffled, some events twice, in batches, my hides among them, restarts between. */
const deliveryArb = (size: number) =>
  fc.record({
    order: fc.array(fc.nat(), { minLength: size, maxLength: size }),
    duplicates: fc.array(fc.nat(), { maxLength: 6 }),
    batches: fc.array(fc.integer({ min: 1, max: 8 }), { minLength: 1, maxLength: 12 }),
    restarts: fc.array(fc.boolean(), { minLength: 12, maxLength: 12 }),
    live: fc.boolean(),
  });

describe('message actions: every device ends the same (property)', () => {
  it('over random logs, orders, batches, duplicates, restarts and deletes for me', () => {
    fc.assert(
      fc.property(
        fc.array(opArb, { minLength: 1, maxLength: 40 }).filter((ops) => ops[0]!.op === 'message').chain((ops) => {
          const log = logOf(ops);
          return fc.record({
            log: fc.constant(log),
            hidden: fc.subarray(log.filter((e) => e.type === 'message').map((e) => e.seq)).map((seqs) => seqs.slice(0, 3)),
            devices: fc.array(deliveryArb(log.length), { minLength: 2, maxLength: 3 }),
          });
        }),
        ({ log, hidden, devices }) => {
          const want = expected(log, new Set(hidden));
          const shown: unknown[] = [];
          for (const d of devices) {
            // The log in the order this device hears it, with repeats, and my hide list (version 1) among it.
            const items: Array<ConversationEvent | 'hide'> = log
              .map((e, i) => ({ e, key: d.order[i]! }))
              .sort((a, b) => a.key - b.key)
              .map(({ e }) => e as ConversationEvent | 'hide');
            for (const n of d.duplicates) items.splice(n % (items.length + 1), 0, log[n % log.length]!);
            if (hidden.length > 0) items.splice(d.order[0]! % (items.length + 1), 0, 'hide');
            const dir = tempDir('parley-prop-');
            let store = openDevice(dir);
            let at = 0;
            for (let b = 0; at < items.length; b++) {
              const size = d.batches[b % d.batches.length]!;
              const chunk = items.slice(at, at + size);
              at += size;
              const events = chunk.filter((x): x is ConversationEvent => x !== 'hide');
              if (events.length > 0) store.ingest(events, d.live);
              if (chunk.includes('hide')) store.applyHidden([{ version: 1, conversationId: C, seqs: hidden }]);
              if (d.restarts[b % d.restarts.length]) {
                store.close();
                store = openDevice(dir);
              }
            }
            const views = createViews(store);
            const page = views.page(C, {}, 500).map(visible);
            expect(page).toEqual(want.page);
            expect(views.conversation(C)).toMatchObject({ unread: want.unread, mentions: want.mentions, lastSeq: log.length });
            expect(store.conversations.get(C)!.haveSeq).toBe(log.length);
            shown.push(page);
            store.close();
          }
          for (const page of shown) expect(page).toEqual(shown[0]);
        },
      ),
      fuzzParams(40),
    );
  });
});
