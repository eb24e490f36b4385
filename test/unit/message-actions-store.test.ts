// The engine's store applies message actions (revise, delete, react) and deletes for me in any
// order, each once: an action whose target is not stored yet waits for it; unread counts only
// messages from others after my read mark; search follows edits and deletes. Real SQLite files.
import { afterEach, describe, expect, it } from 'vitest';
import type { ConversationEvent } from '../../protocol/index.js';
import { createViews } from '../../main/core/messages/views.js';
import { indexPending } from '../../main/core/search/indexer.js';
import { createSearch } from '../../main/core/search/search.js';
import type { Indexer } from '../../main/core/search/indexer.js';
import { openStore, type Store } from '../../main/core/store/index.js';
import { cleanup, tempDir } from '../support/harness.js';

afterEach(cleanup);

const C = 'c1';
const msg = (seq: number, sender: string, body: string, extra: object = {}): ConversationEvent => ({ type: 'message', conversationId: C, seq, sender, clientId: `m${seq}`, body, serverTime: seq * 1000, ...extra });
const revise = (seq: number, sender: string, target: number, body: string, mentions?: string[]): ConversationEvent => ({
  type: 'revise', conversationId: C, seq, sender, clientId: `r${seq}`, target, body, serverTime: seq * 1000, ...(mentions ? { mentions } : {}),
});
const del = (seq: number, sender: string, target: number): ConversationEvent => ({ type: 'delete', conversationId: C, seq, sender, clientId: `d${seq}`, target, serverTime: seq * 1000 });
const react = (seq: number, sender: string, target: number, emoji: string, on = true): ConversationEvent => ({
  type: 'react', conversationId: C, seq, sender, clientId: `x${seq}`, target, emoji, on, serverTime: seq * 1000,
});

function open(dir = tempDir()): Store {
  const store = openStore(dir);
  store.init();
  store.setMe('ann');
  store.upsertConversations([
    {
      id: C,
      type: 'group',
      title: 'Team',
      participants: ['ann', 'bob', 'cat'].map((address) => ({ address, role: 'member' as const, deliveredSeq: 0, readSeq: 0 })),
      lastSeq: 0,
      lastActivity: 0,
      createdAt: 0,
    },
  ]);
  return store;
}

const shown = (store: Store) => createViews(store).page(C, {}, 500);

const log: ConversationEvent[] = [
  msg(1, 'bob', 'first'),
  msg(2, 'cat', 'second', { mentions: ['ann'] }),
  revise(3, 'bob', 1, 'first, edited'),
  react(4, 'ann', 1, '👍'),
  react(5, 'cat', 1, '👍'),
  react(6, 'cat', 1, '🎉'),
  react(7, 'cat', 1, '👍', false),
  revise(8, 'bob', 1, 'first, edited again @ann', ['ann']),
  del(9, 'cat', 2),
  msg(10, 'ann', 'a reply', { replyTo: { seq: 1, sender: 'bob', quote: 'first' } }),
  revise(11, 'cat', 1, 'not cat’s to edit'),
];

