// Fixtures for the end-to-end tests, all in the test process: a real Parley server on 127.0.0.1
// (restartable on the same port and data dir), and Parley "windows": a bridge + browser host on
// their own data dir (one signed-in user each) opened in their own browser context.
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { AxeBuilder } from '@axe-core/playwright';
import { test as base, expect, type BrowserContext, type Locator, type Page } from '@playwright/test';
import { createBridge, type Bridge } from '../../main/bridge/index.js';
import { startBrowserHost, type BrowserHost } from '../../main/browser/host.js';
import { cleanup, startClient, startTestServer, online, tempDir, type TestServer } from '../support/harness.js';

export { expect };

// Page-side code (watchStatuses) runs in Chromium; the project's tsconfig has Node's types only, so
// the DOM globals it uses are declared here, module-local and loosely typed.
/* eslint-disable @typescript-eslint/no-explicit-any */
declare const window: any;
declare const document: any;
declare const MutationObserver: any;
declare const getComputedStyle: any;

const root = resolve(import.meta.dirname, '..', '..');
export const RENDERER_DIR = join(root, 'out', 'renderer');
export const SCREENSHOT_DIR = join(root, 'test-results', 'screenshots');
/** Quick reconnection after a server restart. */
const BACKOFF = { minDelay: 100, maxDelay: 1000 };

export interface LaunchOptions {
  /** Sign in at launch as this user (created on the server if needed) with a fresh token. */
  as?: string;
  /** Reuse a data dir (a relaunch); by default a new one. */
  dataDir?: string;
  /** Open the page (default true). */
  open?: boolean;
  /** The engine's reconnect backoff (default 100 ms to 1 s, so a restarted server is back quickly). */
  backoff?: { minDelay: number; maxDelay: number };
  /** Offer these users (created on the server) as an embedded server's demo users, as `npm start` does. */
  demo?: string[];
}

export interface ParleyWindow {
  page: Page;
  context: BrowserContext;
  dataDir: string;
  /** The browser host's URL, with its key. */
  url: string;
  address: string | null;
  /** The bridge's log lines, attached to the test's report. */
  log: string[];
  /** Uncaught errors in the page: a test fails if any happened. */
  pageErrors: string[];
  /** Stops the host and the bridge as a quit would; the page stays (and loses its bridge). */
  quit(): Promise<void>;
  /** Quits, then starts a new bridge and host on the same data dir and port, and opens the page on them. */
  relaunch(): Promise<void>;
}

export interface Fixtures {
  server: TestServer;
  /** Starts Parley for one user in a new browser context. */
  launch(options?: LaunchOptions): Promise<ParleyWindow>;
  /** A headless engine (no UI) signed in as this user: a peer that stores and acknowledges, never reads. */
  engine(address: string): Promise<ReturnType<typeof startClient>>;
}

