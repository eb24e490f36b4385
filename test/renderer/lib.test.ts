import { describe, expect, it } from 'vitest';
import type { Message } from '../../contract/types';
import { conversationTitle, nameOf, previewText, systemText } from '../../renderer/lib/conversation';
import { parseMarkdown, plainText, type LinkTarget, type MarkdownNode } from '../../common/markdown';
import { loadEmoji, searchEmoji } from '../../renderer/lib/emoji';
import { countdown, dayLabel, relativeTime } from '../../renderer/lib/time';
import { createFakeParley, NOW } from './fake-parley';

const at = (day: number, hour: number, minute = 0) => new Date(2026, 2, day, hour, minute).getTime();

describe('relativeTime', () => {
  const now = at(12, 14, 30); // Thursday 12 March 2026
  it.each([
    [now - 20_000, 'now'],
    [now - 5 * 60_000, '5 min'],
    [at(12, 14, 2), '28 min'],
    [at(12, 9, 5), '09:05'],
    [at(9, 18), 'Mon'],
    [at(2, 8), '2 Mar'],
    [new Date(2025, 11, 24).getTime(), '24 Dec 2025'],
  ])('%s reads %s', (time, expected) => expect(relativeTime(time, now)).toBe(expected));

  it('names days for separators', () => {
    expect(dayLabel(at(12, 1), now)).toBe('Today');
    expect(dayLabel(at(11, 23), now)).toBe('Yesterday');
    expect(dayLabel(at(9, 10), now)).toBe('Monday');
    expect(dayLabel(at(2, 10), now)).toBe('Monday 2 March');
  });

  it('counts down in seconds, then minutes', () => {
    expect(countdown(11_200)).toBe('12 s');
    expect(countdown(125_000)).toBe('2 min 5 s');
    expect(countdown(-5)).toBe('0 s');
  });
});

/** The links a message's text holds: their text and what they do (null: drawn as text). */
function linksIn(text: string): Array<[string, LinkTarget | null]> {
  const out: Array<[string, LinkTarget | null]> = [];
  const walk = (nodes: MarkdownNode[]) =>
    nodes.forEach((n) => {
      if (n.type === 'link') out.push([n.children.map((c) => (c.type === 'text' ? c.text : '')).join(''), n.target]);
      else if (n.type === 'element') walk(n.children);
    });
  walk(parseMarkdown(text));
  return out;
}

describe('links in messages', () => {
  it('finds http(s) URLs in text, leaving sentence punctuation outside', () => {
    const text = 'see https://example.com/a?b=1. and (http://x.org/y)';
    expect(linksIn(text)).toEqual([
      ['https://example.com/a?b=1', { kind: 'web', href: 'https://example.com/a?b=1' }],
      ['http://x.org/y', { kind: 'web', href: 'http://x.org/y' }],
    ]);
    expect(plainText(text)).toBe(text);
  });

  it('keeps brackets that belong to the URL and ignores other schemes', () => {
    expect(linksIn('https://en.wikipedia.org/wiki/Vue_(software)')[0]![0]).toBe('https://en.wikipedia.org/wiki/Vue_(software)');
    expect(linksIn('javascript:alert(1) ftp://x file:///etc/passwd').filter(([, target]) => target !== null)).toEqual([]);
  });

  it('links www. addresses and e-mail addresses, not every dotted word', () => {
    expect(linksIn('www.example.com/x, mail a@b.co or mailto:c@d.org; readme.md node.js 1.2.3').filter(([, target]) => target !== null)).toEqual([
      ['www.example.com/x', { kind: 'web', href: 'http://www.example.com/x' }],
      ['a@b.co', { kind: 'web', href: 'mailto:a@b.co' }],
      ['mailto:c@d.org', { kind: 'web', href: 'mailto:c@d.org' }],
    ]);
  });

  it('reads only parley://conversation/<id>[/<seq>] as an in-app link', () => {
    expect(linksIn('a parley://conversation/c-1, b https://x.example/p parley://evil/x parley://conversation/c-2/9.')).toEqual([
      ['parley://conversation/c-1', { kind: 'conversation', href: 'parley://conversation/c-1', conversationId: 'c-1' }],
      ['https://x.example/p', { kind: 'web', href: 'https://x.example/p' }],
      ['parley://conversation/c-2/9', { kind: 'conversation', href: 'parley://conversation/c-2/9', conversationId: 'c-2', seq: 9 }],
    ]);
  });

  it('draws a Markdown link to a scheme it does not open as its text', () => {
    expect(linksIn('[x](javascript:alert(1)) [y](file:///etc/passwd) [z](data:text/html,hi) [ok](https://example.com)')).toEqual([
      ['x', null],
      ['y', null],
      ['z', null],
      ['ok', { kind: 'web', href: 'https://example.com/' }],
    ]);
  });
});

