// Presence and profiles, server and engines for real: online → away → offline with last seen, fan-out
// only to people who share a conversation, a burst coalesced, hide last seen (both ways), and name
// and avatar changes reaching the people who share a conversation.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterEach, describe, expect, it } from 'vitest';
import type { Presence } from '../../protocol/index.js';
import type { Client } from '../../main/core/index.js';
import { cleanup, nextEvent, online, pair, rawDevice, startClient, startTestServer, tempDir, until } from '../support/harness.js';

afterEach(cleanup);

const presenceOf = (client: Client, address: string): Presence | undefined => client.readPresence().find((p) => p.address === address);

/** Waits until `client` sees `address` in this state. */
const sees = (client: Client, address: string, state: Presence['state']) =>
  until(() => presenceOf(client, address)?.state === state, `${address} ${state}`, 10_000, () => JSON.stringify(presenceOf(client, address)));

async function imageFile(): Promise<string> {
  const path = join(tempDir('parley-avatar-'), 'me.png');
  const png = await sharp({ create: { width: 640, height: 480, channels: 3, background: { r: 200, g: 60, b: 90 } } }).png().toBuffer();
  writeFileSync(path, png);
  return path;
}


describe('presence', () => {
  it('goes online → away → offline with a last-seen time, and a sync answers it at once', async () => {
    const t = await startTestServer();
    const { alice, bob, bobToken } = await pair(t);
    await sees(bob, 'alice', 'online');
    expect(presenceOf(bob, 'alice')!.lastSeen).toBeNull();

    alice.setActivity(false);
    await sees(bob, 'alice', 'away');
    alice.setActivity(true);
    await sees(bob, 'alice', 'online');

    const before = Date.now();
    alice.stop();
    await sees(bob, 'alice', 'offline');
    expect(presenceOf(bob, 'alice')!.lastSeen).toBeGreaterThanOrEqual(before);

    // A device that connects learns everyone's presence from the sync, last seen included.
    const bob2 = startClient(t.url, bobToken);
    await online(bob2);
    await bob2.idle();
    expect(presenceOf(bob2, 'alice')).toEqual(presenceOf(bob, 'alice'));
    // And a device that connects idle is away from the start.
    bob2.setActivity(false);
    const aliceAgain = startClient(t.url, (await t.user('alice')), { dataDir: alice.dataDir });
    await sees(aliceAgain, 'bob', 'online'); // bob's first device is active
    bob.stop();
    await sees(aliceAgain, 'bob', 'away');
  });

  it('keeps last seen across a server restart, the server\'s own stop included', async () => {
    const t = await startTestServer();
    const { alice, bob } = await pair(t);
    const carol = startClient(t.url, await t.user('carol'));
    await online(carol);
    await carol.createConversation({ participants: ['bob'], type: 'direct' });
    await sees(bob, 'carol', 'online');
    alice.stop();
    await sees(bob, 'alice', 'offline');
    const { lastSeen } = presenceOf(bob, 'alice')!;
    expect(lastSeen).not.toBeNull();

    // Carol is still connected when the server stops: that is when she was last seen.
    const stopping = Date.now();
    await t.stop();
    carol.stop();
    await t.restart();
    await until(() => bob.status.state === 'online', 'bob back online');
    await bob.idle();
    expect(presenceOf(bob, 'alice')).toEqual({ address: 'alice', state: 'offline', lastSeen });
    expect(presenceOf(bob, 'carol')).toMatchObject({ state: 'offline', lastSeen: expect.any(Number) });
    expect(presenceOf(bob, 'carol')!.lastSeen).toBeGreaterThanOrEqual(stopping);
  });

  it('reaches only people who share a conversation', async () => {
    const t = await startTestServer();
    const { alice, bob } = await pair(t);
    const carol = await rawDevice(t.url, await t.user('carol'));
    const dave = startClient(t.url, await t.user('dave'));
    await online(dave);
    await dave.createConversation({ participants: ['carol'], type: 'direct' });

    alice.setActivity(false);
    await sees(bob, 'alice', 'away');
    // Carol shares a conversation with dave only: his change reaches her after alice's went out.
    dave.setActivity(false);
    await until(() => carol.pushes.some((p) => p.name === 'presence' && JSON.stringify(p.payload).includes('"dave"')), 'dave at carol');
    const about = carol.pushes.filter((p) => p.name === 'presence').flatMap((p) => (p.payload as { presence: Presence[] }).presence.map((e) => e.address));
    expect(about).not.toContain('alice');
    expect(about).not.toContain('bob');
    expect(presenceOf(bob, 'dave')).toBeUndefined();
  });

  it('coalesces a burst: a peer hears of a flapping user at most once a second', async () => {
    const t = await startTestServer();
    const { alice, bob } = await pair(t);
    await sees(bob, 'alice', 'online');
    const heard: Presence[] = [];
    bob.on('presence', (list) => heard.push(...list.filter((p) => p.address === 'alice')));

    for (let i = 0; i < 19; i++) alice.setActivity(i % 2 === 1); // 19 changes, ends idle
    await sees(bob, 'alice', 'away');
    // Twenty changes in a few ms: the first goes out, the rest wait out the second as one.
    expect(heard.length).toBeLessThanOrEqual(2);
    expect(heard.at(-1)!.state).toBe('away');
  });

  it('hides last seen both ways when a user asks', async () => {
    const t = await startTestServer();
    const { alice, bob, aliceToken } = await pair(t);
    await alice.setProfile({ hideLastSeen: true });
    expect(alice.getProfile()).toMatchObject({ hideLastSeen: true });

    alice.stop();
    await sees(bob, 'alice', 'offline');
    expect(presenceOf(bob, 'alice')!.lastSeen).toBeNull();

    // Symmetric: alice sees nobody's last seen either.
    const alice2 = startClient(t.url, aliceToken);
    await online(alice2);
    await alice2.idle();
    expect(alice2.getProfile()).toMatchObject({ hideLastSeen: true });
    bob.stop();
    await sees(alice2, 'bob', 'offline');
    expect(presenceOf(alice2, 'bob')!.lastSeen).toBeNull();
  });
});