export const test = base.extend<Fixtures>({
  // eslint-disable-next-line no-empty-pattern
  server: async ({}, use) => {
    const server = await startTestServer();
    await use(server);
    await cleanup();
  },

  launch: async ({ browser, server }, use, testInfo) => {
    const windows: ParleyWindow[] = [];
    const stops: Array<() => Promise<void>> = [];

    type Setup = Pick<LaunchOptions, 'backoff'> & { demo?: { serverUrl: string; users: Array<{ address: string; name: string; token: string }> } };
    async function start(dataDir: string, { backoff, demo }: Setup, signInWith?: { serverUrl: string; token: string }, port = 0) {
      const log: string[] = [];
      const bridge: Bridge = createBridge({
        dataDir,
        appInfo: { version: '0.0.0-e2e', platform: process.platform, host: 'browser' },
        signInWith,
        backoff,
        demo,
        log: (message, detail) => log.push(`${new Date().toISOString()} ${message}${detail === undefined ? '' : ` ${String(detail)}`}`),
      });
      const host: BrowserHost = await startBrowserHost({ bridge, rendererDir: RENDERER_DIR, port, log: (m) => log.push(m) });
      let stopped = false;
      const stop = async () => {
        if (stopped) return;
        stopped = true;
        await host.close();
        bridge.close();
      };
      stops.push(stop);
      return { host, log, stop };
    }

    await use(async (options = {}) => {
      const dataDir = options.dataDir ?? tempDir('parley-e2e-app-');
      mkdirSync(dataDir, { recursive: true });
      const address = options.as ?? null;
      const token = address ? await server.user(address, displayName(address)) : undefined;
      const users = [];
      for (const demoUser of options.demo ?? []) {
        users.push({ address: demoUser, name: displayName(demoUser), token: await server.user(demoUser, displayName(demoUser)) });
      }
      const setup = { backoff: options.backoff ?? BACKOFF, demo: users.length ? { serverUrl: server.url, users } : undefined };
      let running = await start(dataDir, setup, token ? { serverUrl: server.url, token } : undefined);
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      const page = await context.newPage();
      const pageErrors: string[] = [];
      page.on('pageerror', (error) => pageErrors.push(`${error.name}: ${error.message}`));
      page.on('console', (message) => {
        if (message.type() === 'error') running.log.push(`[console.error] ${message.text()} (${message.location().url})`);
      });
      const parley: ParleyWindow = {
        page,
        context,
        dataDir,
        get url() {
          return running.host.url;
        },
        address,
        get log() {
          return running.log;
        },
        pageErrors,
        quit: () => running.stop(),
        async relaunch() {
          await running.stop();
          const previous = running.log;
          // The same port, as with a fixed --ui-port: the page's origin, and so its localStorage
          // (the last opened conversation, drafts), stays the same.
          running = await start(dataDir, setup, undefined, running.host.port);
          running.log.unshift(...previous, '--- relaunch ---');
          // Only the fragment (the key) differs: without leaving first, goto would not reload the app.
          await page.goto('about:blank');
          await page.goto(running.host.url);
        },
      };
      windows.push(parley);
      if (options.open !== false) await page.goto(running.host.url);
      return parley;
    });

    for (const [i, w] of windows.entries()) {
      if (testInfo.status !== testInfo.expectedStatus || w.pageErrors.length) {
        await testInfo.attach(`bridge-log-${w.address ?? i}`, { body: w.log.join('\n'), contentType: 'text/plain' });
      }
    }
    for (const w of windows) await w.context.close().catch(() => {});
    for (const stop of stops) await stop().catch(() => {});
    // A page that threw is a bug even when the assertions passed.
    for (const w of windows) expect(w.pageErrors, `uncaught errors in ${w.address ?? 'a'} window`).toEqual([]);
  },

  engine: async ({ server }, use) => {
    await use(async (address) => {
      const token = await server.user(address, displayName(address));
      const client = startClient(server.url, token);
      await online(client);
      return client;
    });
  },
});

// ——— Locators and steps over the renderer's test hooks (data-testid) ———

export const ui = {
  conversations: (page: Page): Locator => page.getByTestId('conversation-item'),
  /** The list item whose title is exactly `title`. */
  conversation: (page: Page, title: string): Locator =>
    page.getByTestId('conversation-item').filter({ has: page.getByText(title, { exact: true }) }),
  messages: (page: Page): Locator => page.getByTestId('message-list').getByTestId('message'),
  message: (page: Page, text: string | RegExp): Locator => page.getByTestId('message-list').getByTestId('message').filter({ hasText: text }),
  composer: (page: Page): Locator => page.getByTestId('composer'),
  banner: (page: Page): Locator => page.getByTestId('connection-banner'),
};

/** The main screen is up: the user is signed in. */
export async function expectSignedIn(page: Page): Promise<void> {
  await expect(page.getByTestId('signout')).toBeAttached({ timeout: 15_000 });
  await expect(page.getByTestId('signin-submit')).toHaveCount(0);
}

const SCHEMES = ['light', 'dark'] as const;

type Scheme = (typeof SCHEMES)[number];

/** The app follows the scheme (prefers-color-scheme): switches the page to it and waits until it applies. */
async function emulateScheme(page: Page, colorScheme: Scheme): Promise<void> {
  await page.emulateMedia({ colorScheme });
  await expect.poll(() => page.evaluate(() => window.matchMedia('(prefers-color-scheme: dark)').matches)).toBe(colorScheme === 'dark');
}

