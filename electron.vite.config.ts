import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';
import vue from '@vitejs/plugin-vue';
import type { Plugin } from 'vite';

// Sources live at the repo root (not src/), so every entry and outDir is explicit.
// import.meta.url is rewritten by electron-vite's config bundler; import.meta.dirname is not.
const root = fileURLToPath(new URL('.', import.meta.url));
const r = (p: string): string => resolve(root, p);

// The dev server injects SFC styles as <style> tags; allow that in `serve` only. Built HTML keeps the strict CSP.
const devCspStyles: Plugin = {
  name: 'parley:dev-csp-styles',
  apply: 'serve',
  transformIndexHtml: (html) => html.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'"),
};

// The colour emoji font the app ships (renderer/main.ts): Chromium reads its woff2 file, so the woff
// fallback @fontsource lists after it would only add 7 MB to the app.
const woff2Only: Plugin = {
  name: 'parley:woff2-only',
  enforce: 'pre',
  transform: (code, id) => (/@fontsource\/.*\.css$/.test(id) ? code.replace(/,\s*url\([^)]*\.woff\) format\('woff'\)/g, '') : null),
};

export default defineConfig({
  main: {
    build: {
      outDir: r('out/main'),
      // Native addons cannot be bundled; keep them (and all other "dependencies") as runtime requires.
      externalizeDeps: { include: ['better-sqlite3'] },
      rolldownOptions: {
        input: { index: r('main/index.ts') },
        // ESM ("type": "module"), emitted as out/main/index.js to match package.json "main".
        output: { format: 'es', entryFileNames: '[name].js' },
      },
    },
  },
  preload: {
    build: {
      outDir: r('out/preload'),
      // A sandboxed preload may only require('electron'): bundle everything into one file.
      externalizeDeps: false,
      rolldownOptions: {
        input: { index: r('preload/index.ts') },
        // Sandboxed preloads cannot be ESM; .cjs keeps Node from treating it as ESM under "type": "module".
        output: { format: 'cjs', entryFileNames: '[name].cjs', codeSplitting: false },
      },
    },
  },
  renderer: {
    root: r('renderer'),
    plugins: [vue(), devCspStyles, woff2Only],
    build: {
      outDir: r('out/renderer'),
      rolldownOptions: {
        input: { index: r('renderer/index.html') },
      },
    },
  },
});
