// Two people, each in their own Parley (bridge + browser host + browser context), against one server.
import { expect, expectAccessible, expectAttentive, expectSignedIn, send, startDirect, test, ui, watchStatuses } from './support.js';

test('two people chat: send with Enter, receive, typing, ticks go sent → delivered → read', async ({ launch }) => {
  const alice = await launch({ as: 'alice' });
  // Bob's Parley runs (his engine is online and stores what arrives) but his window is not open yet.
  const bob = await launch({ as: 'bob', open: false });
  await expectSignedIn(alice.page);
  await expect(ui.conversations(alice.page)).toHaveCount(0);

  await startDirect(alice.page, 'bob');
  await expect(ui.conversations(alice.page)).toHaveCount(1);
  const statusesOf = await watchStatuses(alice.page);

  // Shift+Enter is a new line; Enter sends.
  const composer = ui.composer(alice.page);
  await composer.click();
  await composer.pressSequentially('Hello Bob!');
  await composer.press('Shift+Enter');
  await composer.pressSequentially('Lunch at noon?');
  await expect(composer).toHaveValue('Hello Bob!\nLunch at noon?');
  await composer.press('Enter');
  await expect(composer).toHaveValue('');
  const first = ui.message(alice.page, 'Lunch at noon?');
  await expect(first).toBeVisible();
  await expect(first).toContainText('Hello Bob!');
  await expect(first).toHaveAttribute('data-mine', 'true');

  // Bob's device stored it: delivered; nobody has looked at it yet, so not read.
  await expect(first).toHaveAttribute('data-status', 'delivered');
  expect(await statusesOf('Lunch at noon?')).toEqual(['sending', 'sent', 'delivered']);

  // Bob opens Parley: the conversation is on top and opens; seeing it in a focused window reads it.
  await bob.page.goto(bob.url);
  await expectSignedIn(bob.page);
  await expectAttentive(bob.page);
  const received = ui.message(bob.page, 'Lunch at noon?');
  await expect(received).toBeVisible();
  await expect(received).toHaveAttribute('data-mine', 'false');
  await expect(ui.conversation(bob.page, 'Alice')).toHaveAttribute('aria-selected', 'true');
  await expect(first).toHaveAttribute('data-status', 'read');
  expect(await statusesOf('Lunch at noon?')).toEqual(['sending', 'sent', 'delivered', 'read']);

  // Bob answers; Alice sees him typing, then the answer; she is looking, so his message is read.
  await expectAttentive(alice.page);
  const bobsComposer = ui.composer(bob.page);
  await bobsComposer.click();
  await bobsComposer.pressSequentially('Noon works');
  await expect(alice.page.getByTestId('typing-indicator')).toContainText('Bob is typing'); // his name, not his address (bob)
  await expectAccessible(alice.page, 'an open conversation, the other typing', ['light']);
  await bobsComposer.press('Enter');
  await expect(bobsComposer).toHaveValue('');
  const answer = ui.message(alice.page, 'Noon works');
  await expect(answer).toBeVisible();
  await expect(answer).toHaveAttribute('data-mine', 'false');
  await expect(ui.message(bob.page, 'Noon works')).toHaveAttribute('data-status', 'read');
  await expect(ui.conversation(alice.page, 'Bob')).toContainText('Noon works');

  // Opening "New conversation" with bob again opens the same conversation, not a second one.
  await startDirect(alice.page, 'bob');
  await expect(ui.conversations(alice.page)).toHaveCount(1);
  const again = await send(alice.page, 'Same conversation');
  await expect(ui.message(bob.page, 'Same conversation')).toBeVisible();
  await expect(again).toHaveAttribute('data-status', 'read');
  await expect(ui.messages(alice.page)).toHaveCount(3);
});
