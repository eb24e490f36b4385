// Small UI state kept across launches in localStorage (drafts, the last opened conversation).
// Storage can be full or disabled: the UI then just forgets.
export function readPersisted<T>(key: string, fallback: T): T {
  try {
    const raw = localStorage.getItem(key);
    return raw === null ? fallback : (JSON.parse(raw) as T);
  } catch {
    return fallback;
  }
}

export function writePersisted(key: string, value: unknown): void {
  try {
    if (value === undefined) localStorage.removeItem(key);
    else localStorage.setItem(key, JSON.stringify(value));
  } catch {
    /* forgetting a draft is better than breaking the composer */
  }
}
