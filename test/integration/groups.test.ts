// Groups and channels run from the app, engines against a real server: every rule of who may change
// what (and each refusal with its code), each change a sequenced event every device stores, the last
// admin's hand-over, a removed member keeping the history they had and receiving nothing after, and
// the members' marks that message info shows.
import { afterEach, describe, expect, it } from 'vitest';
import type { ConversationEvent } from '../../protocol/index.js';
import { cleanup, nextEvent, online, rawDevice, startClient, startTestServer, until, type TestClient, type TestServer } from '../support/harness.js';

afterEach(cleanup);

const NAMES = { alice: 'Alice', bob: 'Bob', carol: 'Carol', dave: 'Dave' } as const;
type Name = keyof typeof NAMES;

async function team(...who: Name[]) {
  const t = await startTestServer();
  const tokens = {} as Record<Name, string>;
  for (const name of Object.keys(NAMES) as Name[]) tokens[name] = await t.user(name, NAMES[name]);
  const engines = {} as Record<Name, TestClient>;
  for (const name of who) engines[name] = startClient(t.url, tokens[name]);
  await Promise.all(who.map((name) => online(engines[name])));
  return { t, tokens, ...engines } as { t: TestServer; tokens: Record<Name, string> } & Record<Name, TestClient>;
}

const roles = (engine: TestClient, id: string) =>
  Object.fromEntries((engine.readConversation(id)?.participants ?? []).map((p) => [p.address, p.role]));

/** The thread's system lines as stored on this device: [kind, body] of each members or edit event. */
const changes = (engine: TestClient, id: string) =>
  engine.readMessages(id, { limit: 500 }).filter((m) => m.kind === 'members' || m.kind === 'edit').map((m) => [m.sender, JSON.parse(m.body) as object]);

const refused = (code: string, message?: RegExp) => expect.objectContaining({ code, ...(message ? { message: expect.stringMatching(message) } : {}) });

