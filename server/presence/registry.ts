// Which devices of each user are connected, and whether each is in use: the state presence is
// computed from. This in-memory registry knows one node's devices; with several nodes the Redis one
// (redis-registry.ts) replaces it behind the same interface, which is async for that reason.
import type { Address, PresenceState } from '../../protocol/index.js';

/** A user's state before and after a device's change: presence goes out only when they differ. */
export interface Transition {
  before: PresenceState;
  after: PresenceState;
}

export interface PresenceRegistry {
  connect(address: Address, deviceKey: string, active: boolean): Promise<Transition>;
  setActive(address: Address, deviceKey: string, active: boolean): Promise<Transition>;
  disconnect(address: Address, deviceKey: string): Promise<Transition>;
  /** Each user's state now: offline when no device of theirs is connected. */
  states(addresses: readonly Address[]): Promise<Map<Address, PresenceState>>;
  /** Changes that happened elsewhere (a dead node's devices cleared): presence tells those users' circles. */
  watch?(listener: (address: Address, transition: Transition) => void): void;
  /** Takes this node's devices out of a shared registry; after its devices have left. */
  close?(): Promise<void>;
}

/** Online if any device is active, away if connected but all idle, offline with none connected. */
function stateOf(devices: ReadonlyMap<string, boolean> | undefined): PresenceState {
  if (!devices || devices.size === 0) return 'offline';
  for (const active of devices.values()) if (active) return 'online';
  return 'away';
}

export function createMemoryRegistry(): PresenceRegistry {
  const users = new Map<Address, Map<string, boolean>>();

  const change = (address: Address, update: (devices: Map<string, boolean>) => void): Transition => {
    let devices = users.get(address);
    const before = stateOf(devices);
    if (!devices) users.set(address, (devices = new Map()));
    update(devices);
    if (devices.size === 0) users.delete(address);
    return { before, after: stateOf(devices) };
  };

  return {
    async connect(address, deviceKey, active) {
      return change(address, (devices) => devices.set(deviceKey, active));
    },
    async setActive(address, deviceKey, active) {
      // A device that already left stays gone: its late activity signal adds nothing.
      return change(address, (devices) => devices.has(deviceKey) && devices.set(deviceKey, active));
    },
    async disconnect(address, deviceKey) {
      return change(address, (devices) => devices.delete(deviceKey));
    },
    async states(addresses) {
      return new Map(addresses.map((address) => [address, stateOf(users.get(address))]));
    },
  };
}
