// Who is signed in, on which server, and the engine that serves them. Each account (server + user)
// keeps its own store under <dataDir>/accounts/, so signing out and in as someone else never mixes
// histories; the last session is remembered in <dataDir>/session.json and resumed at launch, offline too.
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { ParleyError, createClient, verifyToken, type Client } from '../core/index.js';
import { Emitter, type Unsubscribe } from '../../common/emitter.js';
import { readJsonFile, writeJsonFile, type Codec, type JsonFile } from '../../common/node/json-file.js';
import { engineEventNames, type BridgeEvents } from '../../contract/events.js';
import { HttpUrl, type FileSettings } from '../../contract/requests.js';
import type { DemoUser, SessionState } from '../../contract/types.js';
import { Address } from '../../protocol/index.js';
import { applyFileSettings, fileSettingsFile, type FileSettingsFile } from './file-settings.js';

export interface DemoAccount extends DemoUser {
  token: string;
}

/**
 * Seals the stored token (and the account's file settings) with a key the OS protects where the host
 * has one (Electron's safeStorage, the Secret Service for the browser host); identity elsewhere. `open`
 * throws with a message the sign-in screen can show when a sealed value cannot be opened.
 */
export type TokenCodec = Codec;

/** How a host keeps the token: the codec, and what to tell the user once when it is not encrypted. */
export interface TokenStorage {
  /** undefined: stored as it is. With a notice, the files' mode (0600) is the only protection, whatever the codec. */
  codec: TokenCodec | undefined;
  /** Said once at launch (a log line; README's "Secrets at rest") when the token is not encrypted. */
  notice: string | null;
}

export interface SessionOptions {
  dataDir: string;
  /** The embedded server and its demo users, when the host started one. */
  demo?: { serverUrl: string; users: DemoAccount[] };
  /** The server the sign-in screen offers when there is no embedded one (npm start --server-url without --token). */
  offerServer?: string;
  tokenCodec?: TokenCodec;
  log?: (message: string, detail?: unknown) => void;
  /** Engine reconnect backoff, for tests. */
  backoff?: { minDelay: number; maxDelay: number };
}

// The token alone is sealed, as session.json has always been written; other keys are ignored, as they always were.
const Saved = z.object({
  serverUrl: HttpUrl,
  address: Address,
  token: z.string().nullable(),
});
type Saved = z.infer<typeof Saved>;

/** The engine's events, forwarded across sign-ins, and the session's own. */
export type SessionEvents = Omit<BridgeEvents, 'openConversation'>;

export type Session = ReturnType<typeof createSession>;

