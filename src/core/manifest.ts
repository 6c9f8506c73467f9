// The web app manifest (GET /manifest.webmanifest, public): staff add ChatX to a phone's home screen
// and it opens like an app, full screen without the browser's bars. Every page links it from
// views/partials/top.ejs. The PNG icons are rendered from public/img/icon.svg by scripts/make-icons.js.
// Format: https://www.w3.org/TR/appmanifest/ (maskable icons keep the mark in the central 80%).
import type { RequestHandler } from 'express';

/** The top bar's colour: in standalone mode the phone's status bar blends into it. */
export const THEME_COLOR = '#ffffff';
const BACKGROUND_COLOR = '#f6f7f9';

export const WEB_MANIFEST = {
  name: 'ChatX',
  short_name: 'ChatX',
  description: 'Messenger inbox and customer list for a small business.',
  id: '/',
  start_url: '/',
  scope: '/',
  display: 'standalone',
  orientation: 'any',
  theme_color: THEME_COLOR,
  background_color: BACKGROUND_COLOR,
  icons: [
    { src: '/static/img/icon-192.png', sizes: '192x192', type: 'image/png', purpose: 'any' },
    { src: '/static/img/icon-512.png', sizes: '512x512', type: 'image/png', purpose: 'any' },
    { src: '/static/img/icon-maskable-512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' },
    { src: '/static/img/icon.svg', sizes: 'any', type: 'image/svg+xml', purpose: 'any' },
  ],
} as const;

const body = JSON.stringify(WEB_MANIFEST, null, 2);

export const webManifest: RequestHandler = (_req, res) => {
  res.type('application/manifest+json').set('Cache-Control', 'public, max-age=3600').send(body);
};
