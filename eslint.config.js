// ESLint flat config. TypeScript (src, test, bench) gets @eslint/js + typescript-eslint recommended;
// plain JS is either Node CommonJS (scripts, the test reporter, this file) or the browser script in public/js.
// Globals are listed by hand rather than pulling in the `globals` package for a dozen names.
const js = require('@eslint/js');
const { defineConfig } = require('eslint/config');
const tseslint = require('typescript-eslint');

const shared = {
  console: 'readonly',
  URL: 'readonly',
  URLSearchParams: 'readonly',
  TextEncoder: 'readonly',
  TextDecoder: 'readonly',
  AbortController: 'readonly',
  fetch: 'readonly',
  structuredClone: 'readonly',
  queueMicrotask: 'readonly',
  setTimeout: 'readonly',
  clearTimeout: 'readonly',
  setInterval: 'readonly',
  clearInterval: 'readonly',
  globalThis: 'readonly',
};

const node = {
  ...shared,
  require: 'readonly',
  module: 'writable',
  exports: 'writable',
  __dirname: 'readonly',
  __filename: 'readonly',
  process: 'readonly',
  Buffer: 'readonly',
  setImmediate: 'readonly',
  clearImmediate: 'readonly',
};

const browser = {
  ...shared,
  window: 'readonly',
  Notification: 'readonly',
  document: 'readonly',
  navigator: 'readonly',
  location: 'readonly',
  history: 'readonly',
  localStorage: 'readonly',
  sessionStorage: 'readonly',
  getComputedStyle: 'readonly',
  requestAnimationFrame: 'readonly',
  EventSource: 'readonly',
  FormData: 'readonly',
  Event: 'readonly',
  CustomEvent: 'readonly',
  KeyboardEvent: 'readonly',
  MutationObserver: 'readonly',
  Node: 'readonly',
  Element: 'readonly',
  HTMLElement: 'readonly',
  HTMLFormElement: 'readonly',
  HTMLInputElement: 'readonly',
  HTMLTextAreaElement: 'readonly',
  HTMLButtonElement: 'readonly',
  htmx: 'readonly',
};

const unusedVars = ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' }];

module.exports = defineConfig([
  { ignores: ['dist/', 'node_modules/', 'public/vendor/', 'test-output/', 'coverage/'] },
  js.configs.recommended,
  {
    files: ['{src,test,bench}/**/*.ts'],
    extends: [tseslint.configs.recommended],
    rules: { '@typescript-eslint/no-unused-vars': unusedVars },
  },
  {
    files: ['**/*.js'],
    languageOptions: { ecmaVersion: 2022, sourceType: 'commonjs', globals: node },
    rules: { 'no-unused-vars': unusedVars },
  },
  {
    files: ['public/js/**/*.js'],
    languageOptions: { ecmaVersion: 2020, sourceType: 'script', globals: browser },
  },
]);
