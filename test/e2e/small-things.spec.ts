// The small things a new user tripped over (issue 15): jumping with Ctrl+K and Enter, a message over
// the size limit, a 480 px wide window, my pending message in the list. Screenshots at 480 px in light
// and dark: test-results/screenshots/narrow-*.png.
import type { TestServer } from '../support/harness.js';
import { displayName, expect, expectAccessible, expectKeyboardReachable, expectSignedIn, openConversation, send, shoot, startDirect, test, ui } from './support.js';

// Page-side code runs in Chromium; the project's tsconfig has Node's types only.
declare const document: { documentElement: { scrollWidth: number } };

async function users(server: TestServer, ...addresses: string[]): Promise<void> {
  for (const address of addresses) await server.user(address, displayName(address));
}

test('Ctrl+K, a name and Enter open the conversation with the focus in its composer', async ({ server, launch, engine }) => {
  await users(server, 'alice', 'bob');
  const carol = await engine('carol');
  await carol.createConversation({ type: 'group', participants: ['alice', 'bob'], title: 'Launch plan' });
  await carol.caughtUp();
  const { page } = await launch({ as: 'alice' });
  await expectSignedIn(page);
  await startDirect(page, 'bob');
  await expect(ui.conversations(page)).toHaveCount(2);

  await page.keyboard.press('Control+k');
  await expect(page.getByTestId('conversation-filter')).toBeFocused();
  await page.keyboard.type('launch');
  await page.keyboard.press('Enter');
  await expect(ui.conversation(page, 'Launch plan')).toHaveAttribute('aria-selected', 'true');
  await expect(ui.composer(page)).toBeFocused();
  await expect(page.getByTestId('conversation-filter')).toHaveValue('');
  // Typing goes straight into the conversation.
  await page.keyboard.type('on my way');
  await page.keyboard.press('Enter');
  await expect(ui.message(page, 'on my way')).toBeVisible();
});

test('a message over 64 KiB: a counter near the limit, Send disabled past it with the reason', async ({ server, launch }) => {
  await users(server, 'bob');
  const { page } = await launch({ as: 'alice' });
  await expectSignedIn(page);
  await startDirect(page, 'bob');
  const limit = page.getByTestId('composer-limit');
  await ui.composer(page).fill('x'.repeat(60_000));
  await expect(limit).toHaveText('5,536 bytes left of 65,536 bytes (64 KiB)');
  await expect(page.getByTestId('send')).toBeEnabled();
  await ui.composer(page).fill('x'.repeat(70_000));
  await expect(limit).toHaveText('Too long to send: 4,464 bytes over the limit of 65,536 bytes (64 KiB)');
  await expect(page.getByTestId('send')).toBeDisabled();
  await ui.composer(page).press('Enter');
  await expect(ui.messages(page)).toHaveCount(0);
  await expect(ui.composer(page)).toHaveAttribute('aria-invalid', 'true');
  await expectAccessible(page, 'composer over the size limit');
});

test('my message shows in the list while it is still being sent', async ({ server, launch }) => {
  await users(server, 'bob');
  const { page } = await launch({ as: 'alice' });
  await expectSignedIn(page);
  await startDirect(page, 'bob');
  await send(page, 'first');
  await server.stop();
  await expect(ui.banner(page)).toContainText(/offline/i);
  await send(page, 'written offline');
  await expect(ui.message(page, 'written offline')).toHaveAttribute('data-status', 'sending');
  await expect(ui.conversation(page, 'Bob')).toContainText('You: written offline');
});

test('at 480 px wide the list folds away behind a Conversations button (light and dark)', async ({ server, launch, engine }) => {
  await users(server, 'alice');
  const bob = await engine('bob');
  const direct = await bob.createConversation({ type: 'direct', participants: ['alice'] });
  bob.sendMessage({ conversationId: direct.id }, 'Morning! Did the build go out last night?');
  await bob.caughtUp();
  const { page } = await launch({ as: 'alice' });
  await page.setViewportSize({ width: 480, height: 760 });
  await expectSignedIn(page);

  // The conversation open at launch fills the window; the list is one click away.
  const showList = page.getByTestId('show-list');
  await expect(ui.message(page, 'build go out')).toBeVisible();
  await expect(ui.conversations(page)).toBeHidden();
  await send(page, 'It did, the installers are on the file server.');
  await shoot(page, 'narrow-conversation');
  await expectAccessible(page, '480 px wide, a conversation');
  await expectKeyboardReachable(page, '480 px wide, a conversation');
  await showList.click();
  await expect(page.locator('#conversation-list')).toBeFocused();
  await expect(ui.conversations(page)).toHaveCount(1);
  await expect(page.getByTestId('conversation-pane')).toBeHidden();
  await shoot(page, 'narrow-list');
  await expectAccessible(page, '480 px wide, the list');
  await expectKeyboardReachable(page, '480 px wide, the list');
  // A choice in the list brings the conversation back, ready to type.
  await openConversation(page, 'Bob');
  await expect(page.getByTestId('conversation-pane')).toBeVisible();
  await expect(ui.composer(page)).toBeFocused();
  // Nothing sticks out sideways.
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(480);

  // Wide again: both, and no Conversations button.
  await page.setViewportSize({ width: 1000, height: 760 });
  await expect(ui.conversations(page)).toBeVisible();
  await expect(showList).toBeHidden();
});
