// One Parley launch for bench/startup.ts, in its own process: creates the bridge (which resumes the
// session in <dataDir>/session.json and opens its store) and the browser host, and reports over IPC
// when each was ready, as wall-clock ms (performance.timeOrigin + performance.now(), comparable with
// the page's own clock). The clock starts once modules are loaded, when the host starts creating
// the bridge. Also reports each bridge request's time, and closes on { type: 'close' }.
// argv: <dataDir> <rendererDir>
import { performance } from 'node:perf_hooks';
import { createBridge } from '../../main/bridge/index.js';
import { startBrowserHost } from '../../main/browser/host.js';

const now = () => performance.timeOrigin + performance.now();
const [dataDir, rendererDir] = process.argv.slice(2) as [string, string];

const launchAt = now();
const bridge = createBridge({
  dataDir,
  appInfo: { version: '0.0.0-bench', platform: process.platform, host: 'browser' },
  // Offline: the session's server is unreachable; keep the engine from retrying often during a run.
  backoff: { minDelay: 60_000, maxDelay: 60_000 },
  log: () => {},
});
const bridgeAt = now();

// Times every request the page makes, to tell the engine's share from the page's.
const requests: Array<{ method: string; arg: string; at: number; ms: number }> = [];
const dispatch = bridge.dispatch;
const timed: typeof bridge = {
  ...bridge,
  dispatch: (async (method: unknown, arg: unknown) => {
    const at = now();
    const reply = await dispatch(method, arg);
    requests.push({ method: String(method), arg: arg === undefined ? '' : JSON.stringify(arg), at, ms: now() - at });
    return reply;
  }) as typeof dispatch,
};

const host = await startBrowserHost({ bridge: timed, rendererDir, log: () => {} });
const hostAt = now();
process.send!({ type: 'ready', url: host.url, launchAt, bridgeAt, hostAt });

process.on('message', (message: { type: string }) => {
  if (message.type === 'requests') process.send!({ type: 'requests', requests });
  if (message.type === 'close') {
    host.close().then(
      () => {
        bridge.close();
        process.send!({ type: 'closed' }, () => process.exit(0));
      },
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  }
});
// Never outlive the benchmark.
process.on('disconnect', () => process.exit(0));
