// A long conversation: it opens at its newest message, stays at its end when the list gets shorter,
// and scrolling up pages in older history from the local store down to the first message.
import type { Page } from '@playwright/test';
import { expect, expectSignedIn, test, ui, type Fixtures } from './support.js';
import type { TestServer } from '../support/harness.js';

declare const document: { querySelector(selector: string): { scrollTop: number } | null };

const COUNT = 160;

/** Bob has written COUNT lines to Alice, who has read them (on another device), and whose Parley is open on them. */
async function longConversation({ server, launch, engine }: { server: TestServer } & Pick<Fixtures, 'launch' | 'engine'>): Promise<Page> {
  await server.user('alice');
  const bob = await engine('bob');
  const conversation = await bob.createConversation({ type: 'direct', participants: ['alice'] });
  for (let n = 1; n <= COUNT; n++) {
    bob.sendMessage({ conversationId: conversation.id }, `Line ${n}: ${'words to fill the row '.repeat(1 + (n % 4))}`);
  }
  await expect.poll(() => bob.readConversations()[0]?.lastSeq, { timeout: 20_000 }).toBe(COUNT);
  // Read already: the conversation opens at its newest message, not at the first unread.
  const alicesPhone = await engine('alice');
  await expect.poll(() => alicesPhone.readConversation(conversation.id)?.lastSeq, { timeout: 20_000 }).toBe(COUNT);
  alicesPhone.markRead(conversation.id, COUNT);
  await expect.poll(() => bob.readMessages(conversation.id, { limit: 1 })[0]?.status, { timeout: 20_000 }).toBe('read');
  const { page } = await launch({ as: 'alice' });
  await expectSignedIn(page);
  await expect(ui.message(page, `Line ${COUNT}:`)).toBeVisible();
  return page;
}

/** The newest message is wholly in view: its bottom edge inside the list's box, not cut off below it. */
async function expectNewestInView(page: Page, when: string): Promise<void> {
  const list = page.getByTestId('message-list');
  const newest = ui.message(page, `Line ${COUNT}:`);
  await expect
    .poll(async () => {
      const [box, view] = await Promise.all([newest.boundingBox(), list.boundingBox()]);
      return box && view ? Math.round(view.y + view.height - (box.y + box.height)) : -1;
    }, { message: `${when}: pixels between the newest message and the bottom of the list (negative: cut off)` })
    .toBeGreaterThanOrEqual(0);
}

test('a long conversation opens at its newest message and scrolls back to its first', async ({ server, launch, engine }) => {
  const page = await longConversation({ server, launch, engine });
  await expectNewestInView(page, 'at open');
  // Only the rows in view (and a few around them) are in the DOM.
  expect(await ui.messages(page).count()).toBeLessThan(COUNT);

  // Scroll to the top again and again: older pages come in until the first message shows.
  const first = ui.message(page, 'Line 1:');
  await expect(async () => {
    await page.evaluate(() => {
      document.querySelector('[data-testid="message-list"]')!.scrollTop = 0;
    });
    await expect(first).toBeVisible({ timeout: 500 });
  }).toPass({ timeout: 20_000 });
  await expect(ui.message(page, 'Line 2:')).toBeVisible();
});

test('at its end, the message list stays there when it gets shorter (banner above, taller draft below)', async ({ server, launch, engine }) => {
  const page = await longConversation({ server, launch, engine });
  await expectNewestInView(page, 'at open');

  const composer = ui.composer(page);
  await composer.click();
  await composer.pressSequentially('one');
  for (const line of ['two', 'three', 'four']) {
    await composer.press('Shift+Enter');
    await composer.pressSequentially(line);
  }
  await expectNewestInView(page, 'with a four-line draft');
  await composer.fill('');

  await server.stop();
  await expect(ui.banner(page)).toBeVisible();
  await expectNewestInView(page, 'with the offline banner shown');
});
