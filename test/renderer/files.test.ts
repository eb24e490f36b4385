// File messages and attaching files: the card or preview, progress with stop / resume / retry, the
// download and open actions, and the composer's attach button, paste and drop, against the fake host.
import { flushPromises, mount } from '@vue/test-utils';
import { describe, expect, it, vi } from 'vitest';
import type { FileProgress, Message } from '../../contract/types';
import ConversationPane from '../../renderer/components/ConversationPane.vue';
import MessageComposer from '../../renderer/components/MessageComposer.vue';
import MessageItem from '../../renderer/components/MessageItem.vue';
import SettingsDialog from '../../renderer/components/SettingsDialog.vue';
import { useConversationsStore } from '../../renderer/stores/conversations';
import { useMessagesStore } from '../../renderer/stores/messages';
import { useDraftsStore } from '../../renderer/stores/drafts';
import { useFilesStore } from '../../renderer/stores/files';
import { installFake, withStores } from './fake-bridge';
import { fileKind, humanSize, typeLabel } from '../../renderer/lib/files';

vi.mock('../../renderer/bridge', () => import('./fake-bridge'));

const PDF = { name: 'Quarterly report.pdf', size: 2_400_000, mime: 'application/pdf', url: 'http://127.0.0.1:7300/files/f1', sha256: 'a'.repeat(64) };
const PHOTO = { ...PDF, name: 'photo.jpg', mime: 'image/jpeg', size: 180_000, preview: { jpeg: '/9j/AAAA', width: 320, height: 240 } };

function mountItem(message: Message) {
  return mount(MessageItem, { ...withStores(), props: { message, startsRun: true, showSender: false } });
}

/** Sets an <input type=file>'s chosen files, as the browser does. */
function choose(input: HTMLInputElement, files: File[]): void {
  Object.defineProperty(input, 'files', { value: files, configurable: true });
}

/** An event carrying files as a drop or a paste does. */
function withFiles(type: string, key: 'dataTransfer' | 'clipboardData', files: File[]): Event {
  const event = new Event(type, { bubbles: true, cancelable: true });
  Object.defineProperty(event, key, { value: { files, types: ['Files'] } });
  return event;
}

