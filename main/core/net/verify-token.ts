// Who does this token belong to? Asked once at sign-in, before an account's store is opened, so a
// wrong token or server is refused with a clear error and never leaves a stray store behind.
import { randomUUID } from 'node:crypto';
import { ParleyError, type Address } from '../../../protocol/index.js';
import { createConnection } from './connection.js';

export function verifyToken(serverUrl: string, token: string, timeoutMs = 10_000): Promise<Address> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (outcome: { address: Address } | { error: unknown }) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      connection.stop();
      if ('address' in outcome) resolve(outcome.address);
      else reject(outcome.error);
    };
    const connection = createConnection({
      serverUrl,
      token,
      deviceId: `verify-${randomUUID()}`,
      // One attempt: a person is waiting on the sign-in screen.
      minDelay: timeoutMs,
      maxDelay: timeoutMs,
      onStatus: (status) => {
        if (status.state === 'authFailed') finish({ error: new ParleyError('auth_failed', status.reason) });
        if (status.state === 'offline') finish({ error: new ParleyError('unavailable', `could not reach ${serverUrl}: ${status.reason}`) });
        if (status.state === 'online') {
          connection.request('sync', {}).then(
            ({ me }) => finish({ address: me.address }),
            (error: unknown) => finish({ error }),
          );
        }
      },
      onInvalidPush: () => {},
    });
    const timer = setTimeout(() => finish({ error: new ParleyError('unavailable', `${serverUrl} did not answer in time`) }), timeoutMs);
    connection.start();
  });
}