/** Screenshots of the page as it is, in light and dark: test-results/screenshots/<name>-<scheme>.png. */
export async function shoot(page: Page, name: string): Promise<void> {
  for (const colorScheme of SCHEMES) {
    await emulateScheme(page, colorScheme);
    await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}-${colorScheme}.png`), animations: 'disabled' });
  }
  await page.emulateMedia({ colorScheme: null });
}

/** WCAG 2.0 and 2.1, levels A and AA: what the team brief promises. */
const WCAG_AA = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

/**
 * axe-core finds nothing on the page as it is now, in the given colour scheme(s) (both by default: the
 * palette differs, and so does contrast). Fails with one line per violation and element: the rule, the
 * element's selector and axe's summary of what is wrong.
 */
export async function expectAccessible(page: Page, screen: string, schemes: readonly Scheme[] = SCHEMES): Promise<void> {
  for (const colorScheme of schemes) {
    await emulateScheme(page, colorScheme);
    // Colours fade between the schemes (transitions): contrast is measured once they have settled (a
    // transition replaced by the next one, as a progress bar's, rejects: it has settled too).
    await page.evaluate(() =>
      Promise.all(
        document
          .getAnimations()
          .filter((a: any) => a.effect?.getComputedTiming().iterations !== Infinity)
          .map((a: any) => a.finished.catch(() => undefined)),
      ),
    );
    const { violations } = await new AxeBuilder({ page }).withTags(WCAG_AA).analyze();
    const found = violations.flatMap((v) =>
      v.nodes.map((node) => `${v.id} (${v.impact ?? 'n/a'}) at ${node.target.join(' ')}: ${node.failureSummary?.replace(/\s+/g, ' ') ?? v.help}`),
    );
    // Soft: every screen's findings are listed in one run, and the test still fails.
    expect.soft(found, `axe-core WCAG 2.1 AA violations on "${screen}" (${colorScheme})`).toEqual([]);
  }
  await page.emulateMedia({ colorScheme: null });
}

/**
 * Keyboard first: Tab reaches every control a mouse reaches on the page as it is now (inside the open
 * modal dialog when there is one), and each looks different once it has the focus (its own ring, or its
 * box's, as the composer's). A radio group counts as reached through any of its radios.
 */
export async function expectKeyboardReachable(page: Page, screen: string): Promise<void> {
  await page.mouse.move(0, 0);
  const controls: string[] = await page.evaluate(() => {
    const scope = document.querySelector('dialog:modal') ?? document;
    const candidates = [...scope.querySelectorAll('button, a[href], input, textarea, select, [tabindex]')].filter(
      // A native control made unfocusable (tabindex -1) is still one a mouse can use: it counts, unless
      // it is hidden from everyone (aria-hidden) and driven by another control (a file input behind a button).
      (el: any) =>
        (el.tabIndex >= 0 || el.matches('button, a[href], input, textarea, select')) &&
        !el.disabled &&
        !el.closest('[aria-hidden="true"]') &&
        el.getClientRects().length > 0 &&
        getComputedStyle(el).visibility === 'visible',
    );
    const look = (el: any) =>
      [el, el.parentElement, el.parentElement?.parentElement]
        .filter(Boolean)
        .map((e: any) => {
          const cs = getComputedStyle(e);
          return [cs.boxShadow, cs.outlineStyle, cs.outlineWidth, cs.outlineColor, cs.borderColor, cs.backgroundColor].join(' ');
        })
        .join(' | ');
    document.activeElement?.blur?.();
    window.__keyboard = { look, before: new Map(candidates.map((el: any) => [el, look(el)])), names: new Map() };
    return candidates.map((el: any, i: number) => {
      const name = el.type === 'radio' && el.name ? `radio group "${el.name}"` : `${el.tagName.toLowerCase()} ${el.getAttribute('data-testid') ?? el.getAttribute('aria-label') ?? (el.labels?.[0]?.textContent ?? el.textContent ?? '').trim().slice(0, 40)} (#${i})`;
      window.__keyboard.names.set(el, name);
      return name;
    });
  });
  const reached = new Set<string>();
  const unmarked = new Set<string>();
  for (let i = 0; i < controls.length * 2 + 4 && reached.size < new Set(controls).size; i++) {
    await page.keyboard.press('Tab');
    const at: { name: string; changed: boolean } | null = await page.evaluate(() => {
      const el = document.activeElement;
      const name = window.__keyboard.names.get(el);
      return name === undefined ? null : { name, changed: window.__keyboard.look(el) !== window.__keyboard.before.get(el) };
    });
    if (!at) continue;
    reached.add(at.name);
    if (!at.changed) unmarked.add(at.name);
  }
  expect.soft(controls.filter((c) => !reached.has(c)), `controls Tab does not reach on "${screen}"`).toEqual([]);
  expect.soft([...unmarked], `controls without a visible focus ring on "${screen}"`).toEqual([]);
}

