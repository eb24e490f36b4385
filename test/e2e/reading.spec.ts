// Read means seen: a message is read once it has been on screen in a focused window, never because it
// was loaded. Scrolled up, new messages wait under a pill; a conversation with unread messages opens at
// the first of them under a "New messages" line; a parley:// link opens at the message it names.
import type { Locator, Page } from '@playwright/test';
import { expect, expectAccessible, expectAttentive, expectSignedIn, shoot, test, ui, type Fixtures } from './support.js';
import type { TestServer } from '../support/harness.js';

type Setup = { server: TestServer } & Pick<Fixtures, 'launch' | 'engine'>;

/** Rows a few lines tall, so a screenful holds only some of them. */
const line = (label: string) => `${label}: ${'some words to fill the row '.repeat(4)}`;

/** Bob (a headless engine: stores, acknowledges, never reads) and Alice's phone (another of her devices), in one direct conversation. */
async function conversationWithBob({ server, engine }: Setup) {
  await server.user('alice');
  const bob = await engine('bob');
  const { id } = await bob.createConversation({ type: 'direct', participants: ['alice'] });
  const phone = await engine('alice');
  await expect.poll(() => phone.readConversation(id) !== null).toBe(true);
  /** Waits until both engines have stored `seq` events. */
  const stored = (seq: number) =>
    Promise.all([bob, phone].map((engine) => expect.poll(() => engine.readConversation(id)?.lastSeq, { timeout: 20_000 }).toBe(seq)));
  /** The status of Bob's message with this text, as his engine shows it (his ticks). */
  const bobsTick = (text: string) => bob.readMessages(id, { limit: 500 }).find((m) => m.body.startsWith(text))?.status;
  return { bob, phone, id, stored, bobsTick };
}

async function openAlice(launch: Fixtures['launch']): Promise<Page> {
  const { page } = await launch({ as: 'alice' });
  await expectSignedIn(page);
  await expectAttentive(page);
  return page;
}

const unreadBadge = (page: Page): Locator => ui.conversation(page, 'Bob').locator('.badge');
const unreadCount = async (page: Page) => ((await unreadBadge(page).count()) ? Number.parseInt((await unreadBadge(page).innerText()).trim(), 10) : 0);
const list = (page: Page) => page.getByTestId('message-list');

