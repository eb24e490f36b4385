// Groups run from the app, in Chromium against a real server: Alice and Bob manage a group (make an
// admin, rename, add Carol, remove her, leave) and Dave, a plain member, sees each change in the
// thread and in the details panel he keeps open. Then a channel's members cannot post, and message
// info tells who has a message and who has read it. Screenshots of the panel and the info, light and dark.
import type { Page } from '@playwright/test';
import { expect, expectAccessible, expectAttentive, expectSignedIn, openConversation, send, shoot, test, ui } from './support.js';

const line = (page: Page, text: string) => page.getByTestId('message-list').getByTestId('system-message').filter({ hasText: text });

async function openDetails(page: Page) {
  await page.getByTestId('open-details').click();
  const panel = page.getByTestId('conversation-details');
  await expect(panel).toBeVisible();
  return panel;
}

test('two admins run a group and a third member sees each change in the thread and the panel', async ({ launch }) => {
  const alice = await launch({ as: 'alice' });
  const bob = await launch({ as: 'bob' });
  const dave = await launch({ as: 'dave' });
  await launch({ as: 'carol', open: false });
  for (const w of [alice, bob, dave]) await expectSignedIn(w.page);

  // Alice creates the group from the app: she is its admin.
  await alice.page.getByTestId('new-conversation').click();
  const dialog = alice.page.getByTestId('new-conversation-dialog');
  await dialog.getByTestId('person-bob').check();
  await dialog.getByTestId('person-dave').check();
  await dialog.getByTestId('group-title').fill('Launch');
  await dialog.getByTestId('create-conversation').click();
  await expect(dialog).toBeHidden();

  // Dave opens it and its details, and keeps them open.
  await openConversation(dave.page, 'Launch');
  const seen = await openDetails(dave.page);
  await expect(seen.getByTestId('member-alice')).toHaveAttribute('data-role', 'admin');
  await expect(seen.getByTestId('member-bob')).toHaveAttribute('data-role', 'member');
  // A plain member gets no admin controls, only leaving.
  await expect(seen.getByTestId('make-admin')).toHaveCount(0);
  await expect(seen.getByTestId('edit-details')).toHaveCount(0);
  await expect(seen.getByTestId('leave')).toBeVisible();

  // Alice makes Bob an admin, with the keyboard: Tab to the button, Enter.
  const panel = await openDetails(alice.page);
  await panel.getByTestId('member-bob').getByTestId('make-admin').focus();
  await alice.page.keyboard.press('Enter');
  await expect(panel.getByTestId('member-bob')).toHaveAttribute('data-role', 'admin');
  await alice.page.keyboard.press('Escape');
  await expect(panel).toBeHidden();
  await expect(line(alice.page, 'You made Bob an admin')).toBeVisible();
  await expect(line(dave.page, 'Alice made Bob an admin')).toBeVisible();
  await expect(seen.getByTestId('member-bob')).toHaveAttribute('data-role', 'admin');

  // Bob renames it and describes it.
  await openConversation(bob.page, 'Launch');
  const bobs = await openDetails(bob.page);
  await bobs.getByTestId('edit-details').click();
  await bobs.getByTestId('edit-title').fill('Launch plan');
  await bobs.getByTestId('edit-description').fill('Everything for the March launch');
  await bobs.getByTestId('save-details').click();
  await expect(bobs.getByTestId('details-title')).toHaveText('Launch plan');
  await expect(line(dave.page, 'Bob renamed the group to “Launch plan” and changed the description')).toBeVisible();
  await expect(seen.getByTestId('details-title')).toHaveText('Launch plan');
  await expect(seen.getByTestId('details-description')).toHaveText('Everything for the March launch');
  await expect(dave.page.getByTestId('conversation-pane').locator('h2').first()).toHaveText('Launch plan');

  // Alice adds Carol, found with the people search.
  await openDetails(alice.page);
  await panel.getByTestId('add-members').click();
  await panel.getByTestId('people-search').fill('car');
  await panel.getByTestId('person-carol').check();
  await panel.getByTestId('confirm-add').click();
  await expect(panel.getByTestId('member-carol')).toBeVisible();
  await expect(line(dave.page, 'Alice added Carol')).toBeVisible();
  await expect(line(alice.page, 'You added Carol')).toBeVisible();
  await expect(seen.getByTestId('member-carol')).toHaveAttribute('data-role', 'member');
  await expect(seen.getByTestId('member-carol')).toContainText('Carol');
  await shoot(alice.page, 'group-details-admin');
  await expectAccessible(alice.page, 'group-details-admin');
  await alice.page.keyboard.press('Escape');

  // Bob removes her again.
  await bobs.getByTestId('member-carol').getByTestId('remove-member').click();
  await expect(bobs.getByTestId('member-carol')).toHaveCount(0);
  await expect(line(dave.page, 'Bob removed Carol')).toBeVisible();
  await expect(seen.getByTestId('member-carol')).toHaveCount(0);
  await shoot(dave.page, 'group-details');
  await expectAccessible(dave.page, 'group-details');

  // Alice leaves, after saying so.
  await openDetails(alice.page);
  await panel.getByTestId('leave').click();
  await expect(panel.getByText('You keep the messages you have')).toBeVisible();
  await panel.getByTestId('confirm-leave').click();
  await expect(panel.getByTestId('not-member')).toBeVisible();
  await expect(line(dave.page, 'Alice left')).toBeVisible();
  await expect(seen.getByTestId('member-alice')).toHaveCount(0);
  await expect(seen.locator('[data-testid^=member-][data-role]')).toHaveCount(2);
  // Her copy keeps the history; she can post there no more.
  await alice.page.keyboard.press('Escape');
  await expect(alice.page.getByTestId('composer-blocked')).toHaveText('You are not a member of this group any more');
  await expect(line(alice.page, 'You left')).toBeVisible();
  await expect(line(alice.page, 'Bob removed Carol')).toBeVisible();

  // Dave's panel closes with Esc, and the focus is back in the app.
  await dave.page.keyboard.press('Escape');
  await expect(seen).toBeHidden();
});