/** Types into the composer and sends with Enter; the message is found by `shown`, its text as drawn (Markdown formats it). */
export async function send(page: Page, text: string, shown: string = text): Promise<Locator> {
  const composer = ui.composer(page);
  await composer.click();
  await composer.fill(text);
  await composer.press('Enter');
  await expect(composer).toHaveValue('');
  const message = ui.message(page, shown).first();
  await expect(message).toBeVisible();
  return message;
}

/** Opens the conversation titled `title`. */
export async function openConversation(page: Page, title: string): Promise<void> {
  const item = ui.conversation(page, title);
  await item.click();
  await expect(item).toHaveAttribute('aria-selected', 'true');
}

/** Starts (or opens) a direct conversation with `peer` through the New conversation dialog. */
export async function startDirect(page: Page, peer: string): Promise<void> {
  await page.getByTestId('new-conversation').click();
  const dialog = page.getByTestId('new-conversation-dialog');
  await expect(dialog).toBeVisible();
  await dialog.getByTestId('people-search').fill(peer);
  await dialog.getByTestId(`person-${peer}`).check();
  await dialog.getByTestId('create-conversation').click();
  await expect(dialog).toBeHidden();
  await expect(page.getByTestId('conversation-item').and(page.locator('[aria-selected=true]'))).toContainText(displayName(peer));
}

/** The display name tests give a user: alice → Alice (creating a user again keeps its first name). */
export const displayName = (address: string) => address.charAt(0).toUpperCase() + address.slice(1);

/**
 * Records every status each of my messages shows, in order, from now on (a MutationObserver in the
 * page, so a status that lasts one frame is seen too). Returns a reader: the statuses of the message
 * whose text contains `text`.
 */
export async function watchStatuses(page: Page): Promise<(text: string) => Promise<string[]>> {
  await page.evaluate(() => {
    const seen: Record<string, { text: string; statuses: string[] }> = {};
    window.__statuses = seen;
    const scan = () => {
      for (const el of document.querySelectorAll('[data-testid="message"][data-mine="true"]')) {
        const id = el.getAttribute('data-message-id') ?? '';
        const status = el.getAttribute('data-status') ?? '';
        const entry = (seen[id] ??= { text: el.textContent ?? '', statuses: [] });
        if (entry.statuses.at(-1) !== status) entry.statuses.push(status);
      }
    };
    scan();
    new MutationObserver(scan).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-status'] });
  });
  return (text) =>
    page.evaluate((text) => {
      const seen = window.__statuses as Record<string, { text: string; statuses: string[] }>;
      return Object.values(seen).find((e) => e.text.includes(text))?.statuses ?? [];
    }, text);
}

/** Whether the page would count as looked at (the app marks read only then). */
export async function expectAttentive(page: Page): Promise<void> {
  const attentive = () => page.evaluate(() => document.visibilityState === 'visible' && document.hasFocus() === true);
  if (!(await attentive())) await page.bringToFront();
  expect(await attentive(), 'the page is visible and focused').toBe(true);
}
