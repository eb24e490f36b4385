// Presence dots, the header's presence line and the profile section against the fake host.
import { flushPromises } from '@vue/test-utils';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { presenceText } from '../../renderer/lib/presence';
import { mountApp, unmountApp } from './app-harness';
import { installFake } from './fake-bridge';
import { NOW } from './fake-parley';

vi.mock('../../renderer/bridge', () => import('./fake-bridge'));

afterEach(unmountApp);

describe('presence', () => {
  it('reads as online, away, or since when', () => {
    const at = (lastSeen: number | null) => presenceText({ address: 'x', state: 'offline', lastSeen }, NOW);
    expect(presenceText({ address: 'x', state: 'online', lastSeen: null }, NOW)).toBe('Online');
    expect(presenceText({ address: 'x', state: 'away', lastSeen: null }, NOW)).toBe('Away');
    expect(at(null)).toBe('Offline'); // hidden
    expect(at(NOW - 20_000)).toBe('Last seen just now');
    expect(at(NOW - 5 * 60_000)).toBe('Last seen 5 min ago');
    expect(at(NOW - 3 * 3_600_000)).toBe('Last seen today at 11:02');
    expect(at(NOW - 24 * 3_600_000)).toBe('Last seen yesterday at 14:02');
    expect(at(NOW - 10 * 24 * 3_600_000)).toBe('Last seen Mar 2, 2026');
  });

  it('puts a dot on the peer in the list and the header, follows changes, and shows none while offline', async () => {
    const fake = installFake();
    const app = await mountApp();
    const dot = () => app.find('[data-conversation-id=c-bob] [data-testid=presence-dot]');
    expect(dot().attributes()).toMatchObject({ 'data-state': 'online', 'aria-label': 'Online' });
    expect(app.get('[data-testid=conversation-subtitle]').text()).toBe('bob · Online');

    fake.emit('presence', [{ address: 'bob', state: 'offline', lastSeen: Date.now() - 5.5 * 60_000 }]);
    await flushPromises();
    expect(dot().attributes('data-state')).toBe('offline');
    expect(app.get('[data-testid=conversation-subtitle]').text()).toBe('bob · Last seen 5 min ago');

    fake.emit('connectionStatus', { state: 'offline', reason: 'connection lost', nextRetryAt: Date.now() + 1000 });
    await flushPromises();
    expect(dot().exists()).toBe(false);
    expect(app.get('[data-testid=conversation-subtitle]').text()).toBe('bob');
  });
});

describe('profile', () => {
  it('changes my name and picture from Settings, and shows the picture beside me', async () => {
    const fake = installFake();
    const app = await mountApp();
    await app.get('[data-testid=settings]').trigger('click');
    const section = app.get('[data-testid=profile-settings]');
    expect((section.get('[data-testid=profile-name]').element as HTMLInputElement).value).toBe('Alice Martin');

    await section.get('[data-testid=profile-name]').setValue('Alice Liddell');
    await section.get('[data-testid=save-name]').trigger('click');
    await flushPromises();
    expect(fake.callsTo('setProfile')).toEqual([{ name: 'Alice Liddell' }]);
    expect(app.get('.conversation-sidebar .address').text()).toBe('Alice Liddell');

    const input = section.get('[data-testid=avatar-input]');
    Object.defineProperty(input.element, 'files', { value: [new File([new Uint8Array([1, 2, 3])], 'me.png', { type: 'image/png' })] });
    await input.trigger('change');
    await flushPromises();
    expect(fake.callsTo('setAvatar')[0]).toEqual({ stagedId: expect.any(String) });
    expect(section.find('[data-testid=avatar-image]').exists()).toBe(true);
    expect(app.find('.conversation-sidebar [data-testid=avatar-image]').exists()).toBe(true);
    expect(section.get('[role=status]').text()).toBe('Picture updated.');

    await section.get('[data-testid=hide-last-seen]').setValue(true);
    await flushPromises();
    expect(fake.callsTo('setProfile').at(-1)).toEqual({ hideLastSeen: true });
  });
});
