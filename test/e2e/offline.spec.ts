// Without the server: a message waits as "sending" and is delivered once the server is back, and
// the conversations and their history still show after a reload (or a relaunch) from the local store.
import { expect, expectAccessible, expectSignedIn, openConversation, send, test, ui } from './support.js';
import { until } from '../support/harness.js';

test('a message sent while the server is down shows sending, then is delivered once it is back', async ({ server, launch, engine }) => {
  // Bob is a headless engine: it stores and acknowledges (delivered) but never reads.
  await server.user('alice');
  const bob = await engine('bob');
  const conversation = await bob.createConversation({ type: 'direct', participants: ['alice'] });
  bob.sendMessage({ conversationId: conversation.id }, 'Are you there?');
  const { page } = await launch({ as: 'alice' });
  await expectSignedIn(page);
  await expect(ui.message(page, 'Are you there?')).toBeVisible();
  await expect(ui.banner(page)).toBeHidden();

  await server.stop();
  await expect(ui.banner(page)).toBeVisible();
  const text = 'Sent while the server was down';
  const message = await send(page, text);
  await expect(message).toHaveAttribute('data-mine', 'true');
  await expect(message).toHaveAttribute('data-status', 'sending');
  await expectAccessible(page, 'offline banner and a message waiting to be sent');
  // It stays in the outbox while the server is down: still sending once the engine has retried.
  await expect(ui.banner(page)).toBeVisible();
  await expect(message).toHaveAttribute('data-status', 'sending');

  await server.restart();
  await expect(ui.banner(page)).toBeHidden({ timeout: 15_000 });
  await expect(message).toHaveAttribute('data-status', 'delivered', { timeout: 15_000 });
  await until(() => bob.readMessages(conversation.id).some((m) => m.body === text), 'bob to store the message');
  // Exactly once, on both sides.
  expect(bob.readMessages(conversation.id).filter((m) => m.body === text)).toHaveLength(1);
  await expect(ui.message(page, text)).toHaveCount(1);
});

test('a reload (and a relaunch) while the server is down shows conversations and history from the local store', async ({ server, launch, engine }) => {
  await server.user('alice');
  const bob = await engine('bob');
  const direct = await bob.createConversation({ type: 'direct', participants: ['alice'] });
  const lines = ['First line of history', 'Second line of history', 'Third line of history'];
  for (const line of lines) bob.sendMessage({ conversationId: direct.id }, line);
  await bob.caughtUp();
  await server.user('carol');
  const group = await server.api<{ group: { id: string } }>('POST', '/groups', { name: 'Offline club', members: ['alice', 'bob', 'carol'] });
  expect(group.status).toBe(201);

  const { page, relaunch } = await launch({ as: 'alice' });
  await expectSignedIn(page);
  await expect(ui.conversations(page)).toHaveCount(2);
  await openConversation(page, 'Bob');
  for (const line of lines) await expect(ui.message(page, line)).toBeVisible();

  await server.stop();
  await expect(ui.banner(page)).toBeVisible();

  const fromStore = async () => {
    await expectSignedIn(page);
    await expect(ui.conversations(page)).toHaveCount(2);
    await expect(ui.conversation(page, 'Offline club')).toBeVisible();
    await expect(ui.conversation(page, 'Bob')).toBeVisible();
    // The conversation open last time opens again, with its history.
    for (const line of lines) await expect(ui.message(page, line)).toBeVisible();
    await expect(ui.banner(page)).toBeVisible();
  };

  await page.reload();
  await fromStore();

  // A relaunch: a new bridge resumes the session from session.json, offline, from the same store.
  await relaunch();
  await fromStore();
});

test('after a reload while offline, the page shows it is offline at once, not at the next reconnect attempt', async ({ server, launch }) => {
  // Slow retries, as after a while without the server (the default backoff grows to 30 s).
  const { page } = await launch({ as: 'alice', backoff: { minDelay: 20_000, maxDelay: 20_000 } });
  await expectSignedIn(page);
  await server.stop();
  await expect(ui.banner(page)).toContainText(/offline/i);

  await page.reload();
  await expectSignedIn(page);
  // The engine's last status was sent before this page subscribed; the next comes in 10–20 s.
  await expect(ui.banner(page)).toContainText(/offline/i, { timeout: 3000 });
});
