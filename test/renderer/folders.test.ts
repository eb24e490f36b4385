// Watched folders in the UI: the header button and its dialog, adding a folder (typed in the browser
// host, chosen or dropped in Electron) with its options, live status and recently sent files from the
// host's events, pause / resume / options / remove, and a dropped folder the browser cannot take.
import { flushPromises, mount, type VueWrapper } from '@vue/test-utils';
import { describe, expect, it, vi } from 'vitest';
import ConversationPane from '../../renderer/components/ConversationPane.vue';
import WatchedFoldersDialog from '../../renderer/components/WatchedFoldersDialog.vue';
import { connectToHost } from '../../renderer/stores/host';
import { useConversationsStore } from '../../renderer/stores/conversations';
import { folderStatusText } from '../../renderer/lib/folders';
import { defineComponent, h } from 'vue';
import { BridgeError } from '../../contract/api';
import { installFake, withStores } from './fake-bridge';

vi.mock('../../renderer/bridge', () => import('./fake-bridge'));

/** The conversation pane with the dialog beside it, fed by the fake host's events like the app is. */
async function mountPane(): Promise<VueWrapper> {
  const conversations = useConversationsStore();
  await conversations.load();
  const Root = defineComponent({
    setup() {
      connectToHost();
      return () => [h(ConversationPane, { conversation: conversations.byId['c-bob']! }), h(WatchedFoldersDialog)];
    },
  });
  const wrapper = mount(Root, { ...withStores(), attachTo: document.body });
  await flushPromises();
  return wrapper;
}

/** A drop carrying these Files, the first `folders` of them folders (as the file manager gives them). */
function drop(files: File[], folders: number): Event {
  const event = new Event('drop', { bubbles: true, cancelable: true });
  const items = files.map((_, i) => ({ kind: 'file', webkitGetAsEntry: () => ({ isDirectory: i < folders }) }));
  Object.defineProperty(event, 'dataTransfer', { value: { files, items, types: ['Files'] } });
  return event;
}

/** Opens the dialog and watches the folder at this typed path with the default options. */
async function addTyped(wrapper: VueWrapper, path: string): Promise<void> {
  await wrapper.get('[data-testid=open-folders]').trigger('click');
  await wrapper.get('[data-testid=folder-path]').setValue(path);
  await wrapper.get('[data-testid=add-folder]').trigger('submit');
  await flushPromises();
}

const dialog = (wrapper: VueWrapper) => wrapper.get('[data-testid=folders-dialog]');

