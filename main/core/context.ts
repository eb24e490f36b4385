// The parts of the engine its subsystems share, made once by client.ts. Each subsystem names what it
// uses (Pick<EngineContext, …>) and gets exactly that: its dependencies are read off its signature.
import type { Emitter } from '../../common/emitter.js';
import type { Announce } from './announce.js';
import type { Views } from './messages/views.js';
import type { Connection } from './net/connection.js';
import type { Store } from './store/index.js';
import type { EngineEvents } from './types.js';

export interface EngineContext {
  store: Store;
  views: Views;
  events: Emitter<EngineEvents>;
  announce: Announce;
  connection: Connection;
  /** Set once stop() has begun: work still in flight drops its result. */
  stopped(): boolean;
  log(message: string, detail?: unknown): void;
}
