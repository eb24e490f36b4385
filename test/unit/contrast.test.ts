// The palette in renderer/style.css against WCAG 2.1 AA (1.4.3): every text colour on every surface it is
// used on reaches 4.5:1, in light and in dark, avatars' initials included. Read from the stylesheet
// itself, so a colour changed there is checked here before any screen shows it.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AVATAR_HUES } from '../../renderer/lib/avatar.js';

type Rgba = [number, number, number, number];

const css = readFileSync(resolve(import.meta.dirname, '../../renderer/style.css'), 'utf8');

/** The custom properties declared in the first block that follows `opening`. */
function tokensAfter(opening: RegExp): Map<string, string> {
  const start = css.search(opening);
  expect(start, `${opening} in style.css`).toBeGreaterThanOrEqual(0);
  const block = /:root\s*\{([^}]*)\}/.exec(css.slice(start))![1]!;
  return new Map([...block.matchAll(/(--[\w-]+)\s*:\s*([^;]+);/g)].map((m) => [m[1]!, m[2]!.trim()]));
}

const light = tokensAfter(/^:root\s*\{/m);
const dark = new Map([...light, ...tokensAfter(/@media \(prefers-color-scheme: dark\)/)]);
const THEMES = { light, dark };

function parse(value: string): Rgba {
  const hex = /^#([0-9a-f]{6})$/i.exec(value);
  if (hex) return [0, 2, 4].map((i) => parseInt(hex[1]!.slice(i, i + 2), 16)).concat(1) as Rgba;
  const rgb = /^rgb\((\d+) (\d+) (\d+)(?: \/ ([\d.]+)%)?\)$/.exec(value);
  if (rgb) return [Number(rgb[1]), Number(rgb[2]), Number(rgb[3]), rgb[4] === undefined ? 1 : Number(rgb[4]) / 100];
  throw new Error(`not a colour this test reads: ${value}`);
}

/** `top` painted over `bottom` (opaque), as the browser composites it. */
function over(top: Rgba, bottom: Rgba): Rgba {
  const a = top[3];
  return [0, 1, 2].map((i) => top[i]! * a + bottom[i]! * (1 - a)).concat(1) as Rgba;
}

/** WCAG 2.1 relative luminance. */
function luminance([r, g, b]: Rgba): number {
  const linear = (v: number) => {
    const c = v / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b);
}

function contrast(a: Rgba, b: Rgba): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi! + 0.05) / (lo! + 0.05);
}

/** A surface: a token, or a token over another (the translucent ones). */
type Surface = string | [top: string, under: string];
/** Text: a token, or a token at the opacity another token holds. */
type Text = string | [colour: string, opacity: string];

function colourOf(tokens: Map<string, string>, name: string): Rgba {
  const value = tokens.get(name);
  if (value === undefined) throw new Error(`${name} is not in style.css`);
  return parse(value);
}

function surfaceOf(tokens: Map<string, string>, surface: Surface): Rgba {
  return typeof surface === 'string' ? colourOf(tokens, surface) : over(colourOf(tokens, surface[0]), colourOf(tokens, surface[1]));
}

function textOn(tokens: Map<string, string>, text: Text, surface: Rgba): Rgba {
  if (typeof text === 'string') return over(colourOf(tokens, text), surface);
  const [r, g, b] = colourOf(tokens, text[0]);
  return over([r, g, b, Number(tokens.get(text[1]))], surface);
}

const PLAIN_SURFACES: Surface[] = ['--bg', '--bg-sidebar', '--bg-raised', '--bg-input', '--bubble-in', ['--selected', '--bg-sidebar']];

/** Which text sits on which surfaces (where the components put them). */
const PAIRS: Array<[Text, Surface[]]> = [
  ['--fg', PLAIN_SURFACES],
  ['--muted', PLAIN_SURFACES],
  ['--faint', PLAIN_SURFACES],
  ['--accent', PLAIN_SURFACES],
  // A destructive button is --accent-fg on --danger.
  ['--accent-fg', ['--accent', '--accent-strong', '--danger']],
  ['--accent-strong', [['--accent-soft', '--bg']]],
  ['--bubble-out-fg', ['--bubble-out']],
  [['--bubble-out-fg', '--secondary-opacity'], ['--bubble-out']],
  [['--fg', '--secondary-opacity'], ['--bubble-in']],
  ['--danger', ['--bg', '--bg-raised', ['--danger-soft', '--bg'], ['--danger-soft', '--bg-raised']]],
  ['--warning', ['--bg', ['--warning-soft', '--bg']]],
  // Message actions: a mention of me, code and reply quotes inside either bubble, my reaction's chip.
  ['--fg', ['--mention-me', ['--code-bg', '--bubble-in'], ['--quote-bg', '--bubble-in'], ['--selected', '--bg']]],
  ['--bubble-out-fg', [['--code-bg', '--bubble-out'], ['--quote-bg', '--bubble-out']]],
];

const label = (x: Text | Surface) => (typeof x === 'string' ? x : x.join(' / '));

describe.each(Object.entries(THEMES))('the %s palette', (_theme, tokens) => {
  it.each(PAIRS.flatMap(([text, surfaces]) => surfaces.map((surface) => [label(text), label(surface), text, surface] as const)))(
    'text %s on %s: at least 4.5:1',
    (_t, _s, text, surface) => {
      const under = surfaceOf(tokens, surface);
      expect(contrast(textOn(tokens, text, under), under)).toBeGreaterThanOrEqual(4.5);
    },
  );

  it(`has ${AVATAR_HUES} avatar colours, each under its initials at least 4.5:1 (small avatars are 11 px text)`, () => {
    const fg = colourOf(tokens, '--avatar-fg');
    const ratios = Array.from({ length: AVATAR_HUES }, (_, i) => {
      const background = colourOf(tokens, `--hue-${i}`);
      return { hue: i, ratio: Math.round(contrast(fg, background) * 100) / 100 };
    });
    expect(ratios.filter((r) => r.ratio < 4.5)).toEqual([]);
    expect(tokens.has(`--hue-${AVATAR_HUES}`), 'no colour beyond AVATAR_HUES').toBe(false);
  });
});

describe('the contrast formula', () => {
  it('gives WCAG reference values: black on white 21:1, a colour on itself 1:1, #767676 on white 4.54:1', () => {
    const white = parse('#ffffff');
    expect(contrast(parse('#000000'), white)).toBeCloseTo(21, 5);
    expect(contrast(parse('#3867f0'), parse('#3867f0'))).toBe(1);
    expect(contrast(parse('#767676'), white)).toBeCloseTo(4.54, 2);
  });
});
