// The engine's socket.io link to the server: typed requests and pushes, both validated against
// the protocol, and reconnection with exponential backoff and jitter that reports when it retries.
import { io, type Socket } from 'socket.io-client';
import {
  ParleyError,
  describeIssues,
  pushes,
  requests,
  type ErrorCode,
  type PushName,
  type PushPayload,
  type Reply,
  type RequestName,
  type RequestPayload,
  type RequestResult,
  type SignalName,
  type SignalPayload,
} from '../../../protocol/index.js';
import type { ConnectionStatus } from '../types.js';

export interface ConnectionOptions {
  serverUrl: string;
  token: string;
  deviceId: string;
  onStatus(status: ConnectionStatus): void;
  onInvalidPush(name: string, problem: string): void;
  /** Whether the device is idle as it connects: the handshake says so, so presence starts right. */
  idle?: () => boolean;
  /** Backoff bounds in ms. */
  minDelay?: number;
  maxDelay?: number;
  requestTimeout?: number;
  /** The largest websocket frame taken from the server, in bytes (ws maxPayload); a bigger one closes the link. */
  maxFrameBytes?: number;
}

export type Connection = ReturnType<typeof createConnection>;

export function createConnection(options: ConnectionOptions) {
  const minDelay = options.minDelay ?? 500;
  const maxDelay = options.maxDelay ?? 30_000;
  const requestTimeout = options.requestTimeout ?? 15_000;
  let socket: Socket | null = null;
  let attempt = 0;
  let retryTimer: NodeJS.Timeout | null = null;
  let status: ConnectionStatus = { state: 'stopped' };
  let authFailed = false;
  const pushHandlers = new Map<string, (payload: never) => void>();

  function setStatus(next: ConnectionStatus) {
    status = next;
    options.onStatus(next);
  }

  function scheduleRetry(reason: string) {
    if (retryTimer || authFailed || status.state === 'stopped') return;
    // Full jitter over an exponential ceiling: devices that lost the server together do not return together.
    const ceiling = Math.min(maxDelay, minDelay * 2 ** Math.min(attempt, 16));
    const delay = Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
    retryTimer = setTimeout(() => {
      retryTimer = null;
      connect();
    }, delay);
    // After the timer is set: a listener may stop the connection from inside this status.
    setStatus({ state: 'offline', reason, nextRetryAt: Date.now() + delay });
  }

  function failAuth(reason: string) {
    authFailed = true;
    socket?.disconnect();
    setStatus({ state: 'authFailed', reason });
  }

  function connect() {
    if (!socket) {
      // ws's maxPayload, which engine.io-client passes through without declaring it in its types.
      const frames = { maxPayload: options.maxFrameBytes ?? 64 * 1024 * 1024 };
      socket = io(options.serverUrl, {
        ...frames,
        // Asked at every connect, so each handshake carries the activity of that moment.
        auth: (send) => send({ token: options.token, deviceId: options.deviceId, ...(options.idle?.() && { idle: true }) }),
        transports: ['websocket'],
        reconnection: false,
        autoConnect: false,
        timeout: 10_000,
      });
      socket.on('connect', () => {
        attempt = 0;
        setStatus({ state: 'online' });
      });
      socket.on('connect_error', (error: Error & { data?: { code?: string; message?: string } }) => {
        if (error.data?.code === 'auth_failed') return failAuth(error.data.message ?? error.message);
        attempt++;
        scheduleRetry(error.data?.message ?? error.message);
      });
      socket.on('disconnect', (reason) => {
        if (status.state === 'stopped' || authFailed) return;
        attempt++;
        scheduleRetry(reason === 'io server disconnect' ? 'the server closed the connection' : `connection lost (${reason})`);
      });
      socket.on('auth:revoked', (payload: unknown) => {
        const parsed = pushes['auth:revoked'].safeParse(payload);
        failAuth(parsed.success ? parsed.data.message : 'the access token was revoked');
      });
      socket.onAny((name: string, payload: unknown) => {
        const handler = pushHandlers.get(name);
        if (!handler) return;
        const schema = pushes[name as PushName];
        const parsed = schema.safeParse(payload);
        if (!parsed.success) return options.onInvalidPush(name, describeIssues(parsed.error));
        handler(parsed.data as never);
      });
    }
    setStatus({ state: 'connecting', attempt: attempt + 1 });
    socket.connect();
  }

  return {
    get status() {
      return status;
    },
    get online() {
      return socket?.connected === true;
    },
    start() {
      if (status.state !== 'stopped') return;
      authFailed = false;
      attempt = 0;
      status = { state: 'connecting', attempt: 1 };
      connect();
    },
    stop() {
      if (retryTimer) clearTimeout(retryTimer);
      retryTimer = null;
      setStatus({ state: 'stopped' });
      socket?.disconnect();
      socket?.removeAllListeners();
      socket = null;
    },
    onPush<N extends PushName>(name: N, handler: (payload: PushPayload<N>) => void) {
      pushHandlers.set(name, handler as (payload: never) => void);
    },
    /** Sends a request and resolves with its validated result; rejects with a ParleyError. */
    request<N extends RequestName>(name: N, payload: RequestPayload<N>, timeout = requestTimeout): Promise<RequestResult<N>> {
      const current = socket;
      if (!current?.connected) return Promise.reject(new ParleyError('unavailable', 'not connected to the server'));
      return new Promise((resolve, reject) => {
        current.timeout(timeout).emit(name, payload, (error: Error | null, reply: Reply<unknown>) => {
          if (error) return reject(new ParleyError('unavailable', `the server did not answer ${name} in time`));
          if (!reply || typeof reply !== 'object') return reject(new ParleyError('internal', `malformed reply to ${name}`));
          if (!reply.ok) {
            const code = (reply.error?.code ?? 'internal') as ErrorCode;
            return reject(new ParleyError(code, reply.error?.message ?? 'the server refused the request'));
          }
          const parsed = requests[name].result.safeParse(reply.data);
          if (!parsed.success) {
            return reject(new ParleyError('internal', `malformed reply to ${name}: ${describeIssues(parsed.error)}`));
          }
          resolve(parsed.data as RequestResult<N>);
        });
      });
    },
    signal<N extends SignalName>(name: N, payload: SignalPayload<N>) {
      if (socket?.connected) socket.emit(name, payload);
    },
    /**
     * A request whose answer this device has no use for: sent without asking for one (the server
     * answers only when asked, and tells of a refusal with protocol:error). Dropped when offline.
     */
    tell<N extends RequestName>(name: N, payload: RequestPayload<N>) {
      if (socket?.connected) socket.emit(name, payload);
    },
  };
}