test('a channel tells its members only admins post; message info lists who has a message and who has read it', async ({ launch, engine }) => {
  const bob = await engine('bob');
  const carol = await engine('carol');
  const alice = await launch({ as: 'alice' });
  await expectSignedIn(alice.page);

  // A channel Bob runs: Alice, a member, sees why she cannot post.
  const channel = await bob.createConversation({ type: 'channel', participants: ['alice', 'carol'], title: 'Announcements' });
  bob.sendMessage({ conversationId: channel.id }, 'The office is closed on Friday.');
  await openConversation(alice.page, 'Announcements');
  await expect(ui.message(alice.page, 'closed on Friday')).toBeVisible();
  await expect(alice.page.getByTestId('composer-blocked')).toHaveText('Only admins can post in this channel');
  await expect(ui.composer(alice.page)).toHaveCount(0);
  await shoot(alice.page, 'channel-member');
  await expectAccessible(alice.page, 'channel-member');

  // Alice's group with Bob and Carol: Bob reads her message, Carol only has it.
  const group = await bob.createConversation({ type: 'group', participants: ['alice', 'carol'], title: 'Design review' });
  await openConversation(alice.page, 'Design review');
  await expectAttentive(alice.page);
  const message = await send(alice.page, 'Mock-ups are in the shared folder.');
  await expect(message).toHaveAttribute('data-status', 'delivered');
  const seq = bob.readMessages(group.id).find((m) => m.body.startsWith('Mock-ups'))?.seq;
  expect(seq).toBeGreaterThan(0);
  bob.markRead(group.id, seq!);

  await message.hover();
  await message.getByTestId('message-info-button').click();
  const info = alice.page.getByTestId('message-info');
  await expect(info).toBeVisible();
  await expect(info.getByTestId('info-read-bob')).toBeVisible();
  await expect(info.getByTestId('info-delivered-carol')).toBeVisible();
  await shoot(alice.page, 'message-info');
  await expectAccessible(alice.page, 'message-info');
  // Carol reads it while the info is open: she moves to "Read by".
  carol.markRead(group.id, seq!);
  await expect(info.getByTestId('info-read-carol')).toBeVisible();
  await expect(message).toHaveAttribute('data-status', 'read');
  await alice.page.keyboard.press('Escape');
  await expect(info).toBeHidden();

  // The details panel at 480 px wide: the sheet takes the width.
  await alice.page.setViewportSize({ width: 480, height: 760 });
  const panel = await openDetails(alice.page);
  await expect(panel.getByTestId('member-bob')).toHaveAttribute('data-role', 'admin');
  await shoot(alice.page, 'group-details-480');
  await expectAccessible(alice.page, 'group-details-480');
});