describe('file messages', () => {
  it('show a card with name, size and type, and download on request', async () => {
    const fake = installFake();
    const message = fake.fileMessage(4, 'bob', PDF);
    const item = mountItem(message);
    const card = item.get('[data-testid=file-message]');
    expect(card.text()).toContain('Quarterly report.pdf');
    expect(card.text()).toContain('2.4 MB · PDF');
    expect(item.find('[data-testid=file-preview]').exists()).toBe(false);
    await item.get('[data-testid=file-download]').trigger('click');
    expect(fake.callsTo('downloadFile')).toEqual([{ messageId: message.id }]);
  });

  it('show an image’s preview at its size, with the caption; a click downloads it', async () => {
    const fake = installFake();
    const item = mountItem(fake.fileMessage(4, 'bob', PHOTO, { body: 'the view' }));
    const img = item.get('[data-testid=file-preview] img');
    expect(img.attributes()).toMatchObject({ src: 'data:image/jpeg;base64,/9j/AAAA', width: '320', height: '240', alt: 'photo.jpg' });
    expect(item.text()).toContain('the view');
    await item.get('[data-testid=file-preview]').trigger('click');
    expect(fake.callsTo('downloadFile')).toHaveLength(1);
  });

  it('show progress with bytes, total and rate; stop, resume and retry act on the transfer', async () => {
    const fake = installFake();
    const base = fake.fileMessage(4, 'bob', PDF);
    const running: FileProgress = { ...fake.transfer('download', PDF, base.id, { state: 'running', bytes: 600_000 }), rate: 1_200_000 };
    const item = mountItem({ ...base, transfer: running });
    const bar = item.get('[data-testid=file-progress]');
    expect(bar.attributes()).toMatchObject({ role: 'progressbar', 'aria-valuenow': '600000', 'aria-valuemax': '2400000', 'aria-label': 'Downloading Quarterly report.pdf' });
    expect(bar.text()).toMatch(/600 KB \/ 2.4 MB\s+· 1.2 MB\/s/);
    await item.get('button').trigger('click');
    expect(fake.callsTo('stopFileTransfer')).toEqual([{ id: running.id }]);

    await item.setProps({ message: { ...base, transfer: { ...running, state: 'stopped' } } });
    expect(item.get('[data-testid=file-progress]').text()).toContain('stopped');
    await item.get('button').trigger('click');
    expect(item.get('button').text()).toBe('Resume');
    expect(fake.callsTo('startFileTransfer')).toEqual([{ id: running.id }]);

    await item.setProps({ message: { ...base, transfer: { ...running, state: 'failed', error: 'the checksum does not match' } } });
    expect(item.get('[role=alert]').text()).toBe('the checksum does not match');
    expect(item.get('button').text()).toBe('Retry');
    await item.get('button').trigger('click');
    expect(fake.callsTo('startFileTransfer')).toHaveLength(2);
  });

  it('once on this device, open it (the browser host answers a URL to view)', async () => {
    const fake = installFake();
    const base = fake.fileMessage(4, 'bob', PDF);
    const opened = vi.spyOn(window, 'open').mockReturnValue(null);
    const item = mountItem({ ...base, transfer: fake.transfer('download', PDF, base.id, { state: 'done', path: '/downloads/Quarterly report.pdf', bytes: PDF.size }) });
    expect(item.find('[data-testid=file-progress]').exists()).toBe(false);
    expect(item.find('[data-testid=file-download]').exists()).toBe(false);
    await item.get('[data-testid=file-open]').trigger('click');
    await flushPromises();
    expect(fake.callsTo('openFile')).toEqual([{ messageId: base.id, view: false }]);
    expect(opened).toHaveBeenCalledWith(`/local/t-${base.id}`, '_blank', 'noopener');

    // The browser host saves through a download URL.
    expect(item.text()).not.toContain('Show in folder');
    expect(item.get('[data-testid=file-save]').text()).toBe('Save');
    await item.get('[data-testid=file-save]').trigger('click');
    await flushPromises();
    expect(fake.callsTo('saveFileAs')).toEqual([{ messageId: base.id }]);
    expect(opened).toHaveBeenLastCalledWith(`/local/t-${base.id}?download=1`, '_blank', 'noopener');
  });

  it('once on this device, an image’s preview opens it full size in the viewer', async () => {
    const fake = installFake();
    const base = fake.fileMessage(4, 'bob', PHOTO);
    const item = mountItem({ ...base, transfer: fake.transfer('download', PHOTO, base.id, { state: 'done', path: '/downloads/photo.jpg', bytes: PHOTO.size }) });
    await item.get('[data-testid=file-preview]').trigger('click');
    await flushPromises();
    expect(fake.callsTo('openFile')).toEqual([{ messageId: base.id, view: true }]);
    expect(useFilesStore().viewing).toEqual({ url: `/local/t-${base.id}`, name: 'photo.jpg' });
  });

  it('show why an action failed', async () => {
    const fake = installFake();
    fake.override('downloadFile', () => {
      throw new Error('this file has no download address yet');
    });
    const item = mountItem(fake.fileMessage(4, 'bob', PDF));
    await item.get('[data-testid=file-download]').trigger('click');
    await flushPromises();
    expect(item.get('[role=alert]').text()).toBe('This file has no download address yet');
  });

  it('take progress events onto their message only', async () => {
    const fake = installFake();
    const messages = useMessagesStore();
    await messages.open('c-bob');
    const file = fake.fileMessage(4, 'bob', PDF);
    messages.receive(file);
    const before = messages.threadOf('c-bob').messages;
    messages.applyProgress({ ...fake.transfer('download', PDF, file.id, { state: 'running', bytes: 10 }), rate: 5 });
    const after = messages.threadOf('c-bob').messages;
    expect(after.at(-1)!.transfer).toMatchObject({ state: 'running', bytes: 10, rate: 5 });
    expect(after[0]).toBe(before[0]);
  });

  it('read sizes and types as people say them', () => {
    expect([humanSize(0), humanSize(999), humanSize(1500), humanSize(2_400_000), humanSize(3 * 1024 ** 3)]).toEqual(['0 B', '999 B', '1.5 KB', '2.4 MB', '3.2 GB']);
    expect([typeLabel('application/pdf', 'a.pdf'), typeLabel('image/png', 'a.png'), typeLabel('application/x-zip-compressed', 'a.zip')]).toEqual(['PDF', 'PNG', 'ZIP']);
    // A generic type says nothing: the name's extension does.
    expect(
      [
        ['application/octet-stream', 'report.pdf'],
        ['application/octet-stream', 'backup.ZIP'],
        ['text/plain', 'notes.txt'],
        ['text/plain; charset=utf-8', 'README'],
        ['text/plain', 'server.log'],
        ['application/octet-stream', 'blob'],
      ].map(([mime, name]) => typeLabel(mime!, name!)),
    ).toEqual(['PDF', 'ZIP', 'Text', 'Text', 'LOG', 'File']);
    expect([fileKind('application/octet-stream', 'report.pdf'), fileKind('application/octet-stream', 'a.tar.gz'), fileKind('application/octet-stream', 'a.bin')]).toEqual(['pdf', 'archive', 'file']);
  });
});

