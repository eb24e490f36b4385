// A file from one person to another: Alice drops an image on the conversation, Bob sees its preview,
// downloads it and views it full size from his own device.
import sharp from 'sharp';
import { expect, expectAccessible, expectKeyboardReachable, expectSignedIn, openConversation, startDirect, test, ui } from './support.js';

// Page-side code runs in Chromium; the project's tsconfig has Node's types only.
/* eslint-disable @typescript-eslint/no-explicit-any */
declare const DataTransfer: any;

test('one user drops an image, the other sees its preview and downloads it', async ({ launch }) => {
  const png = await sharp({ create: { width: 640, height: 480, channels: 3, background: '#3a7bd5' } }).png().toBuffer();
  const alice = await launch({ as: 'alice' });
  const bob = await launch({ as: 'bob' });
  await expectSignedIn(alice.page);
  await startDirect(alice.page, 'bob');

  // A drop as the browser makes it: a DataTransfer holding the file, on the conversation pane.
  const pane = alice.page.getByTestId('conversation-pane');
  const dataTransfer = await alice.page.evaluateHandle((base64: string) => {
    const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
    const transfer = new DataTransfer();
    transfer.items.add(new File([bytes], 'sunset.png', { type: 'image/png' }));
    return transfer;
  }, png.toString('base64'));
  await pane.dispatchEvent('dragenter', { dataTransfer });
  await expect(pane.getByText('Drop files to send them')).toBeVisible();
  await expectAccessible(alice.page, 'files dragged over a conversation');
  await pane.dispatchEvent('drop', { dataTransfer });
  await expect(pane.getByText('Drop files to send them')).toBeHidden();

  const sent = alice.page.getByTestId('message').filter({ has: alice.page.getByTestId('file-message') });
  await expect(sent).toHaveAttribute('data-mine', 'true');
  await expect(sent).toHaveAttribute('data-status', /sent|delivered|read/, { timeout: 20_000 });
  // The preview is the engine's JPEG, at most 320 px on its long side, at its own size.
  await expect(sent.getByTestId('file-preview').locator('img')).toHaveAttribute('width', '320');
  await expect(sent.getByTestId('file-preview').locator('img')).toHaveAttribute('height', '240');

  await expectSignedIn(bob.page);
  await expect(ui.conversation(bob.page, 'Alice')).toContainText('📎 sunset.png');
  await openConversation(bob.page, 'Alice');
  const received = bob.page.getByTestId('message').filter({ has: bob.page.getByTestId('file-message') });
  await expect(received).toHaveAttribute('data-mine', 'false', { timeout: 20_000 });
  const preview = received.getByTestId('file-preview').locator('img');
  await expect(preview).toHaveAttribute('src', /^data:image\/jpeg;base64,/);
  await expect.poll(() => preview.evaluate((img: { naturalWidth: number }) => img.naturalWidth)).toBe(320);

  await received.getByTestId('file-download').click();
  const file = received.getByTestId('file-message');
  await expect(file).toHaveAttribute('data-state', 'done', { timeout: 20_000 });
  await expect(file).toHaveAttribute('data-stage', 'local');
  await expect(received.getByTestId('file-open')).toBeVisible();
  await expect(received.getByTestId('file-download')).toHaveCount(0);
  await bob.page.screenshot({ path: 'test-results/screenshots/file-message-light.png' });
  await expectAccessible(bob.page, 'a received image, downloaded');
  await expectKeyboardReachable(bob.page, 'a received image, downloaded');

  // Full size, served by Bob's host from the file his engine saved and checked.
  await received.getByTestId('file-preview').click();
  const full = bob.page.getByTestId('image-viewer').locator('img');
  await expect(full).toBeVisible();
  await expect.poll(() => full.evaluate((img: { naturalWidth: number }) => img.naturalWidth)).toBe(640);
  await expectAccessible(bob.page, 'image viewer');
  await expectKeyboardReachable(bob.page, 'image viewer');
  await bob.page.keyboard.press('Escape');
  await expect(bob.page.getByTestId('image-viewer')).toBeHidden();
});

test('a file sent while the server is down waits with its progress; stopped, it resumes once the server is back', async ({ server, launch }) => {
  await server.user('bob', 'Bob');
  const alice = await launch({ as: 'alice' });
  await expectSignedIn(alice.page);
  await startDirect(alice.page, 'bob');
  await server.stop();
  await expect(ui.banner(alice.page)).toBeVisible();

  const pane = alice.page.getByTestId('conversation-pane');
  const dataTransfer = await alice.page.evaluateHandle(() => {
    const transfer = new DataTransfer();
    transfer.items.add(new File([new Uint8Array(300_000)], 'minutes.pdf', { type: 'application/pdf' }));
    return transfer;
  });
  await pane.dispatchEvent('drop', { dataTransfer });
  const file = alice.page.getByTestId('file-message');
  await expect(file).toContainText('minutes.pdf');
  await expect(file.getByTestId('file-progress')).toBeVisible();
  await expect(file.getByTestId('file-progress')).toContainText('0 B / 300 KB');
  await expectAccessible(alice.page, 'a file waiting to upload, offline');

  await file.getByRole('button', { name: 'Stop' }).click();
  await expect(file).toHaveAttribute('data-stage', 'paused');
  await expect(file.getByTestId('file-progress')).toContainText('stopped');
  await expectAccessible(alice.page, 'a stopped upload');
  await expectKeyboardReachable(alice.page, 'a stopped upload');

  await server.restart();
  await expect(ui.banner(alice.page)).toBeHidden({ timeout: 15_000 });
  await file.getByRole('button', { name: 'Resume' }).click();
  const sent = alice.page.getByTestId('message').filter({ has: file });
  await expect(sent).toHaveAttribute('data-status', /sent|delivered/, { timeout: 20_000 });
  await expect(file.getByTestId('file-progress')).toHaveCount(0);
});