describe('groups run from the app', () => {
  it('makes the creator admin; admins rename, describe, add and promote, each change an event every device stores', async () => {
    const { t, tokens, alice, bob, carol } = await team('alice', 'bob', 'carol');
    const alice2 = startClient(t.url, tokens.alice);
    await online(alice2);
    const group = await alice.createConversation({ participants: ['bob'], type: 'group', title: 'Launch' });
    expect(roles(alice, group.id)).toEqual({ alice: 'admin', bob: 'member' });
    await until(() => bob.readConversation(group.id) !== null && alice2.readConversation(group.id) !== null, 'the group at bob and alice’s other device');

    const renamed = await alice.editConversation(group.id, { title: 'Launch plan', description: 'Everything about the March launch' });
    expect(renamed).toMatchObject({ title: 'Launch plan', description: 'Everything about the March launch', lastSeq: 1 });
    const added = await alice.addMembers(group.id, ['carol']);
    expect(added.participants.map((p) => [p.address, p.role])).toEqual([['alice', 'admin'], ['bob', 'member'], ['carol', 'member']]);
    await alice.setMemberRole(group.id, 'bob', 'admin');
    await alice.editConversation(group.id, { description: '' });

    const expected = [
      ['alice', { title: 'Launch plan', description: 'Everything about the March launch' }],
      ['alice', { added: ['carol'], removed: [] }],
      ['alice', { added: [], removed: [], promoted: ['bob'] }],
      ['alice', { description: '' }],
    ];
    expect(changes(alice, group.id)).toEqual(expected);
    // Pushed to everyone else, the actor's other device included; carol, added, catches up from the start.
    for (const engine of [bob, alice2, carol]) {
      await until(() => engine.readConversation(group.id)?.lastSeq === 4 && changes(engine, group.id).length === 4, 'every change stored');
      expect(changes(engine, group.id)).toEqual(expected);
      expect(engine.readConversation(group.id)).toMatchObject({ title: 'Launch plan' });
      expect(engine.readConversation(group.id)?.description).toBeUndefined();
      expect(roles(engine, group.id)).toEqual({ alice: 'admin', bob: 'admin', carol: 'member' });
    }
    // The server keeps the same: a fresh sync agrees.
    const fresh = startClient(t.url, tokens.carol);
    await online(fresh);
    await fresh.idle(); // the sync after connecting has stored the conversations
    expect(fresh.readConversation(group.id)?.title).toBe('Launch plan');
    expect(fresh.readConversation(group.id)?.description).toBeUndefined();
    expect(roles(fresh, group.id)).toEqual({ alice: 'admin', bob: 'admin', carol: 'member' });

    // A distinct group is found by its participants: once they changed, asking for the old set makes a new one.
    const distinct = await alice.createConversation({ participants: ['bob'], type: 'group', title: 'Pair', distinct: true });
    expect((await alice.createConversation({ participants: ['bob'], type: 'group', title: 'Pair', distinct: true })).id).toBe(distinct.id);
    await alice.addMembers(distinct.id, ['carol']);
    expect((await alice.createConversation({ participants: ['bob'], type: 'group', title: 'Pair', distinct: true })).id).not.toBe(distinct.id);

    // Bob steps down as admin: allowed, Alice stays admin.
    await bob.setMemberRole(group.id, 'bob', 'member');
    await until(() => roles(alice, group.id)['bob'] === 'member', 'bob no longer admin at alice');
  });

  it('refuses every change the rules forbid, each with a clear error', async () => {
    const { t, tokens, alice, bob } = await team('alice', 'bob');
    const group = await alice.createConversation({ participants: ['bob', 'carol'], type: 'group', title: 'Rules' });
    await until(() => bob.readConversation(group.id) !== null, 'group at bob');
    const id = group.id;

    // Members change nothing but their own membership.
    await expect(bob.addMembers(id, ['dave'])).rejects.toEqual(refused('forbidden', /only admins add members in a group/));
    await expect(bob.removeMembers(id, ['carol'])).rejects.toEqual(refused('forbidden', /only admins remove members/));
    await expect(bob.setMemberRole(id, 'bob', 'admin')).rejects.toEqual(refused('forbidden', /only admins make or remove admins/));
    await expect(bob.editConversation(id, { title: 'Mine' })).rejects.toEqual(refused('forbidden', /only admins change the title/));
    await expect(bob.editConversation(id, { description: 'Mine' })).rejects.toEqual(refused('forbidden'));

    // Admins: not on themselves by remove, not on non-members, not twice, not the last admin away.
    await expect(alice.removeMembers(id, ['alice'])).rejects.toEqual(refused('bad_request', /leave instead/));
    await expect(alice.removeMembers(id, ['dave'])).rejects.toEqual(refused('bad_request', /dave is not a member of this group/));
    await expect(alice.setMemberRole(id, 'dave', 'admin')).rejects.toEqual(refused('bad_request', /dave is not a member/));
    await expect(alice.addMembers(id, ['bob'])).rejects.toEqual(refused('conflict', /bob is already a member/));
    await expect(alice.addMembers(id, ['ghost'])).rejects.toEqual(refused('not_found', /no such user: ghost/));
    await expect(alice.setMemberRole(id, 'alice', 'admin')).rejects.toEqual(refused('conflict', /already an admin/));
    await expect(alice.setMemberRole(id, 'bob', 'member')).rejects.toEqual(refused('conflict', /bob is not an admin/));
    await expect(alice.setMemberRole(id, 'alice', 'member')).rejects.toEqual(refused('bad_request', /alice is the last admin/));

    // A direct conversation has none of this.
    const direct = await alice.createConversation({ participants: ['bob'], type: 'direct' });
    await until(() => bob.readConversation(direct.id) !== null, 'direct at bob');
    await expect(alice.editConversation(direct.id, { title: 'Us' })).rejects.toEqual(refused('bad_request', /a direct conversation/));
    await expect(alice.addMembers(direct.id, ['carol'])).rejects.toEqual(refused('bad_request'));
    await expect(bob.leaveConversation(direct.id)).rejects.toEqual(refused('bad_request'));

    // Someone outside the group, speaking the protocol directly: not a member, whatever they ask.
    const dave = await rawDevice(t.url, tokens.dave, 'dave-raw');
    for (const [name, payload] of [
      ['conversation:edit', { conversationId: id, title: 'Dave’s' }],
      ['conversation:add', { conversationId: id, members: ['dave'] }],
      ['conversation:remove', { conversationId: id, members: ['bob'] }],
      ['conversation:leave', { conversationId: id }],
      ['conversation:role', { conversationId: id, address: 'dave', role: 'admin' }],
      ['retransmit', { conversationId: id, fromSeq: 1, toSeq: 1 }],
    ] as const) {
      expect(await dave.request(name, payload)).toMatchObject({ ok: false, error: { code: 'not_member' } });
    }
    // Bad input is refused before any rule.
    const ann = await rawDevice(t.url, tokens.alice, 'alice-raw');
    expect(await ann.request('conversation:edit', { conversationId: id })).toMatchObject({ ok: false, error: { code: 'bad_request', message: expect.stringMatching(/title, a description or both/) } });
    expect(await ann.request('conversation:edit', { conversationId: id, title: '  ' })).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    expect(await ann.request('conversation:edit', { conversationId: id, description: 'x'.repeat(1001) })).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    expect(await ann.request('conversation:add', { conversationId: id, members: [] })).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    expect(await ann.request('conversation:role', { conversationId: id, address: 'bob', role: 'owner' })).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    // Nothing refused was written: the group has no events yet.
    expect(alice.readConversation(id)?.lastSeq).toBe(0);
    expect((await ann.request<{ events: ConversationEvent[] }>('retransmit', { conversationId: id, fromSeq: 1, toSeq: 10 }))).toMatchObject({ ok: true, data: { events: [] } });
  });

  it('lets only admins post and change anything in a channel', async () => {
    const { alice, bob } = await team('alice', 'bob');
    const channel = await alice.createConversation({ participants: ['bob'], type: 'channel', title: 'News' });
    await until(() => bob.readConversation(channel.id) !== null, 'channel at bob');
    expect(roles(bob, channel.id)).toEqual({ alice: 'admin', bob: 'member' });
    const refusedPost = nextEvent(bob, 'messageStatus', (s) => s.status === 'failed');
    bob.sendMessage({ conversationId: channel.id }, 'may I?');
    expect((await refusedPost).error).toMatch(/only admins post in a channel/);
    await expect(bob.editConversation(channel.id, { title: 'Bob’s news' })).rejects.toEqual(refused('forbidden', /only admins change the title and description in a channel/));
    await expect(bob.addMembers(channel.id, ['carol'])).rejects.toEqual(refused('forbidden', /in a channel/));
    await alice.setMemberRole(channel.id, 'bob', 'admin');
    await until(() => roles(bob, channel.id)['bob'] === 'admin', 'bob admin at bob');
    await bob.editConversation(channel.id, { title: 'Bob’s news' });
    bob.sendMessage({ conversationId: channel.id }, 'now I may');
    await until(() => alice.readMessages(channel.id).some((m) => m.body === 'now I may'), 'bob’s post at alice');
  });

  it('passes admin to the longest-standing member when the last admin leaves, and to no one while another admin stays', async () => {
    const { t, alice, bob, carol } = await team('alice', 'bob', 'carol');
    // carol is there from the start, bob joins later: carol has stood longest though bob sorts first.
    const group = await alice.createConversation({ participants: ['carol'], type: 'group', title: 'Hand-over' });
    await alice.addMembers(group.id, ['bob']);
    await until(() => bob.readConversation(group.id) !== null && carol.readConversation(group.id)?.lastSeq === 1, 'group at bob and carol');

    const left = await alice.leaveConversation(group.id);
    expect(left.participants.map((p) => p.address).sort()).toEqual(['bob', 'carol']);
    expect(changes(alice, group.id).at(-1)).toEqual(['alice', { added: [], removed: ['alice'], promoted: ['carol'] }]);
    for (const engine of [bob, carol]) await until(() => roles(engine, group.id)['carol'] === 'admin', 'carol admin');
    expect(roles(bob, group.id)).toEqual({ bob: 'member', carol: 'admin' });
    // Alice keeps her copy but is no longer in it; the server refuses her as a member now.
    expect(alice.readConversation(group.id)?.participants.some((p) => p.address === 'alice')).toBe(false);
    await expect(alice.addMembers(group.id, ['dave'])).rejects.toEqual(refused('not_member'));

    // With two admins, one leaving hands nothing on.
    await carol.setMemberRole(group.id, 'bob', 'admin');
    await carol.leaveConversation(group.id);
    await until(() => changes(bob, group.id).length === 4, 'carol’s leave at bob');
    expect(changes(bob, group.id).at(-1)).toEqual(['carol', { added: [], removed: ['carol'] }]);
    expect(roles(bob, group.id)).toEqual({ bob: 'admin' });

    // The operator's backend removing the last admin hands over the same way.
    const rest = await t.api<{ group: { id: string } }>('POST', '/groups', { name: 'Ops', members: ['alice', 'bob', 'carol'], admins: ['alice'] });
    const removed = await t.api<{ group: { participants: Array<{ address: string; role: string }> } }>('DELETE', `/groups/${rest.body.group.id}/members`, { members: ['alice'] });
    expect(removed.body.group.participants).toEqual([expect.objectContaining({ address: 'bob', role: 'admin' }), expect.objectContaining({ address: 'carol', role: 'member' })]);
  });

  it('leaves a removed member the history they had and nothing after, online or away when it happened', async () => {
    const { t, tokens, alice, bob, carol, dave } = await team('alice', 'bob', 'carol', 'dave');
    const group = await alice.createConversation({ participants: ['bob', 'carol', 'dave'], type: 'group', title: 'Crew' });
    await until(() => [bob, carol, dave].every((e) => e.readConversation(group.id) !== null), 'group everywhere');
    alice.sendMessage({ conversationId: group.id }, 'before');
    await until(() => [carol, dave].every((e) => e.readMessages(group.id).some((m) => m.body === 'before')), 'first message at carol and dave');

    // dave is away when he is removed; carol is online, with a raw device listening too.
    dave.stop();
    const carolRaw = await rawDevice(t.url, tokens.carol, 'carol-raw');
    const removedCarol = await alice.removeMembers(group.id, ['carol']);
    const removedDave = await alice.removeMembers(group.id, ['dave']);
    const carolSeq = removedCarol.lastSeq;
    expect(removedDave.participants.map((p) => p.address)).toEqual(['alice', 'bob']);
    alice.sendMessage({ conversationId: group.id }, 'after');
    await until(() => bob.readMessages(group.id).some((m) => m.body === 'after'), 'the later message at bob');
    // A marker sent after it to carol elsewhere: her socket gets pushes in order, so once it is in,
    // anything of the group's sent before it would be in as well.
    const direct = await alice.createConversation({ participants: ['carol'], type: 'direct' });
    alice.sendMessage({ conversationId: direct.id }, 'marker');
    await until(() => carolRaw.pushes.some((p) => p.name === 'event' && (p.payload as ConversationEvent).conversationId === direct.id), 'the marker at carol');
    const groupEvents = carolRaw.pushes.filter((p) => p.name === 'event' && (p.payload as ConversationEvent).conversationId === group.id).map((p) => p.payload as ConversationEvent);
    expect(groupEvents.map((e) => e.seq)).toEqual([carolSeq]);
    await until(() => carol.readMessages(direct.id).some((m) => m.body === 'marker'), 'the marker in carol’s engine');
    expect(carol.readMessages(group.id).map((m) => m.kind === 'text' ? m.body : m.kind)).toEqual(['before', 'members']);
    expect(carol.readConversation(group.id)?.participants.map((p) => p.address)).toEqual(['alice', 'bob', 'dave']);

    // Retransmit serves her up to her removal and no further.
    expect(await carolRaw.request('retransmit', { conversationId: group.id, fromSeq: 1, toSeq: 100 })).toMatchObject({ ok: true, data: { events: [{ seq: 1 }, { seq: carolSeq }] } });
    expect(await carolRaw.request('retransmit', { conversationId: group.id, fromSeq: carolSeq + 1, toSeq: 100 })).toMatchObject({ ok: false, error: { code: 'not_member' } });
    expect(await carolRaw.request('message:send', { conversationId: group.id, clientId: 'late', body: 'still here?' })).toMatchObject({ ok: false, error: { code: 'not_member' } });

    // dave comes back: the sync tells him where he left, catch-up brings his removal and nothing after.
    const daveAgain = startClient(t.url, tokens.dave, { dataDir: dave.dataDir });
    await online(daveAgain);
    await daveAgain.idle();
    expect(daveAgain.readMessages(group.id).map((m) => m.kind === 'text' ? m.body : m.kind)).toEqual(['before', 'members', 'members']);
    expect(daveAgain.readConversation(group.id)?.participants.map((p) => p.address)).toEqual(['alice', 'bob']);

    // Added back, carol catches up on what she missed, and gets the rest live.
    await alice.addMembers(group.id, ['carol']);
    await until(() => carol.readMessages(group.id).some((m) => m.body === 'after'), 'what she missed, once back');
    expect(await carolRaw.request('retransmit', { conversationId: group.id, fromSeq: carolSeq + 1, toSeq: 100 })).toMatchObject({ ok: true });
  });

  it('keeps each member’s delivered and read marks for message info, and tells the host as they move', async () => {
    const { alice, bob, carol } = await team('alice', 'bob', 'carol');
    const group = await alice.createConversation({ participants: ['bob', 'carol'], type: 'group', title: 'Info' });
    await until(() => bob.readConversation(group.id) !== null && carol.readConversation(group.id) !== null, 'group at bob and carol');
    const marks: Array<{ address: string; deliveredSeq: number; readSeq: number }> = [];
    alice.on('marks', ({ conversationId, participant }) => {
      if (conversationId === group.id) marks.push(participant);
    });
    alice.sendMessage({ conversationId: group.id }, 'who has this?');
    await until(() => [bob, carol].every((e) => e.readMessages(group.id).length === 1), 'message at bob and carol');
    const seq = bob.readMessages(group.id)[0]!.seq!;
    bob.markRead(group.id, seq);
    const mark = (address: string) => alice.readConversation(group.id)?.participants.find((p) => p.address === address);
    await until(() => mark('bob')?.readSeq === seq && (mark('carol')?.deliveredSeq ?? 0) >= seq, 'bob read, carol delivered, at alice');
    expect(mark('carol')?.readSeq).toBe(0);
    expect(marks.some((p) => p.address === 'bob' && p.readSeq === seq)).toBe(true);
    expect(marks.some((p) => p.address === 'carol' && p.deliveredSeq === seq)).toBe(true);
  });
});
