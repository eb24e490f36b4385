// npm run bench:startup — with 1,000,000 messages in the store, the time from launch to the
// conversation list and the newest 50 messages of the top conversation on screen (browser host,
// Playwright + Debian's Chromium), beside the same with 1,000 messages.
// Targets: ≤ 500 ms, and ≤ 1.2× the 1,000-message time.
//
// Each launch is a fresh child process (bench/support/startup-child.ts) that creates the bridge and
// the browser host on a seeded data dir; the clock starts when it starts creating the bridge and
// stops in the page, on the first frame where the conversation list and the newest messages of the
// top conversation are laid out (the list is virtualized: the newest message in view at the bottom
// of a list filled with rows; the page asks the engine for the newest 50, as the request log shows).
// The start is offline: the remembered session's server is unreachable, so everything shown comes
// from the local store. Then, in the 1M case, a scroll up through older history with the mouse
// wheel: frame times and long tasks.
//
// Options (env): STARTUP_RUNS (default 5), STARTUP_MESSAGES (default 1000000),
// STARTUP_BASELINE (default 1000), STARTUP_CONVERSATIONS (default 100), STARTUP_KEEP=1 keeps the data,
// STARTUP_ACTIONS (default 0.2: that share of the stored events are edits, reactions and deletes).
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { buildIfStale } from '../scripts/build-if-stale.js';
import { seedStore, type SeedResult } from './support/seed-store.js';

// The in-page code (observeStartup, startScrollMonitor, stopScrollMonitor) runs in Chromium, but this project's tsconfig has
// Node's types only: the DOM globals it uses are declared here, module-local and loosely typed.
/* eslint-disable @typescript-eslint/no-explicit-any */
declare const window: any;
declare const document: any;
declare const PerformanceObserver: any;
declare function requestAnimationFrame(callback: (time: number) => void): number;
type Element = any;

const RUNS = Number(process.env.STARTUP_RUNS ?? 5);
const LARGE = Number(process.env.STARTUP_MESSAGES ?? 1_000_000);
const SMALL = Number(process.env.STARTUP_BASELINE ?? 1_000);
const CONVERSATIONS = Number(process.env.STARTUP_CONVERSATIONS ?? 100);
const ACTIONS = Number(process.env.STARTUP_ACTIONS ?? 0.2);
const TARGET_MS = 500;
const TARGET_RATIO = 1.2;
const ROWS = 50;

const root = resolve(import.meta.dirname, '..');
const rendererDir = join(root, 'out', 'renderer');
const childScript = fileURLToPath(new URL('./support/startup-child.ts', import.meta.url));
const now = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const CHROMIUM = {
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
};

interface Ready {
  url: string;
  launchAt: number;
  bridgeAt: number;
  hostAt: number;
}

interface Run {
  total: number;
  bridge: number;
  host: number;
  /** Navigation started (the page's timeOrigin). */
  navigation: number;
  domContentLoaded: number;
  list: number;
  messages: number;
  rows: number;
  requests: Array<{ method: string; arg: string; at: number; ms: number }>;
  longTasks: number;
  longTaskMs: number;
}

interface PageMarks {
  listAt: number;
  messagesAt: number;
  rows: number;
  longtasks: Array<{ start: number; duration: number }>;
}

/**
 * Runs in the page before its scripts: marks the first frame where the conversation list, then the
 * top conversation's newest messages, are laid out. The message list is virtualized (only the rows in
 * view are in the DOM), so "the newest 50 on screen" is: the newest message visible at the bottom of
 * a list scrolled to its end and filled with rows (all 50 when 50 fit).
 */