describe('watched folders', () => {
  it('are added from the header by typed path in the browser host, with their options', async () => {
    const fake = installFake();
    const wrapper = await mountPane();
    expect(wrapper.get('[data-testid=open-folders]').attributes('aria-label')).toBe('Folders');
    await wrapper.get('[data-testid=open-folders]').trigger('click');
    await flushPromises();
    expect((dialog(wrapper).element as HTMLDialogElement).open).toBe(true);
    expect(dialog(wrapper).text()).toContain('sent to bob, each once');

    await wrapper.get('[data-testid=folder-path]').setValue('scans');
    await wrapper.get('[data-testid=add-folder]').trigger('submit');
    await flushPromises();
    expect(dialog(wrapper).get('[role=alert]').text()).toBe('Give the folder’s full path');
    expect(fake.callsTo('watchFolder')).toEqual([]);

    await wrapper.get('[data-testid=folder-path]').setValue('/home/alice/Scans');
    await wrapper.get('input[value=keep]').setValue(true);
    await wrapper.get('[data-testid=add-folder] input[type=checkbox]').setValue(true); // "send it again when changed"
    await wrapper.get('[data-testid=add-folder]').trigger('submit');
    await flushPromises();
    expect(fake.callsTo('chooseFolder')).toEqual([{ path: 'scans' }, { path: '/home/alice/Scans' }]);
    expect(fake.callsTo('watchFolder')).toEqual([
      { conversationId: 'c-bob', folderId: 'sf1', options: { includeSubfolders: false, includeExisting: false, afterSend: 'keep', resendChanged: true } },
    ]);
    const card = wrapper.get('[data-testid=watched-folder]');
    expect(card.text()).toContain('/home/alice/Scans');
    expect(card.get('[data-testid=folder-status]').text()).toBe('Watching');
    expect(card.text()).toContain('Sent files are left in place · changed ones are sent again');
    expect(wrapper.get('[data-testid=open-folders]').attributes('aria-label')).toBe('Folders: 1 watched');
    // A count of folders, said as one (not a badge that reads as unread messages).
    expect(wrapper.get('[data-testid=folder-count]').text()).toBe('1');
    expect(wrapper.get('[data-testid=open-folders]').attributes('title')).toBe('1 watched folder; saving incoming files');
    // With a folder watched, adding another is one click away rather than a form in the way.
    expect(wrapper.find('[data-testid=add-folder]').exists()).toBe(false);
    await wrapper.get('[data-testid=add-another-folder]').trigger('click');
    await wrapper.get('[data-testid=folder-path]').setValue('/home/alice/Exports');
    await wrapper.get('[data-testid=add-folder]').trigger('submit');
    await flushPromises();
    expect(wrapper.findAll('[data-testid=watched-folder]')).toHaveLength(2);
    expect(dialog(wrapper).find('[role=alert]').exists()).toBe(false);
    wrapper.unmount();
  });

  it('show live status, errors and the files they sent, from the host’s events', async () => {
    const fake = installFake();
    const wrapper = await mountPane();
    await addTyped(wrapper, '/srv/drop');
    const bound = fake.folders.get('w1')!;

    fake.emit('folderStatus', { ...bound, status: { state: 'sending', sent: 1, total: 5 } });
    await flushPromises();
    expect(wrapper.get('[data-testid=folder-status]').text()).toBe('Sending 2 of 5');

    fake.emit('folderFileSent', { folderId: 'w1', conversationId: 'c-bob', path: 'sub/scan 1.pdf', size: 2_400_000, messageId: 'alice:x1', sentAt: Date.now(), movedTo: null });
    await flushPromises();
    expect(wrapper.findAll('[data-testid=folder-recent-file]').map((li) => li.text())).toEqual([expect.stringMatching(/^scan 1\.pdf\s*2\.4 MB · /)]);

    fake.emit('folderStatus', { ...bound, status: { state: 'error', reason: '/srv/drop is gone (removed, renamed, or its drive is away)', nextRetryAt: Date.now() + 8000 }, lastError: null });
    await flushPromises();
    expect(wrapper.get('[data-testid=folder-status]').text()).toMatch(/^\/srv\/drop is gone .* — checking again in [789] s$/);
    expect(wrapper.get('[data-testid=open-folders]').classes()).toContain('trouble');
    expect(wrapper.get('[data-testid=open-folders]').attributes('aria-label')).toBe('Folders: 1 watched, needs attention');
    // The status change keeps the files sent before it.
    expect(wrapper.findAll('[data-testid=folder-recent-file]')).toHaveLength(1);
    wrapper.unmount();
  });

  it('pause, resume, change options and stop watching', async () => {
    const fake = installFake();
    const wrapper = await mountPane();
    await addTyped(wrapper, '/srv/drop');

    await wrapper.get('[aria-label="Pause watching"]').trigger('click');
    await flushPromises();
    expect(wrapper.get('[data-testid=folder-status]').text()).toBe('Paused');
    await wrapper.get('[aria-label="Resume watching"]').trigger('click');
    await flushPromises();
    expect(fake.callsTo('pauseWatchedFolder')).toEqual([{ id: 'w1' }]);
    expect(fake.callsTo('resumeWatchedFolder')).toEqual([{ id: 'w1' }]);

    await wrapper.get('[aria-label="Change options"]').trigger('click');
    const card = wrapper.get('[data-testid=watched-folder]');
    await card.get('input[value=delete]').setValue(true);
    await card.get('input[type=checkbox]').setValue(true); // include subfolders (no "already there" when changing)
    expect(card.text()).not.toContain('already in the folder');
    await card.get('form').trigger('submit');
    await flushPromises();
    expect(fake.callsTo('updateWatchedFolder')).toEqual([{ id: 'w1', options: { includeSubfolders: true, afterSend: 'delete', resendChanged: false } }]);
    expect(card.text()).toContain('Sent files are deleted · subfolders too');

    await wrapper.get('[aria-label="Stop watching this folder"]').trigger('click');
    await flushPromises();
    expect(fake.callsTo('unwatchFolder')).toEqual([{ id: 'w1' }]);
    expect(wrapper.find('[data-testid=watched-folder]').exists()).toBe(false);
    wrapper.unmount();
  });

  it('in Electron: a folder dropped on the conversation opens the dialog with it chosen; files dropped with it are sent', async () => {
    const fake = installFake({ host: 'electron' });
    const wrapper = await mountPane();
    const section = wrapper.get('[data-testid=conversation-pane]').element;
    section.dispatchEvent(drop([new File([''], 'Camera import'), new File(['x'], 'note.txt')], 1));
    await flushPromises();
    expect((dialog(wrapper).element as HTMLDialogElement).open).toBe(true);
    expect(dialog(wrapper).text()).toContain('/home/alice/Camera import');
    expect(wrapper.find('[data-testid=folder-path]').exists()).toBe(false);
    expect(fake.callsTo('sendFile')).toEqual([{ conversationId: 'c-bob', stagedId: 's1' }]);
    await wrapper.get('[data-testid=add-folder]').trigger('submit');
    await flushPromises();
    expect(fake.callsTo('watchFolder')).toEqual([{ conversationId: 'c-bob', folderId: 'sf1', options: expect.objectContaining({ afterSend: 'move' }) }]);
    expect(fake.callsTo('chooseFolder')).toEqual([]);

    // "Choose folder…" is the host's own dialog: no path comes from the page.
    await wrapper.get('[data-testid=add-another-folder]').trigger('click');
    await wrapper.get('[data-testid=folder-path-choose]').trigger('click');
    await flushPromises();
    expect(fake.callsTo('chooseFolder')).toEqual([undefined]);
    expect(dialog(wrapper).text()).toContain('/home/alice/Picked');
    wrapper.unmount();
  });

  it('in the browser host: a dropped folder opens the dialog saying to type its path', async () => {
    const fake = installFake();
    const wrapper = await mountPane();
    wrapper.get('[data-testid=conversation-pane]').element.dispatchEvent(drop([new File([''], 'Scans')], 1));
    await flushPromises();
    expect((dialog(wrapper).element as HTMLDialogElement).open).toBe(true);
    expect(dialog(wrapper).get('[role=alert]').text()).toBe('Dropping a folder works in the desktop app; here, add it by typing its path');
    expect(fake.callsTo('sendFile')).toEqual([]);
    wrapper.unmount();
  });
});