describe('emoji search', () => {
  it('ranks names that start with the query first, then names that hold it, then keywords', async () => {
    const groups = await loadEmoji();
    const party = searchEmoji(groups, 'party').map((e) => e.emoji);
    expect(party.slice(0, 2).sort()).toEqual(['🎉', '🥳'].sort());
    expect(party).toContain('😛'); // tagged party, found, later
    expect(party.indexOf('😛')).toBeGreaterThan(1);
    expect(searchEmoji(groups, 'thumbs up')[0]?.emoji).toBe('👍');
    expect(searchEmoji(groups, '  ')).toEqual([]);
  });
});

describe('plain text of a message', () => {
  it('drops the markup and keeps the words, for the list preview', () => {
    expect(plainText('**Ship** it _today_ ~~maybe~~ `npm run dist`\n\n> quoted\n\n- one\n- two\n\n```\ncode\n```')).toBe('Ship it today maybe npm run dist quoted one two code');
    expect(plainText('# not a heading, 2 * 3 * 4')).toBe('# not a heading, 2 * 3 * 4');
  });
});

describe('conversation texts', () => {
  it('shows people by the names the server gives them, by address where it gave none', () => {
    const member = (address: string, name?: string) => ({ address, role: 'member' as const, deliveredSeq: 0, readSeq: 0, ...(name && { name }) });
    const base = { unread: 0, mentions: 0, lastSeq: 1, haveSeq: 1, readSeq: 1, lastActivity: NOW, muted: false };
    const direct = { ...base, id: 'd', type: 'direct' as const, title: null, participants: [member('alice', 'Alice Martin'), member('bob', 'Bob Okafor')], lastMessage: null };
    expect(conversationTitle(direct, 'alice')).toBe('Bob Okafor');
    const said: Message = { id: 'm', conversationId: 'g', seq: 1, kind: 'text', sender: 'bob', mine: false, body: 'hi  there', time: NOW, status: null };
    const group = { ...direct, id: 'g', type: 'group' as const, participants: [...direct.participants, member('carol')], lastMessage: said };
    expect(conversationTitle(group, 'alice')).toBe('Bob Okafor, carol');
    expect(previewText(group, 'alice')).toBe('Bob: hi there');
    expect(nameOf(group, 'carol')).toBe('carol');
    expect(nameOf(undefined, 'dave')).toBe('dave');
  });

  const change = (kind: Message['kind'], sender: string, body: object): Message => ({
    id: 'x', conversationId: 'c', seq: 1, kind, sender, mine: false, body: JSON.stringify(body), time: NOW, status: null,
  });

  it('describes membership and title changes', () => {
    const names: Record<string, string> = { alice: 'Alice', bob: 'Bob', carol: 'Carol', dave: 'Dave', erin: 'Erin' };
    const text = (kind: 'members' | 'edit', sender: string, body: object, noun?: string) => systemText(change(kind, sender, body), 'alice', (a) => names[a] ?? a, noun);
    expect(text('members', 'carol', { added: ['bob'], removed: [] })).toBe('Carol added Bob');
    expect(text('members', 'carol', { added: ['bob', 'dave'], removed: ['alice'] })).toBe('Carol added Bob and Dave and removed you');
    expect(text('members', 'bob', { added: [], removed: ['bob'] })).toBe('Bob left');
    expect(text('members', 'bob', { added: [], removed: ['bob'], promoted: ['carol'] })).toBe('Bob left; Carol is now an admin');
    expect(text('members', 'bob', { added: [], removed: ['bob'], promoted: ['alice'] })).toBe('Bob left; you are now an admin');
    expect(text('members', 'carol', { added: [], removed: [], promoted: ['bob'] })).toBe('Carol made Bob an admin');
    expect(text('members', 'alice', { added: [], removed: [], demoted: ['bob'] })).toBe('You removed Bob as admin');
    expect(text('members', '', { added: ['dave', 'erin'], removed: [] })).toBe('Dave and Erin were added');
    expect(text('members', '', { added: ['alice'], removed: [] })).toBe('You were added');
    expect(text('members', '', { added: [], removed: ['zed'], promoted: ['bob'] })).toBe('zed was removed; Bob is now an admin');
    expect(text('edit', 'carol', { title: 'Launch' })).toBe('Carol renamed the group to “Launch”');
    expect(text('edit', 'carol', { title: 'News', description: 'Daily' }, 'channel')).toBe('Carol renamed the channel to “News” and changed the description');
    expect(text('edit', 'alice', { description: '' })).toBe('You removed the description');
    expect(text('edit', '', { title: 'Launch' })).toBe('The group was renamed to “Launch”');
  });

  it('titles a conversation by its title, else the others in it', () => {
    const fake = createFakeParley();
    expect(conversationTitle(fake.conversations.get('c-launch')!, 'alice')).toBe('Launch plan');
    expect(conversationTitle(fake.conversations.get('c-bob')!, 'alice')).toBe('bob');
    expect(previewText(fake.conversations.get('c-launch')!, 'alice')).toBe('carol: Welcome to the launch plan.');
  });
});