function observeStartup(expect: { rows: number; newest: string }): void {
  const t = () => performance.timeOrigin + performance.now();
  const marks = { listAt: 0, messagesAt: 0, rows: 0, longtasks: [] as Array<{ start: number; duration: number }> };
  (window as unknown as { __startup: typeof marks }).__startup = marks;
  try {
    new PerformanceObserver((list: any) => {
      for (const e of list.getEntries() as Array<{ startTime: number; duration: number }>)
        marks.longtasks.push({ start: performance.timeOrigin + e.startTime, duration: e.duration });
    }).observe({ type: 'longtask', buffered: true });
  } catch {
    /* no long task API */
  }
  const shown = (el: Element | null) => !!el && el.getBoundingClientRect().height > 0;
  const messagesShown = (): number => {
    const list = document.querySelector('[data-testid="message-list"]');
    if (!list || list.clientHeight === 0) return 0;
    const rows = Array.from(list.querySelectorAll('[data-testid="message"]') as ArrayLike<Element>);
    const newest = rows.find((r) => (r.textContent ?? '').includes(expect.newest));
    if (!newest) return 0;
    const view = list.getBoundingClientRect();
    const box = newest.getBoundingClientRect();
    // The newest message in view, and the rows fill the view (or there are as many as asked for).
    // (In view at all: the list may open a few pixels short of its end.)
    if (box.height === 0 || box.top >= view.bottom || box.bottom <= view.top) return 0;
    const inView = rows.filter((r) => {
      const b = r.getBoundingClientRect();
      return b.bottom > view.top && b.top < view.bottom;
    });
    const filled = list.scrollHeight > list.clientHeight && inView.some((r) => r.getBoundingClientRect().top <= view.top + 48);
    return filled || inView.length >= expect.rows ? inView.length : 0;
  };
  // Checked every frame, before it is painted.
  const check = () => {
    if (!marks.listAt && shown(document.querySelector('[data-testid="conversation-item"]'))) marks.listAt = t();
    if (!marks.messagesAt) {
      const rows = messagesShown();
      if (rows > 0) {
        marks.messagesAt = t();
        marks.rows = rows;
      }
    }
    if (!marks.listAt || !marks.messagesAt) requestAnimationFrame(check);
  };
  requestAnimationFrame(check);
}

/**
 * The source of a call to `fn` in the page. tsx compiles with esbuild's keepNames, which wraps inner
 * functions in a __name() helper that exists only in Node: the page gets a stand-in.
 */
function inPage<A>(fn: (arg: A) => unknown, arg: A): string {
  return `(() => { const __name = (f) => f; return (${fn.toString()})(${JSON.stringify(arg)}); })()`;
}

async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
}

