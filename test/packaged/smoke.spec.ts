// The packaged smoke test (release workflow, after `npm run dist:*`, on Windows, macOS and Linux under
// xvfb-run): the unpacked app electron-builder made, the very files the installer carries, started
// against an embedded demo server. It signs in (its database opens), sends a message over IPC,
// downloads an image Bob sends and shows it through parley-file:, and leaves screenshots in
// test-results/packaged/. It cannot run where there is no packaged app (this repository's own
// machines have no Electron binary): it fails there, saying so, and is not part of `npm test`.
//
// Playwright's _electron.launch() attaches to the main process through Node's --inspect, which the
// packaged app refuses (electron-builder.yml's fuses: enableNodeCliInspectArguments false), so it
// would wait for a debugger that never listens. The app is started as a user starts it instead, with
// Chromium's own --remote-debugging-port, and Playwright drives its window over CDP.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromium, expect, test, type Browser, type Page } from '@playwright/test';
import sharp from 'sharp';
import { DEMO_USERS } from '../../server/demo.js';
import { startServer } from '../../server/server.js';
import { cleanup, onCleanup, online, startClient, tempDir } from '../support/harness.js';

const root = resolve(import.meta.dirname, '..', '..');
const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
const shots = join(root, 'test-results', 'packaged');

/** The unpacked app electron-builder left in dist/ for this OS and architecture. */
function packagedApp(): string {
  const candidates =
    process.platform === 'win32'
      ? ['dist/win-unpacked/Parley.exe']
      : process.platform === 'darwin'
        ? [`dist/mac${process.arch === 'arm64' ? '-arm64' : ''}/Parley.app/Contents/MacOS/Parley`]
        : ['dist/linux-unpacked/parley'];
  const found = candidates.map((path) => join(root, path)).find(existsSync);
  if (!found) throw new Error(`no packaged app at ${candidates.join(', ')}: run npm run dist:<os> first (the release workflow does)`);
  return found;
}

/** Starts the app with Chromium's DevTools endpoint on a free port; resolves with its WebSocket URL. */
function launchPackaged(executable: string, env: NodeJS.ProcessEnv): Promise<{ app: ChildProcess; endpoint: string }> {
  // GitHub's Ubuntu runners restrict unprivileged user namespaces and the unpacked chrome-sandbox is not setuid.
  const args = ['--remote-debugging-port=0', ...(process.platform === 'linux' ? ['--no-sandbox'] : [])];
  const app = spawn(executable, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolvePromise, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`the app did not open its DevTools endpoint in 60 s:\n${output}`)), 60_000);
    const read = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /DevTools listening on (ws:\/\/\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolvePromise({ app, endpoint: match[1]! });
      }
    };
    app.stdout!.on('data', read);
    app.stderr!.on('data', read);
    app.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the app exited (${code}) before it opened a window:\n${output}`));
    });
  });
}

const APP_URL = /\/renderer\/index\.html$/;

/**
 * The app window's page, once it has loaded the app: the window may not be open yet (its 'page'
 * event says when) nor navigated to the app (its navigation says when).
 */
async function appPage(connected: Browser): Promise<Page> {
  const context = connected.contexts()[0];
  if (!context) throw new Error('the app exposed no browser context over CDP');
  const page = context.pages().find((p) => APP_URL.test(p.url())) ?? context.pages()[0] ?? (await context.waitForEvent('page', { timeout: 30_000 }));
  await page.waitForURL(APP_URL, { timeout: 30_000 });
  return page;
}

// Closed newest first: the window, the app, then the server, then the temp folders.
test.afterEach(cleanup);

test('the packaged app starts, signs in, sends, and shows a received image through parley-file:', async () => {
  test.setTimeout(180_000);
  mkdirSync(shots, { recursive: true });
  const executable = packagedApp();
  const server = await startServer({ port: 0, host: '127.0.0.1', dataDir: tempDir('parley-smoke-server-'), demo: true, logger: false });
  onCleanup(() => server.close());
  const tokens = server.demoTokens!;
  const demo = { serverUrl: server.url, users: DEMO_USERS.map((user) => ({ ...user, token: tokens[user.address]! })) };

  const launched = await launchPackaged(executable, {
    PARLEY_DATA_DIR: tempDir('parley-smoke-app-'),
    PARLEY_DEMO: JSON.stringify(demo),
    PARLEY_USER: 'alice',
  });
  onCleanup(() => void launched.app.kill());
  const browser = await chromium.connectOverCDP(launched.endpoint);
  onCleanup(() => browser.close().catch(() => {}));
  const page = await appPage(browser);

  // IPC is accepted from the app's own page, and this is the packaged version.
  const info = await page.evaluate(() => (globalThis as unknown as { parley: { getAppInfo(): Promise<{ host: string; version: string }> } }).parley.getAppInfo());
  expect(info).toMatchObject({ host: 'electron', version });

  // Signed in as alice: the session resumed from its database, the demo history read from it.
  await expect(page.getByTestId('signout')).toBeAttached({ timeout: 30_000 });
  const bobName = DEMO_USERS[1].name;
  const conversation = page.getByTestId('conversation-item').filter({ has: page.getByText(bobName, { exact: true }) });
  await conversation.click();
  await expect(page.getByTestId('message-list').getByTestId('message').filter({ hasText: 'Installers are on the file server.' })).toBeVisible();
  await page.screenshot({ path: join(shots, 'signed-in.png') });

  const text = `Smoke test from the packaged app on ${process.platform}-${process.arch}`;
  const composer = page.getByTestId('composer');
  await composer.fill(text);
  await composer.press('Enter');
  const mine = page.getByTestId('message-list').getByTestId('message').filter({ hasText: text });
  await expect(mine).toHaveAttribute('data-status', /^(sent|delivered|read)$/, { timeout: 20_000 });

  // Bob sends an image (an engine in this process); alice downloads it and views it full size.
  const bob = startClient(server.url, tokens['bob']!);
  await online(bob);
  const conversationId = bob.readConversations().find((c) => c.type === 'direct')!.id;
  const photo = join(tempDir('parley-smoke-photo-'), 'smoke.png');
  await sharp({ create: { width: 640, height: 480, channels: 3, background: '#2a7' } }).png().toFile(photo);
  await bob.sendFile({ conversationId }, photo);
  const received = page.getByTestId('message').filter({ has: page.getByTestId('file-message') }).last();
  await expect(received).toHaveAttribute('data-mine', 'false', { timeout: 30_000 });
  // A download button, unless the account's settings download images by themselves.
  const download = received.getByTestId('file-download');
  await expect(download.or(received.getByTestId('file-open'))).toBeVisible({ timeout: 30_000 });
  if (await download.isVisible()) await download.click();
  await expect(received.getByTestId('file-message')).toHaveAttribute('data-state', 'done', { timeout: 30_000 });
  await received.getByTestId('file-preview').click();
  const full = page.getByTestId('image-viewer').locator('img');
  await expect(full).toHaveAttribute('src', /^parley-file:\/\//);
  await expect.poll(() => full.evaluate((img: { naturalWidth: number }) => img.naturalWidth), { timeout: 20_000 }).toBe(640);
  await page.screenshot({ path: join(shots, 'image-viewer.png') });
  await page.keyboard.press('Escape');
});
