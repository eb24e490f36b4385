// A typed event emitter whose on() returns the unsubscribe function. A throwing listener is
// reported, never allowed to break the engine's own flow.
export type Unsubscribe = () => void;

export class Emitter<Events extends object> {
  private listeners = new Map<keyof Events, Set<(payload: never) => void>>();

  // The console is the reporter of last resort: the engine and hosts pass their own log.
  // eslint-disable-next-line no-console
  constructor(private readonly onListenerError: (error: unknown) => void = (error) => console.error(error)) {}

  on<K extends keyof Events>(event: K, listener: (payload: Events[K]) => void): Unsubscribe {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener as (payload: never) => void);
    return () => {
      set.delete(listener as (payload: never) => void);
    };
  }

  emit<K extends keyof Events>(event: K, payload: Events[K]): void {
    for (const listener of this.listeners.get(event) ?? []) {
      try {
        (listener as (payload: Events[K]) => void)(payload);
      } catch (error) {
        this.onListenerError(error);
      }
    }
  }

  clear(): void {
    this.listeners.clear();
  }
}
