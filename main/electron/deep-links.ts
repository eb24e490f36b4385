// parley://conversation/<id>[/<seq>] links from the OS: at a cold start (Windows and Linux pass the link as an
// argument), to a second launch (the same, forwarded by the single-instance lock), or through macOS's
// open-url. Anything that is not exactly that form, with a well-formed conversation id, is refused.
import { resolve } from 'node:path';
import type { App } from 'electron';
import { ConversationId } from '../../protocol/schemas.js';
import { DEEP_LINK_SCHEME, parseConversationLink, type ConversationTarget } from '../../common/deep-link.js';

type Log = (message: string, detail?: unknown) => void;

/** The conversation (and message) a link names, or null (logged) for any other link. */
export function conversationFromLink(url: string, log: Log): ConversationTarget | null {
  const target = parseConversationLink(url);
  if (target !== null && ConversationId.safeParse(target.conversationId).success) return target;
  log('refused a link that is not parley://conversation/<conversation id>[/<seq>]', url.slice(0, 200));
  return null;
}

/** The parley: link among a launch's arguments, if there is one. */
export function linkInArgv(argv: readonly string[]): string | undefined {
  return argv.find((arg) => arg.toLowerCase().startsWith(`${DEEP_LINK_SCHEME}:`));
}

/**
 * Makes Parley the OS's handler of parley: links. Run unpackaged (`electron .`), the OS must start
 * Electron with the app's path, or it would open bare Electron.
 */
export function registerProtocolClient(app: Pick<App, 'setAsDefaultProtocolClient'>, proc: { defaultApp?: boolean; execPath: string; argv: readonly string[] }, log: Log): void {
  const appPath = proc.defaultApp ? proc.argv[1] : undefined;
  const registered = appPath ? app.setAsDefaultProtocolClient(DEEP_LINK_SCHEME, proc.execPath, [resolve(appPath)]) : app.setAsDefaultProtocolClient(DEEP_LINK_SCHEME);
  if (!registered) log('could not register Parley as the handler of parley: links');
}

/**
 * Conversations to open, held until the page can take them (it is loading, or there is no window
 * yet); only the latest waits, as only one conversation can be open.
 */
export function createOpenQueue<Target>(open: (target: Target) => void) {
  let ready = false;
  let waiting: Target | null = null;
  return {
    open(target: Target): void {
      if (ready) open(target);
      else waiting = target;
    },
    /** The page is loaded and listening. */
    ready(): void {
      ready = true;
      if (waiting !== null) open(waiting);
      waiting = null;
    },
    /** A new page is loading. */
    hold(): void {
      ready = false;
    },
  };
}
