// Avatars are initials on a colour picked from the address, so a person keeps their colour everywhere.
export const AVATAR_HUES = 8;

/** "alice" → "A", "bob.okafor" → "BO", "Launch plan" → "LP". */
export function initials(name: string): string {
  const words = name.split(/[\s._@+-]+/).filter(Boolean);
  const letters = words.length > 1 ? [words[0]![0], words[1]![0]] : [words[0]?.[0]];
  return letters.join('').toUpperCase() || '?';
}

/** A stable 0…AVATAR_HUES-1 index from a string (FNV-1a). */
export function hueIndex(key: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193);
  return (hash >>> 0) % AVATAR_HUES;
}
