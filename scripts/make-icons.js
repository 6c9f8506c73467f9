// Renders the home-screen icons of the web app manifest (src/core/manifest.ts) from public/img/icon.svg,
// once, with the same Chromium the browser tests use; the PNGs are committed under public/img.
// Run again after changing the SVG: `node scripts/make-icons.js` (CHROMIUM_PATH, default /usr/bin/chromium).
// A "maskable" icon fills its whole square (the launcher cuts its own shape): the mark sits inside the
// central 80% safe zone on a full-bleed background of the brand colour.
const fs = require('node:fs');
const path = require('node:path');
const { chromium } = require('playwright-core');

const root = path.resolve(__dirname, '..');
const svg = fs.readFileSync(path.join(root, 'public', 'img', 'icon.svg'), 'utf8');
const BRAND = '#1f6feb';

const icons = [
  { file: 'icon-192.png', size: 192, maskable: false },
  { file: 'icon-512.png', size: 512, maskable: false },
  { file: 'icon-maskable-512.png', size: 512, maskable: true },
  { file: 'apple-touch-icon.png', size: 180, maskable: true }, // iOS rounds the corners itself
];

function page(size, maskable) {
  const inner = maskable ? Math.round(size * 0.8) : size;
  const body = maskable ? `background:${BRAND}` : 'background:transparent';
  // The SVG's own rounded square disappears into the same-coloured background when maskable.
  return `<!doctype html><html><body style="margin:0;${body};width:${size}px;height:${size}px;display:grid;place-items:center">
    <div style="width:${inner}px;height:${inner}px">${svg.replace('<svg ', `<svg width="${inner}" height="${inner}" `)}</div></body></html>`;
}

(async () => {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    args: ['--no-sandbox'],
  });
  for (const icon of icons) {
    const context = await browser.newContext({ viewport: { width: icon.size, height: icon.size }, deviceScaleFactor: 1 });
    const tab = await context.newPage();
    await tab.setContent(page(icon.size, icon.maskable));
    await tab.screenshot({ path: path.join(root, 'public', 'img', icon.file), omitBackground: !icon.maskable });
    await context.close();
  }
  await browser.close();
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
