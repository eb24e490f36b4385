// The one place renderer calls enter the main process. Every request crosses one channel, and it
// asks the same question first: is the caller the app's own page? Only then does the call reach the
// bridge, whose dispatch checks the name and argument against the contract.
import { ipcMain, type BrowserWindow, type IpcMainInvokeEvent } from 'electron';
import { z } from 'zod';
import type { BridgeReply } from '../../contract/api.js';
import { EVENT_CHANNEL, REQUEST_CHANNEL, STAGE_CHANNEL, STAGE_FOLDER_CHANNEL } from '../../contract/ipc.js';
import { nameOf } from '../bridge/dispatch.js';
import type { Bridge } from '../bridge/index.js';
import { ParleyError, type Unsubscribe } from '../core/index.js';

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
  ipcMain.handle(REQUEST_CHANNEL, (event, name: unknown, arg: unknown): Promise<BridgeReply<unknown>> | BridgeReply<unknown> => {
    if (!isAllowed(event)) {
      log(`refused ${nameOf(name)} from a sender that is not the app`, event.senderFrame?.url ?? '(frame gone)');
      return { ok: false, error: { code: 'forbidden', message: 'only the Parley window may call Parley' } };
    }
    return bridge.dispatch(name, arg);
  });
}

const Path = z.string().min(1).max(4096);
const StageItems = z
  .array(z.union([z.strictObject({ path: Path }), z.strictObject({ name: z.string().max(1024), bytes: z.instanceof(Uint8Array) })]))
  .max(100);

/** The preload's private staging channels (files; a dropped folder), behind the same gate as the contract. */
export function registerStaging(bridge: Bridge, isAllowed: (event: IpcMainInvokeEvent) => boolean, log: Log): void {
  const stage = <S extends z.ZodType, T>(channel: string, schema: S, refusal: string, take: (arg: z.infer<S>) => Promise<T>) =>
    ipcMain.handle(channel, async (event, arg: unknown): Promise<BridgeReply<T>> => {
      if (!isAllowed(event)) {
        log('refused staging from a sender that is not the app', event.senderFrame?.url ?? '(frame gone)');
        return { ok: false, error: { code: 'forbidden', message: 'only the Parley window may call Parley' } };
      }
      const parsed = schema.safeParse(arg);
      if (!parsed.success) return { ok: false, error: { code: 'bad_request', message: refusal } };
      try {
        return { ok: true, data: await take(parsed.data) };
      } catch (error) {
        if (error instanceof ParleyError) return { ok: false, error: error.toBody() };
        log('could not stage what the user chose', error);
        return { ok: false, error: { code: 'internal', message: 'Parley could not take that; the details are in its log' } };
      }
    });
  stage(STAGE_CHANNEL, StageItems, 'stageFiles takes the files the user chose', (items) =>
    Promise.all(items.map((item) => ('path' in item ? bridge.staging.register(item.path) : bridge.staging.write(item.name, item.bytes)))),
  );
  stage(STAGE_FOLDER_CHANNEL, Path, 'stageFolder takes a folder the user dropped', (path) => bridge.staging.registerFolder(path));
}

/** Sends every bridge event to the window, while there is one. */
export function forwardEvents(bridge: Bridge, getWindow: () => BrowserWindow | null): Unsubscribe {
  return bridge.onEvent((event, payload) => {
    const win = getWindow();
    if (win && !win.isDestroyed()) win.webContents.send(EVENT_CHANNEL, event, payload);
  });
}