describe('profile', () => {
  it('pushes a new name and avatar to those who share a conversation, and only they may download it', async () => {
    const t = await startTestServer();
    const { alice, bob, conversationId } = await pair(t);
    const carolToken = await t.user('carol');
    const renamed = nextEvent(bob, 'conversation', (c) => c.id === conversationId && c.participants.some((p) => p.name === 'Alice Liddell'));
    const profile = await alice.setProfile({ name: '  Alice Liddell ' });
    expect(profile).toMatchObject({ address: 'alice', name: 'Alice Liddell', avatar: null });
    await renamed;

    const arrived = nextEvent(bob, 'avatar', (a) => a.address === 'alice');
    const withAvatar = await alice.setAvatar(await imageFile());
    expect(withAvatar.avatar).toMatch(/^data:image\/webp;base64,/);
    const { url } = await arrived;
    expect(url).toBe(withAvatar.avatar);
    const image = await sharp(Buffer.from(url!.split(',')[1]!, 'base64')).metadata();
    expect([image.format, image.width, image.height]).toEqual(['webp', 256, 256]);

    // Carol shares no conversation with alice: her avatar is not hers to read.
    const fileId = bob.readConversations()[0]!.participants.find((p) => p.address === 'alice')!.avatar!;
    const refused = await fetch(`${t.url}/files/${fileId}`, { headers: { authorization: `Bearer ${carolToken}` } });
    expect(refused.status).toBe(403);
    const allowed = await fetch(`${t.url}/files/${fileId}`, { headers: { authorization: `Bearer ${(await t.user('bob'))}` } });
    expect(allowed.status).toBe(200);
    await allowed.arrayBuffer();

    // Removing it goes the same way.
    const removed = nextEvent(bob, 'avatar', (a) => a.address === 'alice' && a.url === null);
    expect((await alice.setAvatar(null)).avatar).toBeNull();
    await removed;
  });

  it('refuses an avatar that is not the user\'s own small image', async () => {
    const t = await startTestServer();
    const token = await t.user('alice');
    const device = await rawDevice(t.url, token);
    expect(await device.request('profile:set', { avatar: 'f'.repeat(32) })).toMatchObject({ ok: false, error: { code: 'not_found' } });
    expect(await device.request('profile:set', {})).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    expect(await device.request('profile:set', { name: '   ' })).toMatchObject({ ok: false, error: { code: 'bad_request' } });
  });
});
