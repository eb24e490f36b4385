import { describe, expect, it } from 'vitest';
import type { Message } from '../../contract/types';
import { conversationTitle, nameOf, previewText, systemText } from '../../renderer/lib/conversation';
import { linkify } from '../../renderer/lib/linkify';
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

describe('linkify', () => {
  it('splits http(s) URLs out of text, leaving sentence punctuation outside', () => {
    expect(linkify('see https://example.com/a?b=1. and (http://x.org/y)')).toEqual([
      { kind: 'text', text: 'see ' },
      { kind: 'link', text: 'https://example.com/a?b=1', href: 'https://example.com/a?b=1' },
      { kind: 'text', text: '. and (' },
      { kind: 'link', text: 'http://x.org/y', href: 'http://x.org/y' },
      { kind: 'text', text: ')' },
    ]);
  });

  it('keeps brackets that belong to the URL and ignores other schemes', () => {
    expect(linkify('https://en.wikipedia.org/wiki/Vue_(software)')[0]).toMatchObject({ kind: 'link', text: 'https://en.wikipedia.org/wiki/Vue_(software)' });
    expect(linkify('javascript:alert(1) ftp://x')).toEqual([{ kind: 'text', text: 'javascript:alert(1) ftp://x' }]);
  });
});

describe('conversation texts', () => {
  it('shows people by the names the server gives them, by address where it gave none', () => {
    const member = (address: string, name?: string) => ({ address, role: 'member' as const, deliveredSeq: 0, readSeq: 0, ...(name && { name }) });
    const base = { unread: 0, lastSeq: 1, readSeq: 1, lastActivity: NOW, muted: false };
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