function startChild(dataDir: string): { child: ChildProcess; ready: Promise<Ready>; call(type: string, wait: string): Promise<unknown> } {
  const child = fork(childScript, [dataDir, rendererDir], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const ready = new Promise<Ready>((done, fail) => {
    child.once('exit', (code) => fail(new Error(`the launch child exited with ${code}`)));
    child.on('message', (m: { type: string } & Ready) => m.type === 'ready' && done(m));
  });
  const call = (type: string, wait: string) =>
    new Promise<unknown>((done) => {
      const on = (m: { type: string }) => {
        if (m.type !== wait) return;
        child.off('message', on);
        done(m);
      };
      child.on('message', on);
      child.send({ type });
    });
  return { child, ready, call };
}

async function stopChild(child: ChildProcess, call: (type: string, wait: string) => Promise<unknown>): Promise<void> {
  const exited = new Promise<void>((done) => (child.exitCode !== null ? done() : child.once('exit', () => done())));
  await Promise.race([call('close', 'closed'), sleep(5000)]);
  await Promise.race([exited, sleep(5000)]);
  if (child.exitCode === null) child.kill('SIGKILL');
}

async function launchOnce(browser: Browser, dataDir: string, seed: SeedResult, keepPage?: (page: Page) => Promise<void>): Promise<Run> {
  // The tab exists before the launch, as Electron's window would be created by the launch itself.
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await page.addInitScript({ content: inPage(observeStartup, { rows: ROWS, newest: `#${seed.topCount} ` }) });
  const { child, ready, call } = startChild(dataDir);
  try {
    const launched = await ready;
    await page.goto(launched.url, { waitUntil: 'commit' });
    const marks = (await (
      await page
        .waitForFunction(() => {
          const m = (window as unknown as { __startup?: PageMarks }).__startup;
          return m && m.listAt && m.messagesAt ? m : null;
        }, null, { timeout: 60_000, polling: 50 })
        .catch(async (error: unknown) => {
          const shot = join(root, 'test-results', 'bench-startup-timeout.png');
          await page.screenshot({ path: shot }).catch(() => {});
          const state = await page.evaluate(() => JSON.stringify((window as any).__startup)).catch(() => '?');
          throw new Error(`the app did not show the list and messages in time (marks ${state}; screenshot ${shot})`, { cause: error });
        })
    ).jsonValue()) as PageMarks;
    const nav = await page.evaluate(() => {
      const n = performance.getEntriesByType('navigation' as 'mark')[0] as unknown as { domContentLoadedEventEnd: number } | undefined;
      return { origin: performance.timeOrigin, dcl: n?.domContentLoadedEventEnd ?? 0 };
    });
    const { requests } = (await call('requests', 'requests')) as { requests: Run['requests'] };
    const end = Math.max(marks.listAt, marks.messagesAt);
    const t0 = launched.launchAt;
    const during = marks.longtasks.filter((l) => l.start <= end);
    if (keepPage) await keepPage(page);
    return {
      total: end - t0,
      bridge: launched.bridgeAt - t0,
      host: launched.hostAt - t0,
      navigation: nav.origin - t0,
      domContentLoaded: nav.origin + nav.dcl - t0,
      list: marks.listAt - t0,
      messages: marks.messagesAt - t0,
      rows: marks.rows,
      requests: requests.filter((r) => r.at <= end).map((r) => ({ ...r, at: r.at - t0 })),
      longTasks: during.length,
      longTaskMs: during.reduce((s, l) => s + l.duration, 0),
    };
  } finally {
    await context.close();
    await stopChild(child, call);
  }
}

interface ScrollReport {
  seconds: number;
  wheelEvents: number;
  wheelPx: number;
  frames: number;
  p50: number;
  p95: number;
  max: number;
  over50: number;
  longTasks: number;
  longTaskMax: number;
  longTaskMs: number;
  oldestBefore: number;
  oldestAfter: number;
  framesAtTop: number;
  rowsInDom: number;
  error?: string;
}

/** In the page: starts recording frame intervals, long tasks and frames spent at the top of the list. */
function startScrollMonitor(): string | null {
  const list = document.querySelector('[data-testid="message-list"]');
  if (!list) return 'no message-list';
  if (list.scrollHeight <= list.clientHeight) return 'the message list does not scroll';
  const oldest = () => {
    let min = Infinity;
    for (const row of list.querySelectorAll('[data-testid="message"]')) {
      const m = /#(\d+) /.exec(row.textContent ?? '');
      if (m) min = Math.min(min, Number(m[1]));
    }
    return min;
  };
  const state = { frames: [] as number[], longtasks: [] as number[], atTop: 0, running: true, oldestBefore: oldest(), oldest, list, observer: null as any };
  window.__scroll = state;
  state.observer = new PerformanceObserver((l: any) => l.getEntries().forEach((e: { duration: number }) => state.longtasks.push(e.duration)));
  state.observer.observe({ type: 'longtask' });
  let last = 0;
  const step = (ts: number) => {
    if (last) state.frames.push(ts - last);
    last = ts;
    if (list.scrollTop <= 0) state.atTop++;
    if (state.running) requestAnimationFrame(step);
  };
  requestAnimationFrame(step);
  return null;
}

/** In the page: stops the monitor and sums it up. */
function stopScrollMonitor(): Omit<ScrollReport, 'seconds' | 'wheelEvents' | 'wheelPx'> {
  const state = window.__scroll;
  state.running = false;
  state.observer.disconnect();
  const frames: number[] = state.frames;
  const longtasks: number[] = state.longtasks;
  const sorted = [...frames].sort((a, b) => a - b);
  const pct = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
  return {
    frames: frames.length,
    p50: pct(50),
    p95: pct(95),
    max: sorted.at(-1) ?? 0,
    over50: frames.filter((f) => f > 50).length,
    longTasks: longtasks.length,
    longTaskMax: Math.max(0, ...longtasks),
    longTaskMs: longtasks.reduce((a, b) => a + b, 0),
    oldestBefore: state.oldestBefore,
    oldestAfter: state.oldest(),
    framesAtTop: state.atTop,
    rowsInDom: state.list.querySelectorAll('[data-testid="message"]').length,
  };
}

/**
 * Scrolls the message list up with real mouse-wheel input, as fast as the page takes it, for a few
 * seconds: through several older pages. Frame times and long tasks are recorded in the page.
 */
async function scrollCheck(page: Page, seconds = 5, deltaPx = 120): Promise<ScrollReport> {
  const base = { seconds, wheelEvents: 0, wheelPx: 0, frames: 0, p50: 0, p95: 0, max: 0, over50: 0, longTasks: 0, longTaskMax: 0, longTaskMs: 0, oldestBefore: 0, oldestAfter: 0, framesAtTop: 0, rowsInDom: 0 };
  const problem = (await page.evaluate(inPage(startScrollMonitor, undefined))) as string | null;
  if (problem) return { ...base, error: problem };
  const box = await page.getByTestId('message-list').boundingBox();
  await page.mouse.move(box!.x + box!.width / 2, box!.y + box!.height / 2);
  let wheelEvents = 0;
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end) {
    await page.mouse.wheel(0, -deltaPx);
    wheelEvents++;
  }
  await page.evaluate('new Promise((done) => setTimeout(done, 100))');
  const report = (await page.evaluate(inPage(stopScrollMonitor, undefined))) as Omit<ScrollReport, 'seconds' | 'wheelEvents' | 'wheelPx'>;
  return { ...base, ...report, wheelEvents, wheelPx: wheelEvents * deltaPx };
}

