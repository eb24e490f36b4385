// A messenger needs no camera, microphone, screen, location, clipboard reading or devices: every
// permission the page could ask for is refused, except notifications for the app's own page.
import type { Session } from 'electron';

type Log = (message: string, detail?: unknown) => void;

const allowed = (permission: string, url: string | undefined, isAppUrl: (url: string) => boolean) =>
  permission === 'notifications' && url !== undefined && isAppUrl(url);

export function lockDownPermissions(session: Session, isAppUrl: (url: string) => boolean, log: Log): void {
  session.setPermissionRequestHandler((_contents, permission, callback, details) => {
    const granted = allowed(permission, details.requestingUrl, isAppUrl);
    if (!granted) log(`refused the permission ${permission}`, details.requestingUrl.slice(0, 200));
    callback(granted);
  });
  // Most web APIs check before they request: the same answer, without the log (checks are frequent).
  session.setPermissionCheckHandler((_contents, permission, _origin, details) => allowed(permission, details.requestingUrl, isAppUrl));
  session.setDevicePermissionHandler(() => false);
  // No streams: getDisplayMedia fails.
  session.setDisplayMediaRequestHandler((_request, callback) => callback({}));
  // Device pickers are canceled before any list is shown.
  session.on('select-hid-device', (event, _details, callback) => {
    event.preventDefault();
    callback();
  });
  session.on('select-usb-device', (event, _details, callback) => {
    event.preventDefault();
    callback();
  });
  session.on('select-serial-port', (event, _ports, _contents, callback) => {
    event.preventDefault();
    callback('');
  });
}