describe('attaching files', () => {
  it('the attach button sends the chosen files, the draft as the first one’s caption', async () => {
    const fake = installFake();
    const drafts = useDraftsStore();
    drafts.setDraft('c-bob', 'two files');
    const composer = mount(MessageComposer, { ...withStores(), props: { conversationId: 'c-bob' } });
    expect(composer.get('[data-testid=attach]').attributes('aria-label')).toBe('Attach files');
    const input = composer.get<HTMLInputElement>('[data-testid=file-input]');
    const click = vi.spyOn(input.element, 'click').mockImplementation(() => {});
    await composer.get('[data-testid=attach]').trigger('click');
    expect(click).toHaveBeenCalled();

    choose(input.element, [new File(['a'], 'a.txt', { type: 'text/plain' }), new File(['bb'], 'b.txt', { type: 'text/plain' })]);
    await input.trigger('change');
    await flushPromises();
    expect(fake.callsTo('sendFile')).toEqual([
      { conversationId: 'c-bob', stagedId: 's1', message: 'two files' },
      { conversationId: 'c-bob', stagedId: 's2' },
    ]);
    expect(drafts.draftOf('c-bob')).toBe('');
  });

  it('says a file is being prepared while it is staged, until its message shows', async () => {
    const fake = installFake();
    let staged!: () => void;
    const stage = fake.bridge.stageFiles;
    vi.spyOn(fake.bridge, 'stageFiles').mockImplementation((files) => new Promise((resolve) => (staged = () => resolve(stage(files)))));
    const composer = mount(MessageComposer, { ...withStores(), props: { conversationId: 'c-bob' } });
    const input = composer.get<HTMLInputElement>('[data-testid=file-input]');
    choose(input.element, [new File(['a'], 'big.iso', { type: 'application/octet-stream' })]);
    await input.trigger('change');
    await flushPromises();
    const status = composer.get('[data-testid=composer-preparing]');
    expect(status.text()).toBe('Preparing big.iso…');
    expect(status.attributes('role')).toBe('status');
    staged();
    await flushPromises();
    expect(fake.callsTo('sendFile')).toHaveLength(1);
    expect(composer.find('[data-testid=composer-preparing]').exists()).toBe(false);
  });

  it('a pasted image is sent; pasted text is left to the textarea', async () => {
    const fake = installFake();
    const composer = mount(MessageComposer, { ...withStores(), props: { conversationId: 'c-bob' } });
    const textarea = composer.get('textarea').element;
    const text = withFiles('paste', 'clipboardData', []);
    textarea.dispatchEvent(text);
    expect(text.defaultPrevented).toBe(false);
    const image = withFiles('paste', 'clipboardData', [new File([new Uint8Array([1])], 'image.png', { type: 'image/png' })]);
    textarea.dispatchEvent(image);
    await flushPromises();
    expect(image.defaultPrevented).toBe(true);
    expect(fake.callsTo('sendFile')).toEqual([{ conversationId: 'c-bob', stagedId: 's1' }]);
    expect(fake.staged.get('s1')!.name).toBe('image.png');
  });

  it('files dropped on the conversation are highlighted, then sent; a failure keeps the caption', async () => {
    const fake = installFake();
    const conversations = useConversationsStore();
    await conversations.load();
    const pane = mount(ConversationPane, { ...withStores(), props: { conversation: conversations.byId['c-bob']! }, attachTo: document.body });
    const section = pane.get('[data-testid=conversation-pane]').element;
    section.dispatchEvent(withFiles('dragenter', 'dataTransfer', []));
    await flushPromises();
    expect(pane.find('.drop-zone').exists()).toBe(true);

    const drop = withFiles('drop', 'dataTransfer', [new File(['x'], 'dropped.txt')]);
    section.dispatchEvent(drop);
    await flushPromises();
    expect(drop.defaultPrevented).toBe(true);
    expect(pane.find('.drop-zone').exists()).toBe(false);
    expect(fake.callsTo('sendFile')).toEqual([{ conversationId: 'c-bob', stagedId: 's1' }]);

    useDraftsStore().setDraft('c-bob', 'caption');
    fake.override('sendFile', () => {
      throw new Error('that file is no longer staged; attach it again');
    });
    section.dispatchEvent(withFiles('drop', 'dataTransfer', [new File(['y'], 'again.txt')]));
    await flushPromises();
    expect(pane.get('[role=alert]').text()).toBe('That file is no longer staged; attach it again');
    expect(useDraftsStore().draftOf('c-bob')).toBe('caption');
    pane.unmount();
  });
});