describe('saving incoming files', () => {
  it('is off until a folder is given; then shows it, and stops on request', async () => {
    const fake = installFake();
    const wrapper = await mountPane();
    await wrapper.get('[data-testid=open-folders]').trigger('click');
    await flushPromises();
    expect(fake.callsTo('getSaveFolder')).toEqual([{ conversationId: 'c-bob' }]);
    const section = wrapper.get('[data-testid=save-folder]');
    expect(section.text()).toContain('Off: files wait on the server');

    await section.get('[data-testid=save-folder-input]').setValue('/home/alice/From Bob');
    await section.trigger('submit');
    await flushPromises();
    expect(fake.callsTo('setSaveFolder')).toEqual([{ conversationId: 'c-bob', folderId: 'sf1' }]);
    expect(section.get('[data-testid=save-folder-path]').text()).toBe('/home/alice/From Bob');

    await section.get('[data-testid=stop-saving]').trigger('click');
    await flushPromises();
    expect(fake.callsTo('setSaveFolder').at(-1)).toEqual({ conversationId: 'c-bob', folderId: null });
    expect(section.text()).toContain('Off: files wait on the server');
    wrapper.unmount();
  });

  it('shows the host’s refusal (a watched folder would send the files back)', async () => {
    const fake = installFake();
    fake.override('setSaveFolder', () => {
      throw new BridgeError('conflict', '/srv/drop is a watched folder: files saved there would be sent back');
    });
    const wrapper = await mountPane();
    await wrapper.get('[data-testid=open-folders]').trigger('click');
    await flushPromises();
    const section = wrapper.get('[data-testid=save-folder]');
    await section.get('[data-testid=save-folder-input]').setValue('/srv/drop');
    await section.trigger('submit');
    await flushPromises();
    expect(section.get('[role=alert]').text()).toBe('/srv/drop is a watched folder: files saved there would be sent back');
    wrapper.unmount();
  });
});

describe('folderStatusText', () => {
  it('reads each state', () => {
    expect(folderStatusText({ state: 'watching' }, 0)).toBe('Watching');
    expect(folderStatusText({ state: 'sending', sent: 4, total: 4 }, 0)).toBe('Sending 4 of 4');
    expect(folderStatusText({ state: 'paused' }, 0)).toBe('Paused');
    expect(folderStatusText({ state: 'error', reason: 'gone', nextRetryAt: 1000 }, 900)).toBe('gone — checking again…');
  });
});
