// IPC channel names, shared by the preload and the main process (no Electron import: the preload bundles it).
export const requestChannel = (name: string): string => `parley:${name}`;
export const EVENT_CHANNEL = 'parley:event';