describe('settings', () => {
  async function openSettings() {
    const fake = installFake();
    const dialog = mount(SettingsDialog, { ...withStores(), props: { open: false }, attachTo: document.body });
    await dialog.setProps({ open: true });
    await flushPromises();
    return { fake, dialog };
  }

  it('saves an upload URL, the auto-download and save-folder limits and Media Reference Send keys', async () => {
    const { fake, dialog } = await openSettings();
    expect(fake.callsTo('getFileSettings')).toHaveLength(1);
    await dialog.get('input[value=uploadUrl]').setValue(true);
    const files = ':not([data-testid=profile-settings]) >';
    const [url, token] = dialog.findAll(`${files} label:has(input.field)`).slice(0, 2);
    await url!.get('input').setValue('https://files.example.com/upload');
    await token!.get('input').setValue('t0ken');
    await dialog.get('input[type=number]').setValue(2.5);
    await dialog.get('[data-testid=save-folder-max-mb]').setValue(20);
    await dialog.get('[data-testid=save-folder-origins]').setValue(' https://files.example.com\n\nhttps://cdn.example.com ');
    await dialog.get(`${files} label > input[type=checkbox]`).setValue(true);
    const keyField = dialog.findAll('label').find((l) => l.text().includes('genericMediaRefSendUrl'))!;
    await keyField.get('input').setValue('https://sms.example/send?to=%sms_to%');
    await dialog.get('form').trigger('submit');
    await flushPromises();
    expect(fake.callsTo('setFileSettings')).toEqual([
      {
        uploadMode: 'uploadUrl',
        uploadUrl: 'https://files.example.com/upload',
        uploadAuthToken: 't0ken',
        autoDownloadImagesUnder: 2_500_000,
        saveFolderMaxBytes: 20_000_000,
        saveFolderOrigins: ['https://files.example.com', 'https://cdn.example.com'],
        mediaRefSend: { keys: { genericMediaRefSendUrl: 'https://sms.example/send?to=%sms_to%' }, account: { username: '', password: '' } },
      },
    ]);
    expect(dialog.emitted('update:open')).toEqual([[false]]);
    dialog.unmount();
  });

  it('shows why the host refused them, and stays open', async () => {
    const { fake, dialog } = await openSettings();
    fake.override('setFileSettings', () => {
      throw new Error('media reference send: genericMediaRefSendMethod: GET, HEAD, POST or PUT');
    });
    await dialog.get('form').trigger('submit');
    await flushPromises();
    expect(dialog.get('[role=alert]').text()).toContain('genericMediaRefSendMethod: GET, HEAD, POST or PUT');
    expect(dialog.emitted('update:open')).toBeUndefined();
    dialog.unmount();
  });
});
