// The Electron host's own HTTPS and WebSocket connections (the engine's socket.io link, uploads, downloads)
// run on Node's TLS, which by default trusts only the Mozilla roots compiled into Node, not the OS's
// certificate store. An organisation's server behind its internal CA, trusted by every browser on
// its machines because IT installed that CA in the OS, would then fail with "unable to get local
// issuer certificate". So the OS's roots are added to Node's defaults at launch, before any
// connection is made: Node 24.5+ (Electron 41's) reads the store (Keychain, the Windows store,
// OpenSSL's files on Linux) with tls.getCACertificates('system') and makes it the default with
// tls.setDefaultCACertificates. (The browser host, for machines without Electron, runs on the Node it
// is started with; there NODE_EXTRA_CA_CERTS=<file.pem> or node --use-system-ca does the same.)
import * as nodeTls from 'node:tls';
import type { Log } from '../../common/node/json-file.js';

/** The two calls, present from Node 24.5 (typed here: @types/node follows Node 20, the oldest Node the tools run on). */
export interface CertificateStore {
  getCACertificates?: (type?: 'default' | 'system' | 'bundled' | 'extra') => string[];
  setDefaultCACertificates?: (certificates: string[]) => void;
}

/** Adds the OS's trusted roots to the defaults; answers how many the OS has, or null where this Node cannot. */
export function trustSystemCertificates(log: Log, tls: CertificateStore = nodeTls as CertificateStore): number | null {
  const { getCACertificates, setDefaultCACertificates } = tls;
  if (!getCACertificates || !setDefaultCACertificates) {
    log(`this runtime (Node ${process.version}) cannot read the OS certificate store: only its bundled roots and NODE_EXTRA_CA_CERTS are trusted`);
    return null;
  }
  try {
    const system = getCACertificates('system');
    // "default" already holds the bundled roots and NODE_EXTRA_CA_CERTS; Node drops duplicates.
    setDefaultCACertificates([...getCACertificates('default'), ...system]);
    return system.length;
  } catch (error) {
    log('could not add the OS certificate store to the trusted roots; only the bundled ones are trusted', error);
    return null;
  }
}
