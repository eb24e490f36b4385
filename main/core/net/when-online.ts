// Requests a person is waiting on (create a conversation, search people) ride out a connection
// attempt in progress instead of failing at once, and fail clearly when Parley is offline.
import { ParleyError } from '../../../protocol/index.js';
import type { Emitter } from '../../../common/emitter.js';
import type { EngineEvents } from '../types.js';
import type { Connection } from './connection.js';

export function whenOnline(connection: Connection, events: Emitter<EngineEvents>, timeoutMs = 10_000): Promise<void> {
  const offline = () => new ParleyError('unavailable', 'Parley is offline; this needs the server');
  if (connection.online) return Promise.resolve();
  if (connection.status.state !== 'connecting') return Promise.reject(offline());
  return new Promise((resolve, reject) => {
    const off = events.on('connectionStatus', (status) => {
      if (status.state === 'connecting') return;
      settle();
      if (status.state === 'online') resolve();
      else reject(offline());
    });
    const timer = setTimeout(() => {
      settle();
      reject(offline());
    }, timeoutMs);
    const settle = () => {
      off();
      clearTimeout(timer);
    };
  });
}
