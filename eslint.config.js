// @ts-check
// A small, strict rule set: rules that catch bugs, not style. Formatting is nobody's job here.
// Plain JS (not eslint.config.ts) so ESLint needs no extra loader on Node 20.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';
import vue from 'eslint-plugin-vue';
import vueParser from 'vue-eslint-parser';
import globals from 'globals';

const tsconfigRootDir = import.meta.dirname;
// Type-aware rules run against the two real programs (Node side and renderer side), so lint sees
// exactly the types the type-check sees. The first project that contains a file wins. The lint
// fixture's tiny program (test/unit/layers.test.ts) comes first so linting the fixture alone does
// not build the whole Node program; it holds nothing else.
const project = ['./test/fixtures/lint/tsconfig.json', './tsconfig.json', './tsconfig.renderer.json'];

// Code compiled by the renderer program, which has verbatimModuleSyntax: a type imported without
// `import type` is kept as a runtime import there (and would drag Node modules into the bundle).
const RENDERER_PROGRAM = ['{renderer,contract,protocol,common,preload}/**/*.{ts,vue}', 'test/renderer/**/*.ts'];

export default defineConfig(
  {
    // test/fixtures/: trees broken on purpose, fed to the tools by test/unit/layers.test.ts.
    ignores: ['out/**', 'dist/**', 'build/**', 'test-results/**', 'playwright-report/**', 'test/fixtures/**'],
  },
  js.configs.recommended,
  tseslint.configs.eslintRecommended,
  ...vue.configs['flat/essential'],
  {
    files: ['**/*.ts', '**/*.vue'],
    languageOptions: {
      parser: vueParser, // passes <script lang="ts"> and plain .ts through to the TS parser
      parserOptions: {
        parser: tseslint.parser,
        project,
        tsconfigRootDir,
        extraFileExtensions: ['.vue'],
        sourceType: 'module',
      },
      globals: { ...globals.node },
    },
    plugins: { '@typescript-eslint': tseslint.plugin },
    rules: {
      // `void promise` hid rejections that crashed the host (issue 12): void does not count as handling.
      '@typescript-eslint/no-floating-promises': ['error', { ignoreVoid: false, ignoreIIFE: false }],
      // An async function where a void callback is expected drops its rejection the same way.
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      // The few `any`s (page-side globals in Playwright code) are declared as such on purpose.
      '@typescript-eslint/no-explicit-any': 'error',
      // Stripping control characters from names and headers is exactly what those regexes are for.
      'no-control-regex': 'off',
      'no-unused-vars': 'off',
      '@typescript-eslint/no-unused-vars': ['error', {
        argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true,
      }],
      // TS reports undefined names itself, with types; the core rule does not understand type-only globals.
      'no-undef': 'off',
      // A variable a closure reads before its one assignment cannot be const.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      // `x == null` (null or undefined) is the one loose comparison we mean.
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      // Processes log through their injected log(); stray console.log is debugging left behind.
      'no-console': 'error',
    },
  },
  {
    files: RENDERER_PROGRAM,
    rules: {
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
    },
  },
  {
    files: ['renderer/**/*.{ts,vue}', 'test/renderer/**/*.ts'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    // The default log sinks of the Electron/browser hosts and the engine write to stderr.
    files: ['main/**/*.ts'],
    rules: { 'no-console': ['error', { allow: ['warn', 'error'] }] },
  },
  {
    // Command-line tools talk to a terminal.
    files: ['scripts/**', 'bench/**', 'server/cli.ts'],
    rules: { 'no-console': 'off' },
  },
  {
    // This file and other JS: no type information.
    files: ['**/*.{js,mjs,cjs}'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: { globals: { ...globals.node } },
  },
);