const median = (xs: number[]) => quantile(xs, 0.5);
function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const i = (s.length - 1) * q;
  const lo = Math.floor(i);
  return s[lo]! + (s[Math.ceil(i)]! - s[lo]!) * (i - lo);
}
const ms = (x: number) => `${x.toFixed(0)} ms`;

// ——— main ———
buildIfStale();
if (!existsSync(join(rendererDir, 'index.html'))) {
  console.error('out/renderer is missing: run `npx electron-vite build` first.');
  process.exit(2);
}
const work = mkdtempSync(join(tmpdir(), 'parley-bench-startup-'));
const offlineUrl = `http://127.0.0.1:${await freePort()}`;
const sizes = [SMALL, LARGE];
const seeds = new Map<number, { dataDir: string; seed: SeedResult }>();
for (const size of sizes) {
  const dataDir = join(work, `n${size}`);
  process.stdout.write(`seeding ${size.toLocaleString()} events (${Math.round(ACTIONS * 100)}% actions) in ${CONVERSATIONS} conversations… `);
  const seed = seedStore({ dataDir, serverUrl: offlineUrl, messages: size, conversations: CONVERSATIONS, actionEvery: ACTIONS > 0 ? Math.round(1 / ACTIONS) : 0 });
  console.log(`${seed.seconds.toFixed(1)} s (top conversation: ${seed.topCount.toLocaleString()} messages)`);
  seeds.set(size, { dataDir, seed });
}