describe('message actions in the store', () => {
  it('shows each message as the newest edit, tombstones, reactions and replies leave it', () => {
    const store = open();
    store.ingest(log, false);
    const page = shown(store);
    expect(page.map((m) => m.seq)).toEqual([1, 2, 10]);
    expect(page[0]).toMatchObject({ body: 'first, edited again @ann', editedAt: 8000, mentions: ['ann'], reactions: [{ emoji: '👍', count: 1, mine: true, by: ['ann'] }, { emoji: '🎉', count: 1, mine: false, by: ['cat'] }] });
    expect(page[1]).toMatchObject({ body: '', deleted: true });
    expect(page[1]!.mentions).toBeUndefined();
    expect(page[2]).toMatchObject({ mine: true, replyTo: { seq: 1, sender: 'bob', text: 'first, edited again @ann' } });
    store.close();
  });

  it('ends the same whatever order the events arrive in, a batch or one at a time, each twice', () => {
    const reference = open();
    reference.ingest(log, false);
    const expected = shown(reference);
    for (const order of [[...log].reverse(), [log[8]!, log[2]!, log[7]!, ...log], log.flatMap((e) => [e, e])]) {
      const batch = open();
      batch.ingest(order, false);
      expect(shown(batch)).toEqual(expected);
      const single = open();
      for (const e of order) single.ingest([e], true);
      expect(shown(single)).toEqual(expected);
      expect(createViews(single).conversation(C)).toEqual(createViews(reference).conversation(C));
    }
  });

  it('keeps an action whose target is not stored yet, and applies it when the target lands', () => {
    const store = open();
    const early = store.ingest([revise(3, 'bob', 1, 'edited'), react(4, 'cat', 1, '🎉'), msg(5, 'cat', 'reply', { replyTo: { seq: 1, sender: 'bob', quote: 'orig' } })], true);
    expect(early.changed).toEqual([]);
    expect(shown(store).map((m) => [m.seq, m.replyTo?.text])).toEqual([[5, 'orig']]);
    const landed = store.ingest([msg(1, 'bob', 'orig')], true);
    // The reply's preview changed too (its target is stored now).
    expect(landed.changed).toEqual([{ conversationId: C, seq: 5 }]);
    expect(shown(store)[0]).toMatchObject({ seq: 1, body: 'edited', editedAt: 3000, reactions: [{ emoji: '🎉', count: 1 }] });
    expect(shown(store)[1]).toMatchObject({ replyTo: { seq: 1, text: 'edited' } });
    // A delete that waited: the message lands as a tombstone, its waiting edit's text blanked.
    store.ingest([del(7, 'bob', 6), revise(8, 'bob', 6, 'secret')], false);
    store.ingest([msg(6, 'bob', 'gone')], false);
    expect(shown(store).find((m) => m.seq === 6)).toMatchObject({ body: '', deleted: true });
    store.close();
  });

  it('reports the messages an action changed, and a duplicate changes nothing', () => {
    const store = open();
    store.ingest([msg(1, 'bob', 'hi')], true);
    expect(store.ingest([react(2, 'cat', 1, '👍')], true).changed).toEqual([{ conversationId: C, seq: 1 }]);
    // An action is no activity: the conversation keeps its place in the list, its lastSeq moves.
    expect(store.conversations.get(C)).toMatchObject({ lastSeq: 2, lastActivity: 1000 });
    expect(store.ingest([react(2, 'cat', 1, '👍')], true)).toMatchObject({ inserted: [], changed: [] });
    expect(store.ingest([react(3, 'bob', 9, '👍')], true).changed).toEqual([]);
    store.close();
  });

  it('counts unread: messages from others after my read mark, not actions, my own, deleted or hidden ones; mentions of me apart', () => {
    const store = open();
    const views = createViews(store);
    store.ingest([msg(1, 'bob', 'one'), msg(2, 'cat', 'two @ann', { mentions: ['ann'] }), react(3, 'bob', 1, '👍'), revise(4, 'bob', 1, 'one @ann', ['ann'])], false);
    expect(views.conversation(C)).toMatchObject({ lastSeq: 4, unread: 2, mentions: 2 });
    store.ingest([del(5, 'cat', 2), msg(6, 'bob', 'three'), msg(7, 'cat', 'four')], false);
    expect(views.conversation(C)).toMatchObject({ unread: 3, mentions: 1 });
    expect(store.hide(C, [6]).map((r) => r.seq)).toEqual([6]);
    expect(store.hide(C, [6])).toEqual([]);
    expect(views.conversation(C)).toMatchObject({ unread: 2, mentions: 1 });
    expect(views.totalUnread()).toBe(2);
    store.conversations.setRead(C, 1, 'ann');
    expect(views.conversation(C)).toMatchObject({ unread: 1, mentions: 0 });
    // What I write moves my read mark past everything before it.
    store.ingest([msg(8, 'ann', 'mine')], false);
    expect(views.conversation(C)).toMatchObject({ readSeq: 8, unread: 0, mentions: 0 });
    store.prefs.setMuted(C, true);
    store.ingest([msg(9, 'bob', 'later')], false);
    expect(views.conversation(C)!.unread).toBe(1);
    expect(views.totalUnread()).toBe(0);
    store.close();
  });

  it('hides a message deleted for me, stored or not yet, and keeps the hidden list version', () => {
    const store = open();
    store.ingest([msg(1, 'bob', 'one'), msg(2, 'bob', 'two')], false);
    const removed = store.applyHidden([{ version: 1, conversationId: C, seqs: [1, 3] }]);
    expect(removed).toEqual([{ conversationId: C, seq: 1, kind: 'text', sender: 'bob', clientId: 'm1' }]);
    expect(store.hiddenVersion()).toBe(1);
    store.ingest([msg(3, 'cat', 'three')], false);
    expect(shown(store).map((m) => m.seq)).toEqual([2]);
    expect(createViews(store).conversation(C)).toMatchObject({ unread: 1, lastMessage: { seq: 2 } });
    store.close();
  });

  it('takes back a delete for me the server refused: the message shows, counts and is found again, and leaves the outbox', () => {
    const store = open();
    const views = createViews(store);
    const indexer = { progress: () => ({ indexed: 0, total: 0 }) } as unknown as Indexer;
    const { search } = createSearch(store, indexer);
    store.ingest([msg(1, 'bob', 'one'), msg(2, 'cat', 'plum @ann', { mentions: ['ann'] })], false);
    while (indexPending(store, 100) > 0);
    const hide = { conversationId: C, peer: null, body: '', createdAt: 0, action: 'hide' as const, target: 'cat:m2' };
    store.outbox.add({ ...hide, clientId: 'h1' });
    store.outbox.add({ ...hide, clientId: 'h2', target: 'bob:m1' });
    store.hide(C, [2]);
    while (indexPending(store, 100) > 0);
    expect([views.conversation(C), search('plum').hits]).toMatchObject([{ unread: 1, mentions: 0 }, []]);

    store.refuseAction('h1', { conversationId: C, seq: 2 });
    while (indexPending(store, 100) > 0);
    expect(shown(store).map((m) => m.body)).toEqual(['one', 'plum @ann']);
    expect(views.conversation(C)).toMatchObject({ unread: 2, mentions: 1 });
    expect(search('plum').hits.map((h) => h.seq)).toEqual([2]);
    // Only that action left; the next is untouched, and taking back what is not hidden changes nothing.
    expect([store.outbox.get('h1'), store.outbox.get('h2')?.target]).toEqual([null, 'bob:m1']);
    store.refuseAction('h2', { conversationId: C, seq: 1 });
    expect(views.conversation(C)).toMatchObject({ unread: 2, mentions: 1 });
    store.close();
  });

  it('fails a message refused for good and drops the actions waiting for it, not the others', () => {
    const store = open();
    const base = { conversationId: C, peer: null, createdAt: 0 };
    store.outbox.add({ ...base, clientId: 'm1', body: 'refused' });
    store.outbox.add({ ...base, clientId: 'm2', body: 'fine' });
    store.outbox.add({ ...base, clientId: 'a1', body: '👍', action: 'react', target: 'ann:m1', waitsFor: 'm1' });
    store.outbox.add({ ...base, clientId: 'a2', body: '👍', action: 'react', target: 'ann:m2', waitsFor: 'm2' });
    expect(store.outbox.refuse('m1', 'no')).toBe(true);
    expect(store.outbox.refuse('m1', 'no')).toBe(false);
    expect([store.outbox.get('m1')?.error, store.outbox.get('a1'), store.outbox.get('a2')?.waitsFor]).toEqual(['no', null, 'm2']);
    store.close();
  });

  it('replaces an edited message’s indexed text and takes a deleted or hidden one out of the index', () => {
    const store = open();
    const indexer = { progress: () => ({ indexed: 0, total: 0 }) } as unknown as Indexer;
    const { search } = createSearch(store, indexer);
    const found = (q: string) => search(q).hits.map((h) => h.seq);
    store.ingest([msg(1, 'bob', 'apple pie'), msg(2, 'bob', 'banana split'), msg(3, 'cat', 'cherry tart')], false);
    while (indexPending(store, 100) > 0);
    expect([found('apple'), found('banana'), found('cherry')]).toEqual([[1], [2], [3]]);
    // An edit of a message not indexed yet is indexed as edited; an action never becomes a doc.
    store.ingest([msg(4, 'bob', 'durian'), revise(5, 'bob', 4, 'elderberry'), revise(6, 'bob', 1, 'fig roll'), del(7, 'bob', 2)], false);
    store.hide(C, [3]);
    while (indexPending(store, 100) > 0);
    expect([found('apple'), found('fig'), found('banana'), found('cherry'), found('durian'), found('elderberry')]).toEqual([[], [1], [], [], [], [4]]);
    expect(store.search.progress()).toEqual({ indexed: 4, total: 4 });
    store.close();
  });

  it('keeps everything across a close and reopen of the file', () => {
    const dir = tempDir();
    const first = open(dir);
    first.ingest(log.slice(0, 6), false);
    first.close();
    const again = open(dir);
    again.ingest(log.slice(4), false);
    const reference = open();
    reference.ingest(log, false);
    expect(shown(again)).toEqual(shown(reference));
    again.close();
  });
});
