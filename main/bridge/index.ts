// The host side of the contract, for both hosts: a session, its handler table behind one dispatch,
// and the events the renderer may subscribe to. Hosts only carry calls and events across.
import { join } from 'node:path';
import type { ConversationTarget } from '../../common/deep-link.js';
import { Emitter } from '../../common/emitter.js';
import { eventNames, type BridgeEvents, type EventName } from '../../contract/events.js';
import type { AppInfo, UpdateState } from '../../contract/types.js';
import { ParleyError, type Address, type ConversationSummary, type Unsubscribe } from '../core/index.js';
import { createDispatch, type Dispatch } from './dispatch.js';
import { isLocal, type LocalFile } from './local-files.js';
import { createHandlers, type ChooseFolder, type DesktopHost, type RevealFile, type SaveFileAs, type UpdateHost } from './handlers.js';
import { createSession, type SessionOptions } from './session.js';
import { MAX_STAGED_BYTES, createStaging, type Staging } from './staging.js';

export type { DemoAccount, TokenCodec, TokenStorage } from './session.js';
export type { ChooseFolder, DesktopHost, RevealFile, SaveFileAs, UpdateHost } from './handlers.js';

export interface BridgeOptions extends SessionOptions {
  appInfo: AppInfo;
  /** Sign in as this demo user at launch (npm start --user); by default the first demo user on a first launch. */
  signInAs?: string;
  /** Sign in with this token at launch (npm start --server-url --token). */
  signInWith?: { serverUrl: string; token: string };
  /** How the host opens a file on this device; by default the page gets a /local/<transfer id> URL (the browser host). */
  reveal?: RevealFile;
  /** How the host saves a copy of such a file; by default a /local/<transfer id> download URL (the browser host). */
  saveAs?: SaveFileAs;
  /** How the user chooses a folder; by default the path typed into the page (the browser host). */
  chooseFolder?: ChooseFolder;
  /** The desktop integration (the Electron host only): without it the desktop settings requests answer unavailable. */
  desktop?: DesktopHost;
  /** The app's own update (the Electron host only): without it the update requests answer unavailable. */
  updates?: UpdateHost;
}

export interface Bridge {
  dispatch: Dispatch;
  /** One event of the contract, typed (the host's own integrations: notifications, badge). */
  on<E extends EventName>(event: E, listener: (payload: BridgeEvents[E]) => void): Unsubscribe;
  /** Every event of the contract, to forward to the renderer as it is. */
  onEvent(listener: <E extends EventName>(event: E, payload: BridgeEvents[E]) => void): Unsubscribe;
  /** Where the hosts put the files the user hands over (stageFiles). */
  staging: Staging;
  /** Files on this device that the renderer was shown, by transfer id (the hosts serve them: /local, parley-file:). */
  localTransfer(transferId: string): LocalFile | null;
  /** For the host's integrations (notifications, badge), from the signed-in account's store; nothing when signed out. */
  me(): Address | null;
  conversation(id: string): ConversationSummary | null;
  unreadTotal(): number;
  /** Whether the person is at this device (the Electron host tells, from the system): presence follows. */
  setActivity(active: boolean): void;
  /** Tells the renderer to show a conversation, at a message when there is a seq (the host checked the id is well formed). */
  openConversation(target: ConversationTarget): void;
  /** Tells the renderer where the app's own update stands. */
  updateState(state: UpdateState): void;
  /** File transfers running now (uploads, downloads, watched folders' sends): a restart would cut them. */
  transfersRunning(): number;
  /** The server the user is signed in to; null when signed out. */
  serverUrl(): string | null;
  close(): void;
}

const localUrl = (transferId: string, download: boolean) => ({ url: `/local/${encodeURIComponent(transferId)}${download ? '?download=1' : ''}` });
// A page cannot show a folder: the nearest thing is to save the file.
const revealLocal: RevealFile = (transfer, how) => localUrl(transfer.id, how === 'folder');
const saveLocal: SaveFileAs = (transfer) => localUrl(transfer.id, true);
// A page has no folder dialog: the browser host takes the path the user typed (staging checks it).
const typedFolder: ChooseFolder = async (typed) => {
  if (!typed) throw new ParleyError('bad_request', 'type the folder’s full path');
  return typed;
};

/** The events the host itself emits, besides the session's and the engine's. */
type HostEvent = 'openConversation' | 'update';

export function createBridge(options: BridgeOptions): Bridge {
  const log = options.log ?? ((message: string, detail?: unknown) => console.warn(`[parley] ${message}`, detail ?? ''));
  const session = createSession({ ...options, log });
  const staging = createStaging(join(options.dataDir, 'staging'), MAX_STAGED_BYTES, log);
  const demoUser = options.signInAs ?? (session.firstLaunch ? options.demo?.users[0]?.address : undefined);
  if (options.signInWith) {
    const { serverUrl, token } = options.signInWith;
    session.signIn(serverUrl, token).catch((error: unknown) => log('could not sign in at launch', error));
  } else if (demoUser) session.signInDemo(demoUser);
  const handlers = createHandlers({
    session,
    appInfo: options.appInfo,
    staging,
    reveal: options.reveal ?? revealLocal,
    saveAs: options.saveAs ?? saveLocal,
    chooseFolder: options.chooseFolder ?? typedFolder,
    ...(options.desktop ? { desktop: options.desktop } : {}),
    ...(options.updates ? { updates: options.updates } : {}),
    log,
  });
  const hostEvents = new Emitter<Pick<BridgeEvents, HostEvent>>((error) => log('a bridge listener threw', error));
  const isHostEvent = (event: EventName): event is HostEvent => event === 'openConversation' || event === 'update';
  const signedIn = () => (session.state().state === 'signedIn' ? session.client() : null);
  const on: Bridge['on'] = (event, listener) =>
    isHostEvent(event)
      ? hostEvents.on(event, listener as (payload: BridgeEvents[HostEvent]) => void)
      : session.on(event, listener as (payload: unknown) => void);
  return {
    dispatch: createDispatch(handlers, log),
    on,
    onEvent(listener) {
      const offs = eventNames.map((name) => on(name, (payload) => listener(name, payload)));
      return () => offs.forEach((off) => off());
    },
    staging,
    // Only a file message's own file (its latest transfer), as the renderer sees it: not every file the store knows.
    localTransfer: (transferId) => {
      const engine = signedIn();
      const transfer = engine?.getFileTransfer(transferId);
      const shown = transfer?.messageId ? engine?.getMessage(transfer.messageId)?.transfer : null;
      return isLocal(shown) && shown.id === transferId ? shown : null;
    },
    me: () => signedIn()?.me || null,
    conversation: (id) => signedIn()?.readConversation(id) ?? null,
    unreadTotal: () => signedIn()?.unreadTotal() ?? 0,
    setActivity: (active) => signedIn()?.setActivity(active),
    openConversation: (target) => hostEvents.emit('openConversation', target),
    updateState: (state) => hostEvents.emit('update', state),
    serverUrl: () => {
      const state = session.state();
      return state.state === 'signedIn' ? state.serverUrl : null;
    },
    transfersRunning: () => signedIn()?.readFileTransfers().filter((transfer) => transfer.state === 'running').length ?? 0,
    close: () => {
      hostEvents.clear();
      session.close();
    },
  };
}