test('scrolled up, a new message is not read: a pill counts it, and jumping to it reads it', async ({ server, launch, engine }) => {
  const { bob, phone, id, stored, bobsTick } = await conversationWithBob({ server, launch, engine });
  // A long history, all written on Alice's phone: hers, so nothing is unread.
  for (let n = 1; n <= 80; n++) phone.sendMessage({ conversationId: id }, line(`Note ${n}`));
  await stored(80);
  const page = await openAlice(launch);
  await expect(ui.message(page, 'Note 80:')).toBeVisible();
  await expect(page.getByTestId('jump-to-newest')).toHaveCount(0);

  await list(page).evaluate((el) => el.scrollTo({ top: 0 }));
  await expect(page.getByTestId('jump-to-newest')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Jump to the newest messages' })).toBeVisible();

  bob.sendMessage({ conversationId: id }, 'Are you still there?');
  const pill = page.getByTestId('new-messages-pill');
  await expect(pill).toHaveText('1 new message');
  // Alice's device has it (Bob's tick says delivered) and the list counts it unread: stored, not seen.
  await expect.poll(() => bobsTick('Are you still there?')).toBe('delivered');
  await expect(unreadBadge(page)).toContainText('1');
  expect(bobsTick('Are you still there?')).toBe('delivered');
  await shoot(page, 'reading-new-messages-pill');
  await expectAccessible(page, 'reading-new-messages-pill');
  await page.setViewportSize({ width: 480, height: 800 });
  await expect(pill).toBeInViewport();
  await shoot(page, 'reading-new-messages-pill-narrow');
  await expectAccessible(page, 'reading-new-messages-pill-narrow');
  await page.setViewportSize({ width: 1280, height: 800 });

  // The keyboard reaches it by its name; Enter jumps to the newest, where it is seen and read.
  const jump = page.getByRole('button', { name: '1 new message: jump to the newest' });
  await jump.focus();
  await page.keyboard.press('Enter');
  await expect(ui.message(page, 'Are you still there?')).toBeInViewport();
  await expect(page.getByTestId('jump-to-newest')).toHaveCount(0);
  await expect.poll(() => bobsTick('Are you still there?'), { timeout: 10_000 }).toBe('read');
  await expect(unreadBadge(page)).toHaveCount(0);

  // At the bottom, with the focus, the next one is read after a glance.
  bob.sendMessage({ conversationId: id }, 'Good, you are back');
  await expect(ui.message(page, 'Good, you are back')).toBeInViewport();
  await expect.poll(() => bobsTick('Good, you are back'), { timeout: 10_000 }).toBe('read');
});

test('30 unread open at the first of them under a "New messages" line, and the count falls as they are seen', async ({ server, launch, engine }) => {
  const { bob, phone, id, stored, bobsTick } = await conversationWithBob({ server, launch, engine });
  for (let n = 1; n <= 20; n++) phone.sendMessage({ conversationId: id }, line(`Earlier ${n}`));
  await stored(20);
  for (let n = 1; n <= 30; n++) bob.sendMessage({ conversationId: id }, line(`Unread ${n}`));
  await stored(50);

  const page = await openAlice(launch);
  const divider = page.getByTestId('unread-divider');
  await expect(divider).toBeVisible();
  await expect(divider).toHaveAccessibleName('New messages');
  // Right before the first unread message, in its row, with what came before it above.
  const row = page.locator('[role=listitem]', { has: divider });
  await expect(row.getByTestId('message')).toContainText('Unread 1:');
  await expect(row).toHaveAttribute('data-seq', '21');
  await expect(ui.message(page, 'Earlier 20:')).toBeInViewport({ ratio: 0.5 });
  // Near the top of the list, not scrolled to the newest.
  const [rowBox, listBox] = await Promise.all([row.boundingBox(), list(page).boundingBox()]);
  expect(rowBox!.y - listBox!.y).toBeLessThan(listBox!.height / 3);
  await expect(ui.message(page, 'Unread 30:')).not.toBeInViewport();
  await shoot(page, 'reading-new-messages-divider');

  // What is on screen is read after the dwell; what is below it is not.
  await expect.poll(() => unreadCount(page), { timeout: 10_000 }).toBeLessThan(30);
  const afterFirstScreen = await unreadCount(page);
  expect(afterFirstScreen).toBeGreaterThan(0);
  expect(bobsTick('Unread 30:')).toBe('delivered');

  // Scrolling down reads the rest, half a screen at a time, each looked at for its dwell (a row
  // scrolled past sooner is not seen, and the read mark never moves over it).
  for (let left = afterFirstScreen; left > 0; left = await unreadCount(page)) {
    await list(page).evaluate((el) => el.scrollBy({ top: el.clientHeight / 2 }));
    await expect.poll(() => unreadCount(page), { timeout: 10_000 }).toBeLessThan(left);
  }
  await expect.poll(() => bobsTick('Unread 30:'), { timeout: 10_000 }).toBe('read');
  // The line stays while the conversation is open: scrolling back up finds it again.
  await expect(async () => {
    await list(page).evaluate((el) => el.scrollBy({ top: -el.clientHeight / 2 }));
    await expect(divider).toBeInViewport({ timeout: 500 });
  }).toPass({ timeout: 20_000 });
  await expect(page.locator('[role=listitem]', { has: divider }).getByTestId('message')).toContainText('Unread 1:');
  // Checked last: axe scrolls what it checks into view, which would stand in for the reader above.
  await expectAccessible(page, 'reading-new-messages-divider');
});

test('a parley:// link to an old message opens at it, highlighted, with its context, and pages on to the newest', async ({ server, launch, engine }) => {
  const { bob, phone, id, stored } = await conversationWithBob({ server, launch, engine });
  for (let n = 1; n <= 300; n++) bob.sendMessage({ conversationId: id }, line(`Old ${n}`));
  await stored(300);
  phone.markRead(id, 300);
  phone.sendMessage({ conversationId: id }, `Remember this one? parley://conversation/${id}/12`);
  await stored(301);

  const page = await openAlice(launch);
  const link = page.getByTestId('conversation-link');
  await expect(link).toBeVisible();
  await link.click();

  const target = ui.message(page, 'Old 12:');
  await expect(target).toBeInViewport();
  await expect(page.locator('[role=listitem].highlight')).toHaveAttribute('data-seq', '12');
  await expect(ui.message(page, 'Old 11:')).toBeAttached(); // the history around it is loaded
  await expect(ui.message(page, 'Old 13:')).toBeAttached();
  await expect(page.locator('[role=listitem].highlight')).toHaveCount(0, { timeout: 10_000 }); // only briefly

  // Scrolling down pages newer history in until the newest message.
  await expect(async () => {
    await list(page).evaluate((el) => el.scrollTo({ top: el.scrollHeight }));
    await expect(ui.message(page, 'Remember this one?')).toBeVisible({ timeout: 500 });
  }).toPass({ timeout: 20_000 });
  await expect(ui.message(page, 'Old 300:')).toBeAttached();
});
