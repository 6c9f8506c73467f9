// Compiles TypeScript into dist/ when a source file is newer than the last build, and vendors htmx.
// In the Docker image dist/ is prebuilt and TypeScript is absent, so nothing happens there.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const stamp = path.join(root, 'dist', '.build-stamp');

function newest(dir) {
  let latest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(full) : fs.statSync(full).mtimeMs);
  }
  return latest;
}

module.exports = function buildIfNeeded() {
  require('./vendor');
  const built = fs.existsSync(stamp) ? fs.statSync(stamp).mtimeMs : 0;
  const hasSources = fs.existsSync(path.join(root, 'src'));
  if (!hasSources) return;
  const changed = Math.max(newest(path.join(root, 'src')), fs.statSync(path.join(root, 'tsconfig.json')).mtimeMs);
  if (built >= changed) return;
  let tsc;
  try {
    tsc = require.resolve('typescript/bin/tsc', { paths: [root] });
  } catch {
    if (built) return; // production install without TypeScript: run what is built
    process.stderr.write('chatx: dist/ is missing and TypeScript is not installed; run npm ci\n');
    process.exit(1);
  }
  process.stderr.write('chatx: building…\n');
  const result = spawnSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.json')], { stdio: 'inherit', cwd: root });
  if (result.status !== 0) {
    process.stderr.write('chatx: the TypeScript build failed\n');
    process.exit(1);
  }
  fs.writeFileSync(stamp, new Date().toISOString() + '\n');
};
