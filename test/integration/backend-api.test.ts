import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, rawDevice, startTestServer } from '../support/harness.js';

afterEach(cleanup);

describe('backend API', () => {
  it('creates users, refuses a taken address and finds users', async () => {
    const t = await startTestServer();
    const created = await t.api('POST', '/users', { address: '+15551231234', name: 'Ann' });
    expect(created).toEqual({ status: 201, body: { user: { address: '+15551231234', name: 'Ann' } } });
    const again = await t.api<{ error: { code: string } }>('POST', '/users', { address: '+15551231234', name: 'Other' });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('conflict');
    await t.api('POST', '/users', { address: 'bob', name: 'Bob Stone' });
    const found = await t.api<{ users: unknown[] }>('GET', '/users?query=stone&limit=5');
    expect(found.body.users).toEqual([{ address: 'bob', name: 'Bob Stone' }]);
  });

  it('answers bad input and a wrong app token with a clear JSON error', async () => {
    const t = await startTestServer();
    const wrong = await t.api<{ error: { code: string; message: string } }>('GET', '/stats', undefined, 'nope');
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.code).toBe('unauthorized');
    const malformed = await t.api<{ error: { code: string } }>('POST', '/users', '{not json');
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.code).toBe('bad_request');
    const badAddress = await t.api<{ error: { message: string } }>('POST', '/users', { address: '../etc', name: 'x' });
    expect(badAddress.status).toBe(400);
    expect(badAddress.body.error.message).toMatch(/address/);
    const noUser = await t.api('POST', '/users/ghost/tokens', {});
    expect(noUser.status).toBe(404);
    const unknown = await t.api<{ error: { code: string } }>('GET', '/nothing');
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('not_found');
    expect((await t.api<{ users: number }>('GET', '/stats')).body.users).toBe(0);
  });

  it('creates groups, changes their members and counts everything in stats', async () => {
    const t = await startTestServer();
    for (const a of ['ann', 'bob', 'cat']) await t.api('POST', '/users', { address: a, name: a });
    const group = await t.api<{ group: { id: string; type: string; title: string; participants: Array<{ address: string }> } }>(
      'POST',
      '/groups',
      { name: 'Design', members: ['ann', 'bob'] },
    );
    expect(group.status).toBe(201);
    expect(group.body.group).toMatchObject({ type: 'group', title: 'Design' });
    const id = group.body.group.id;
    const added = await t.api<{ group: { participants: Array<{ address: string }>; lastSeq: number } }>('POST', `/groups/${id}/members`, { members: ['cat'] });
    expect(added.body.group.participants.map((p) => p.address)).toEqual(['ann', 'bob', 'cat']);
    expect(added.body.group.lastSeq).toBe(1);
    const removed = await t.api<{ group: { participants: Array<{ address: string }> } }>('DELETE', `/groups/${id}/members`, { members: ['bob'] });
    expect(removed.body.group.participants.map((p) => p.address)).toEqual(['ann', 'cat']);
    expect((await t.api('POST', `/groups/${id}/members`, { members: ['ghost'] })).status).toBe(404);
    expect((await t.api('POST', '/groups/nope/members', { members: ['ann'] })).status).toBe(404);
    expect((await t.api('GET', '/stats')).body).toEqual({ users: 3, conversations: 1, messages: 0, connectedDevices: 0 });
  });

  it('keeps only token hashes and disconnects devices when tokens are revoked', async () => {
    const t = await startTestServer();
    const token = await t.user('ann');
    const device = await rawDevice(t.url, token);
    expect((await t.api<{ connectedDevices: number }>('GET', '/stats')).body.connectedDevices).toBe(1);
    const closed = new Promise((resolve) => device.socket.once('disconnect', resolve));
    const revoked = await t.api<{ revoked: number }>('DELETE', '/users/ann/tokens');
    expect(revoked.body.revoked).toBe(1);
    await closed;
    expect(device.pushes.some((p) => p.name === 'auth:revoked')).toBe(true);
    await expect(rawDevice(t.url, token)).rejects.toMatchObject({ data: { code: 'auth_failed' } });
    const stored = await t.server.storage.findToken(token);
    expect(stored).toBeNull(); // looked up by the raw token: nothing, because only its hash is kept
  });
});