const browser = await chromium.launch({ ...CHROMIUM, headless: true });
try {
  // The two clocks (Node's and the page's) must agree for cross-process times to mean anything:
  // compare them over the quickest of a few round trips.
  {
    const context = await browser.newContext();
    const page = await context.newPage();
    let best = { rtt: Infinity, skew: 0 };
    for (let i = 0; i < 10; i++) {
      const a = now();
      const pageNow = (await page.evaluate('performance.timeOrigin + performance.now()')) as number;
      const b = now();
      if (b - a < best.rtt) best = { rtt: b - a, skew: pageNow - (a + b) / 2 };
    }
    if (Math.abs(best.skew) > 2 + best.rtt / 2) console.log(`note: the page's clock is ${best.skew.toFixed(1)} ms off Node's (±${(best.rtt / 2).toFixed(1)} ms)`);
    await context.close();
  }

  console.log(`\nwarming up (one launch each, not counted)…`);
  for (const size of sizes) await launchOnce(browser, seeds.get(size)!.dataDir, seeds.get(size)!.seed);

  console.log(`measuring (${RUNS} launches each, interleaved)…`);
  const runs = new Map<number, Run[]>(sizes.map((s) => [s, []]));
  // Interleaved, so the machine's noise falls on both sizes alike.
  for (let i = 0; i < RUNS; i++) {
    for (const size of sizes) {
      const run = await launchOnce(browser, seeds.get(size)!.dataDir, seeds.get(size)!.seed);
      runs.get(size)!.push(run);
      console.log(
        `  ${size.toLocaleString().padStart(9)} msgs run ${i + 1}: ${ms(run.total).padStart(7)}  ` +
          `(bridge ${ms(run.bridge)}, host ${ms(run.host)}, navigation ${ms(run.navigation)}, DOMContentLoaded ${ms(run.domContentLoaded)}, ` +
          `list ${ms(run.list)}, ${run.rows} rows ${ms(run.messages)}; long tasks ${run.longTasks} / ${ms(run.longTaskMs)})`,
      );
    }
  }

  // Where the engine's time went, in the last 1M run.
  const last = runs.get(LARGE)!.at(-1)!;
  const firstRead = last.requests.find((r) => r.method === 'readMessages');
  const asked = firstRead ? (JSON.parse(firstRead.arg) as { limit?: number }).limit ?? 50 : 0;
  if (asked < ROWS) console.log(`\nwarning: the page asked the engine for ${asked} messages of the top conversation, not ${ROWS}`);
  console.log(`\nbridge requests before the messages showed (last ${LARGE.toLocaleString()} run; at = since launch):`);
  for (const r of last.requests) console.log(`  ${`${r.method}(${r.arg})`.padEnd(60)} at ${ms(r.at).padStart(7)}  took ${r.ms.toFixed(1)} ms`);

  let scroll: ScrollReport | null = null;
  console.log(`\nscrolling the ${seeds.get(LARGE)!.seed.topCount.toLocaleString()}-message top conversation up with the mouse wheel for 5 s (${LARGE.toLocaleString()} store)…`);
  await launchOnce(browser, seeds.get(LARGE)!.dataDir, seeds.get(LARGE)!.seed, async (page) => {
    scroll = await scrollCheck(page);
  });

  const small = runs.get(SMALL)!.map((r) => r.total);
  const large = runs.get(LARGE)!.map((r) => r.total);
  const ratio = median(large) / median(small);
  console.log(`\nParley startup, browser host, offline start (the session's server ${offlineUrl} is unreachable; all from the local store)`);
  console.log(`launch → conversation list + newest ${ROWS} messages of the top conversation on screen, ${RUNS} runs each:`);
  console.log(`  ${SMALL.toLocaleString().padStart(9)} messages: median ${ms(median(small))}, p90 ${ms(quantile(small, 0.9))}  [${small.map((x) => x.toFixed(0)).join(', ')}]`);
  console.log(`  ${LARGE.toLocaleString().padStart(9)} messages: median ${ms(median(large))}, p90 ${ms(quantile(large, 0.9))}  [${large.map((x) => x.toFixed(0)).join(', ')}]`);
  console.log(`  ratio ${LARGE.toLocaleString()} / ${SMALL.toLocaleString()} (medians): ${ratio.toFixed(2)}×`);
  console.log(`  target ≤ ${TARGET_MS} ms with ${LARGE.toLocaleString()}: ${median(large) <= TARGET_MS ? 'PASS' : 'FAIL'} (median ${ms(median(large))})`);
  console.log(`  target ≤ ${TARGET_RATIO}× the ${SMALL.toLocaleString()}-message time: ${ratio <= TARGET_RATIO ? 'PASS' : 'FAIL'} (${ratio.toFixed(2)}×)`);
  const s = scroll as ScrollReport | null;
  if (s) {
    if (s.error) console.log(`  scroll check: not measured (${s.error})`);
    else
      console.log(
        `  scroll up ${s.seconds} s (${s.wheelEvents} wheel events, ${s.wheelPx.toLocaleString()} px): history from #${s.oldestBefore} back to #${s.oldestAfter} ` +
          `(${(s.oldestBefore - s.oldestAfter).toLocaleString()} messages); ${s.frames} frames, frame time p50 ${s.p50.toFixed(1)} ms, p95 ${s.p95.toFixed(1)} ms, ` +
          `max ${s.max.toFixed(0)} ms, ${s.over50} frames > 50 ms; long tasks ${s.longTasks} (max ${s.longTaskMax.toFixed(0)} ms, total ${s.longTaskMs.toFixed(0)} ms); ` +
          `${s.framesAtTop} frames stuck at the top waiting for older messages; ${s.rowsInDom} message rows in the DOM at the end`,
      );
  }
  process.exitCode = median(large) <= TARGET_MS && ratio <= TARGET_RATIO ? 0 : 1;
} finally {
  await browser.close();
  if (process.env.STARTUP_KEEP === '1') console.log(`data kept in ${work}`);
  else rmSync(work, { recursive: true, force: true });
}
