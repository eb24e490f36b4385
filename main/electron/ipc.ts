// The one place renderer calls enter the main process. Each contract request has one channel, and
// every channel asks the same question first: is the caller the app's own page? Only then does the
// call reach the bridge, whose dispatch checks the argument against the contract.
import { ipcMain, type BrowserWindow, type IpcMainInvokeEvent } from 'electron';
import { requestNames, type BridgeReply } from '../../preload/api.js';
import type { Bridge } from '../bridge/index.js';
import type { Unsubscribe } from '../core/index.js';
import { EVENT_CHANNEL, requestChannel } from './channels.js';

type Log = (message: string, detail?: unknown) => void;

/**
 * The app window's top frame showing the app's page. Anything else (a subframe, another window, the
 * window after it somehow left the app's URL) is not the app, whatever it sends.
 */
export function isAppSender(event: IpcMainInvokeEvent, win: BrowserWindow | null, isAppUrl: (url: string) => boolean): boolean {
  const frame = event.senderFrame;
  return !!win && !win.isDestroyed() && event.sender === win.webContents && !!frame && frame.parent === null && isAppUrl(frame.url);
}

export function registerIpc(bridge: Bridge, isAllowed: (event: IpcMainInvokeEvent) => boolean, log: Log): void {
  for (const name of requestNames) {
    ipcMain.handle(requestChannel(name), (event, arg: unknown): Promise<BridgeReply<unknown>> | BridgeReply<unknown> => {
      if (!isAllowed(event)) {
        log(`refused ${name} from a sender that is not the app`, event.senderFrame?.url ?? '(frame gone)');
        return { ok: false, error: { code: 'forbidden', message: 'only the Parley window may call Parley' } };
      }
      return bridge.dispatch(name, arg);
    });
  }
}

/** Sends every bridge event to the window, while there is one. */
export function forwardEvents(bridge: Bridge, getWindow: () => BrowserWindow | null): Unsubscribe {
  return bridge.onEvent((event, payload) => {
    const win = getWindow();
    if (win && !win.isDestroyed()) win.webContents.send(EVENT_CHANNEL, event, payload);
  });
}
