// Copies htmx and its SSE extension from node_modules into public/vendor (served as /static/vendor).
// No CDN: the appliance works on a LAN without internet, under a CSP that only allows 'self'.
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const out = path.join(root, 'public', 'vendor');
const files = [
  ['htmx.org/dist/htmx.min.js', 'htmx.min.js'],
  ['htmx-ext-sse/dist/sse.min.js', 'htmx-ext-sse.min.js'],
];

fs.mkdirSync(out, { recursive: true });
for (const [from, to] of files) {
  const source = require.resolve(from, { paths: [root] });
  const target = path.join(out, to);
  if (!fs.existsSync(target) || fs.statSync(target).mtimeMs < fs.statSync(source).mtimeMs) fs.copyFileSync(source, target);
}