export function createSession(options: SessionOptions) {
  const log = options.log ?? (() => {});
  const events = new Emitter<SessionEvents>((error) => log('a bridge listener threw', error));
  const savedFile: JsonFile<Saved, null> = { path: join(options.dataDir, 'session.json'), schema: Saved, version: 1, default: null, mode: 0o600 };
  const codec = options.tokenCodec ?? { seal: (t: string) => t, open: (t: string) => t };
  const demoUsers: DemoUser[] = (options.demo?.users ?? []).map(({ address, name }) => ({ address, name }));
  let current: { client: Client; serverUrl: string; me: Address; settings: FileSettingsFile; unsubscribe: Unsubscribe[] } | null = null;
  let signedOut: { reason: string | null; serverUrl: string | null } = { reason: null, serverUrl: options.demo?.serverUrl ?? options.offerServer ?? null };
  makePrivateDir(options.dataDir, log);
  /** Why the saved session could not be resumed, when its token could not be unsealed. */
  let unsealFailure: string | null = null;

  function state(): SessionState {
    return current
      ? { state: 'signedIn', me: current.me, serverUrl: current.serverUrl, demoUsers, connection: current.client.status }
      : { state: 'signedOut', ...signedOut, demoUsers };
  }

  function accountDir(serverUrl: string, address: Address): string {
    const server = createHash('sha256').update(new URL(serverUrl).origin).digest('hex').slice(0, 16);
    return join(options.dataDir, 'accounts', `${server}-${address}`);
  }

  function load(): Saved | null {
    const saved = readJsonFile(savedFile, log);
    if (saved?.token == null) return saved;
    try {
      return { ...saved, token: codec.open(saved.token) };
    } catch (error) {
      // Not a first launch: the user signed in before and must hear why they have to again. The file
      // stays as it is, so the session comes back if the keychain does.
      log('the saved session’s token cannot be unsealed; signed out, with the reason on the sign-in screen', error);
      unsealFailure = `Parley could not unlock your saved session: ${(error as Error).message}. Sign in again with your access token.`;
      return { ...saved, token: null };
    }
  }

  function save(saved: Saved): void {
    writeJsonFile(savedFile, { ...saved, token: saved.token === null ? null : codec.seal(saved.token) });
  }

  function open(serverUrl: string, address: Address, token: string): SessionState {
    end(null);
    const dir = accountDir(serverUrl, address);
    const client = createClient({ dataDir: dir, serverUrl, token, backoff: options.backoff, log: options.log });
    const settings = fileSettingsFile(dir, codec, log);
    applyFileSettings(client, settings.read());
    const unsubscribe = engineEventNames.map((name) => client.on(name, (payload) => events.emit(name, payload)));
    unsubscribe.push(
      client.on('connectionStatus', (status) => {
        if (status.state !== 'authFailed') return;
        // Deferred: the engine is still inside its own status callback.
        setImmediate(() => {
          if (current?.client !== client) return;
          save({ serverUrl, address, token: null });
          // The instruction is ours; a server before issue 15 put its own in the reason as well.
          const why = status.reason.replace(/[;.]\s*sign in again.*$/is, '');
          end(`You were signed out: ${why}. Sign in again with a new access token.`);
          events.emit('session', state());
        });
      }),
    );
    current = { client, serverUrl, me: address, settings, unsubscribe };
    save({ serverUrl, address, token });
    client.start();
    events.emit('session', state());
    return state();
  }

  function end(reason: string | null): void {
    if (current) {
      for (const off of current.unsubscribe) off();
      current.client.stop();
      signedOut = { reason, serverUrl: current.serverUrl };
      current = null;
    } else if (reason) {
      signedOut = { ...signedOut, reason };
    }
  }

  const saved = load();
  // Asked for another server than the last session's (npm start --server-url): that one is offered,
  // and the last session stays saved for a launch without it.
  const elsewhere = saved !== null && options.offerServer !== undefined && new URL(saved.serverUrl).origin !== new URL(options.offerServer).origin;
  if (saved?.token && !elsewhere) open(saved.serverUrl, saved.address, saved.token);
  else if (saved && !elsewhere) signedOut = { reason: unsealFailure, serverUrl: saved.serverUrl };

  return {
    state,
    /** No session was ever kept in this data dir. */
    firstLaunch: saved === null,
    on<E extends keyof SessionEvents>(event: E, listener: (payload: SessionEvents[E]) => void): Unsubscribe {
      return events.on(event, listener);
    },
    /** The signed-in engine; requests that need one fail clearly when nobody is signed in. */
    client(): Client {
      if (!current) throw new ParleyError('unauthorized', 'nobody is signed in');
      return current.client;
    },
    fileSettings(): FileSettings {
      if (!current) throw new ParleyError('unauthorized', 'nobody is signed in');
      return current.settings.read();
    },
    setFileSettings(settings: FileSettings): FileSettings {
      if (!current) throw new ParleyError('unauthorized', 'nobody is signed in');
      current.settings.save(settings);
      applyFileSettings(current.client, settings);
      return settings;
    },
    async signIn(serverUrl: string, token: string): Promise<SessionState> {
      const address = await verifyToken(serverUrl, token);
      return open(serverUrl, address, token);
    },
    signInDemo(address: Address): SessionState {
      const account = options.demo?.users.find((u) => u.address === address);
      if (!account) throw new ParleyError('not_found', `there is no demo user ${address}`);
      return open(options.demo!.serverUrl, account.address, account.token);
    },
    /** Forgets the token; the account's local history stays for the next sign-in. */
    signOut(): SessionState {
      if (current) save({ serverUrl: current.serverUrl, address: current.me, token: null });
      end(null);
      events.emit('session', state());
      return state();
    },
    close(): void {
      end(null);
      events.clear();
    },
  };
}


/** The data dir holds the session's token and every account's history: this user's only (0700 on POSIX), also when an older version made it 0755. */
function makePrivateDir(dir: string, log: (message: string, detail?: unknown) => void): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (process.platform === 'win32') return;
  try {
    if ((statSync(dir).mode & 0o077) !== 0) chmodSync(dir, 0o700);
  } catch (error) {
    log(`could not make ${dir} private to this user`, error);
  }
}
