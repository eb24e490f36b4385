// Layers by runtime (issue 11; README's Architecture), checked by `npm run check:layers` in `npm test`.
// Paths are relative to the folder depcruise runs in: the repo, or a test fixture tree shaped like it.
//
// Each layer has an allow-list ("…-imports-only"): everything a file there imports must be in it.
// A few cross-cutting rules own their violation outright (nothing imports preload/, the hosts use
// main/core only through its index, no electron, no Node builtins or Node-only packages in
// renderer-safe code), and the allow-lists step aside for those so each bad import is reported once.
// test/, bench/ and scripts/ (and the root config files) are free.

/** Renderer-safe ("isomorphic") code: no Node, no Electron. */
const ISOMORPHIC = '^(contract/|protocol/|common/(?!node/))';
/** Targets the allow-lists leave to no-import-preload. */
const OWNED_ELSEWHERE = '^preload/';
const PACKAGES = 'node_modules/';
const ELECTRON = '^electron$|(^|/)node_modules/electron/';
/** Packages that only run in Node; importing one from renderer-safe code is a Node dependency too. */
const NODE_ONLY_PACKAGES =
  '(^|/)node_modules/(better-sqlite3|chokidar|sharp|ws|fastify|@fastify|socket\\.io|pino|@tus|file-type|pg|pg-[a-z-]+)/';

/** "Files under `from` import only `allowed` and packages." Node builtins are judged by no-node-in-isomorphic. */
function allowList(name, comment, from, allowed) {
  return {
    name,
    comment,
    severity: 'error',
    from: typeof from === 'string' ? { path: from } : from,
    to: {
      pathNot: [allowed, PACKAGES, OWNED_ELSEWHERE],
      dependencyTypesNot: ['core'],
    },
  };
}

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    // ---- cross-cutting ----
    {
      name: 'no-import-preload',
      comment: 'preload/ is the Electron sandbox entry (index.ts only); the contract it exposes lives in contract/.',
      severity: 'error',
      from: { pathNot: '^test/' },
      to: { path: '^preload/' },
    },
    {
      name: 'no-import-preload-from-tests',
      comment: 'Tests may load preload/index.ts to test it, and nothing else there (the contract is in contract/).',
      severity: 'error',
      from: { path: '^test/' },
      to: { path: '^preload/', pathNot: '^preload/index\\.ts$' },
    },
    {
      name: 'core-only-via-index',
      comment: 'The bridge and the hosts use the engine through main/core/index.ts; its inside can change without breaking them.',
      severity: 'error',
      from: { path: '^main/(?!core/)' },
      to: { path: '^main/core/', pathNot: '^main/core/index\\.ts$' },
    },
    {
      name: 'no-electron-outside-host',
      comment: "Only the Electron host (main/electron/, main/index.ts) and the preload import 'electron'.",
      severity: 'error',
      from: { path: '^(main/core|main/bridge|main/browser|server|common|contract|protocol|renderer)/' },
      to: { path: ELECTRON },
    },
    {
      name: 'no-node-in-isomorphic',
      comment: 'contract/, protocol/, common/ (not common/node/) and renderer/ run in the page: no Node builtins.',
      severity: 'error',
      from: { path: `${ISOMORPHIC}|^renderer/` },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'no-node-packages-in-isomorphic',
      comment: 'contract/, protocol/, common/ (not common/node/) and renderer/ run in the page: no Node-only packages.',
      severity: 'error',
      from: { path: `${ISOMORPHIC}|^renderer/` },
      to: { path: NODE_ONLY_PACKAGES },
    },

    // ---- one allow-list per layer ----
    allowList('protocol-imports-only', 'protocol/ is the wire contract: it stands alone.', '^protocol/', '^protocol/'),
    allowList(
      'contract-imports-only',
      'contract/ (renderer <-> host) is built from protocol/ only, never from engine types.',
      '^contract/',
      '^(contract/|protocol/)',
    ),
    allowList(
      'common-imports-only',
      'Isomorphic common/ helpers (the renderer uses them) depend on each other and the contracts only.',
      { path: '^common/', pathNot: '^common/node/' },
      '^(common/(?!node/)|contract/|protocol/)',
    ),
    allowList('common-node-imports-only', 'common/node/ is shared by server and client: common/, protocol/, Node.', '^common/node/', '^(common/|protocol/)'),
    allowList(
      'core-imports-only',
      'The engine (main/core/) knows nothing of the bridge, the hosts, the preload or the renderer.',
      '^main/core/',
      '^(main/core/|contract/|protocol/|common/)',
    ),
    allowList(
      'bridge-imports-only',
      'main/bridge/ is the host side of the contract: the engine (by its index), contract/, protocol/, common/.',
      '^main/bridge/',
      '^(main/bridge/|main/core/|contract/|protocol/|common/)',
    ),
    allowList(
      'electron-host-imports-only',
      'The Electron host: main/electron/, main/index.ts -> the bridge, the engine (by its index), contract/, protocol/, common/.',
      '^main/(electron/|index\\.ts$)',
      '^(main/electron/|main/index\\.ts$|main/bridge/|main/core/|contract/|protocol/|common/)',
    ),
    allowList(
      'browser-host-imports-only',
      'The browser host: main/browser/ -> the bridge, the engine (by its index), contract/, protocol/, common/.',
      '^main/browser/',
      '^(main/browser/|main/bridge/|main/core/|contract/|protocol/|common/)',
    ),
    {
      name: 'preload-imports-only',
      comment: "preload/ (sandboxed, bundled to one CommonJS file) imports contract/, isomorphic common/ and 'electron' only.",
      severity: 'error',
      from: { path: '^preload/' },
      to: { pathNot: ['^contract/', '^common/(?!node/)', ELECTRON, '^preload/'] },
    },
    allowList(
      'renderer-imports-only',
      'The renderer imports renderer/, contract/, protocol/ and isomorphic common/ only.',
      '^renderer/',
      '^(renderer/|contract/|protocol/|common/(?!node/))',
    ),
    allowList(
      'server-imports-only',
      'The server never imports client code (main/, contract/, preload/, renderer/).',
      '^server/',
      '^(server/|protocol/|common/)',
    ),

    // ---- the check itself must see every import ----
    {
      name: 'not-to-unresolvable',
      comment: 'An import the checker cannot resolve is one it cannot judge.',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    // Type-only imports count: a type taken from main/core still ties the contract to the engine.
    tsPreCompilationDeps: true,
    doNotFollow: { path: 'node_modules' },
    // The fixture trees are broken on purpose (test/unit/layers.test.ts runs this config on them).
    exclude: { path: '^(out|dist|build|test-results|test/fixtures)/' },
    // The renderer's imports omit the extension (.ts, .vue); Node-side ones name the .js a .ts becomes,
    // which dependency-cruiser maps back to the .ts itself.
    enhancedResolveOptions: {
      extensions: ['.ts', '.vue', '.js', '.mjs', '.cjs', '.json', '.d.ts'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      exportsFields: ['exports'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
  },
};
