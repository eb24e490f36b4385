// protocol's Emoji: one RGI emoji, the ones found good remembered (a catch-up checks every reaction).
import { describe, expect, it } from 'vitest';
import { Emoji } from '../../protocol/index.js';

describe('Emoji', () => {
  it('takes one emoji, skin tones and ZWJ sequences included, as often as it comes', () => {
    for (let i = 0; i < 3; i++) for (const e of ['👍', '❤️', '👍🏽', '👩‍💻', '🏳️‍🌈']) expect(Emoji.safeParse(e).success, e).toBe(true);
  });

  it('refuses text, two emoji and a part of a sequence, also after the emoji in it were taken', () => {
    for (const e of ['👍', '👩‍💻']) expect(Emoji.safeParse(e).success).toBe(true);
    for (const bad of ['a', ':+1:', '👍👍', '👍 ', '\u200d', '👩\u200d', '']) expect(Emoji.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
  });
});
