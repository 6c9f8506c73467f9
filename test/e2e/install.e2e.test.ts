// ChatX on a phone's home screen (issue 13, item 12): the web app manifest is served, parses, and
// names real icons of the sizes it claims; every HTML page the app serves links it (crawled from the
// router's own list of routes, signed in and signed out, bare pages and error pages included); and
// in Chromium the manifest is found with no errors, the page keeps its strict CSP, and the
// standalone display mode leaves nothing to bounce and nothing under the phone's edges.
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { WEB_MANIFEST } from '../../src/core/manifest';
import { assertNone, routesOf } from '../hostile/support';
import { fixtures, param, type Fixtures } from '../hostile/routes';
import { inboxContext, listen, OWNER, sessionCookie, type InboxContext } from '../inbox/support';
import { describeProblems, launchBrowser, requireChromium, screenshot, signInAs, type TestBrowser } from '../support/browser';
import { makeContext } from '../support/context';

const MANIFEST_LINK = '<link rel="manifest" href="/manifest.webmanifest">';

/** Width and height from a PNG's IHDR chunk (bytes 16–23), after checking the signature. */
function pngSize(bytes: Buffer): { width: number; height: number } {
  assert.equal(bytes.subarray(0, 8).toString('hex'), '89504e470d0a1a0a', 'not a PNG');
  assert.equal(bytes.subarray(12, 16).toString('ascii'), 'IHDR');
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

/** GET routes that answer with a page of their own (not a file, a JSON body, a stream or an htmx fragment). */
function pageRoutes(routes: string[]): string[] {
  return routes
    .filter((r) => r.startsWith('GET '))
    .map((r) => r.slice(4))
    .filter((p) => !/^\/(static|api|events|webhooks|healthz|manifest)/.test(p) && !/\.(csv|json|webmanifest)$/.test(p));
}

describe('ChatX installable as an app (web app manifest)', function () {
  this.timeout(60_000);

  let ctx: InboxContext;
  let server: { url: string; close(): Promise<void> };
  let f: Fixtures;

  before(async () => {
    ctx = await inboxContext();
    server = await listen(ctx);
    f = await fixtures(ctx, server.url);
  });
  after(async () => {
    await server?.close();
    await ctx?.close();
  });

  it('should serve GET /manifest.webmanifest to anyone, as application/manifest+json, with what a home screen needs', async () => {
    const res = await fetch(`${server.url}/manifest.webmanifest`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^application\/manifest\+json/);
    const manifest = (await res.json()) as typeof WEB_MANIFEST;
    assert.equal(manifest.name, 'ChatX');
    assert.equal(manifest.short_name, 'ChatX');
    assert.equal(manifest.start_url, '/');
    assert.equal(manifest.scope, '/');
    assert.equal(manifest.display, 'standalone');
    assert.match(manifest.theme_color, /^#[0-9a-f]{6}$/i);
    assert.match(manifest.background_color, /^#[0-9a-f]{6}$/i);
    const png = manifest.icons.filter((i) => i.type === 'image/png');
    assert.deepEqual(
      png.map((i) => `${i.sizes} ${i.purpose}`),
      ['192x192 any', '512x512 any', '512x512 maskable'],
    );
  });

  it('should serve every icon it names as a PNG of exactly the size it claims, and an apple-touch-icon', async () => {
    const icons = [
      ...WEB_MANIFEST.icons.filter((i) => i.type === 'image/png'),
      { src: '/static/img/apple-touch-icon.png', sizes: '180x180' },
    ];
    for (const icon of icons) {
      const res = await fetch(`${server.url}${icon.src}`);
      assert.equal(res.status, 200, icon.src);
      assert.equal(res.headers.get('content-type'), 'image/png', icon.src);
      const { width, height } = pngSize(Buffer.from(await res.arrayBuffer()));
      assert.equal(`${width}x${height}`, icon.sizes, icon.src);
    }
  });

  it('should link the manifest, the theme colour and the touch icon from every page, signed in, signed out and on errors', async () => {
    const owner = await sessionCookie(ctx, OWNER);
    const routes = pageRoutes(routesOf(ctx.app));
    assert.ok(routes.length > 30, `only ${routes.length} page routes found`);
    const problems: string[] = [];
    let pages = 0;
    const check = async (path: string, who: string, cookie?: string) => {
      const res = await fetch(`${server.url}${path}`, { redirect: 'manual', headers: cookie ? { Cookie: cookie } : {} });
      const html = await res.text();
      if (!/^text\/html/.test(res.headers.get('content-type') ?? '') || !/^<!doctype html>/i.test(html.trimStart())) return;
      pages += 1;
      if (!html.includes(MANIFEST_LINK)) problems.push(`${path} as ${who} (${res.status}) has no ${MANIFEST_LINK}`);
      if (!/<meta name="theme-color" content="#[0-9a-f]{6}">/i.test(html)) problems.push(`${path} as ${who}: no theme-color`);
      if (!html.includes('<link rel="apple-touch-icon" href="/static/img/apple-touch-icon.png">'))
        problems.push(`${path} as ${who}: no apple-touch-icon`);
    };
    for (const route of routes) {
      let path = route;
      for (const [, name] of route.matchAll(/:(\w+)/g)) path = path.replace(`:${name}`, await param(f, `GET ${route}`, name));
      await check(path, 'the owner', owner.cookie);
      // Signed out: the public pages (sign-in, invitation, reset, privacy policy, deletion status) and the rest's errors.
      if (/^\/(invite|reset)\//.test(route)) path = path.replace(/[^/]+$/, await param(f, `GET ${route}`, 'token'));
      await check(path, 'nobody');
    }
    await check('/no-such-page', 'the owner', owner.cookie);
    await check('/no-such-page', 'nobody');
    await check(`/conversations/999999`, 'the owner', owner.cookie);
    // The first-run setup page, on a fresh install.
    const fresh = await makeContext();
    const freshServer = await listen(fresh);
    try {
      const res = await fetch(`${freshServer.url}/setup`);
      assert.equal(res.status, 200);
      assert.ok((await res.text()).includes(MANIFEST_LINK), '/setup has no manifest link');
      pages += 1;
    } finally {
      await freshServer.close();
      await fresh.close();
    }
    assertNone(problems);
    assert.ok(pages > 40, `only ${pages} pages were checked`);
  });

  describe('in Chromium', () => {
    let chrome: TestBrowser | undefined;

    before(async function () {
      chrome = await launchBrowser(requireChromium(this));
    });
    after(async () => {
      await chrome?.close();
    });

    async function appManifest(page: Page): Promise<{ url: string; errors: unknown[]; data?: string }> {
      const cdp = await page.context().newCDPSession(page);
      return (await cdp.send('Page.getAppManifest')) as { url: string; errors: unknown[]; data?: string };
    }

    it('should find and parse the manifest from the sign-in page and the inbox, under the strict CSP', async () => {
      const { page } = await chrome!.newPage({ width: 390, height: 844 });
      const response = await page.goto(`${server.url}/login`);
      const csp = response!.headers()['content-security-policy'] ?? '';
      assert.match(csp, /default-src 'self'/);
      assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
      const found = await appManifest(page);
      assert.equal(found.url, `${server.url}/manifest.webmanifest`);
      assert.deepEqual(found.errors, []);
      assert.equal(JSON.parse(found.data!).start_url, '/');
      await signInAs(page, server.url, OWNER);
      assert.deepEqual((await appManifest(page)).errors, []);
      assert.equal(await page.locator('meta[name="theme-color"]').getAttribute('content'), WEB_MANIFEST.theme_color);
    });

    it('should feel like an app in standalone mode: no bounce, the inbox exactly one screen, nothing under the edges', async () => {
      for (const [width, height] of [
        [390, 844],
        [1366, 800],
      ]) {
        const { page } = await chrome!.newPage({ width, height });
        await signInAs(page, server.url, OWNER);
        await page.goto(`${server.url}/conversations/${f.conversationId}`);
        // Chromium cannot emulate display-mode, so the stylesheet's own standalone rules are applied
        // as an adopted sheet (from the test, over the DevTools protocol: the page's CSP is untouched).
        const standaloneRules = await page.evaluate(() => {
          const rules: string[] = [];
          for (const sheet of Array.from(document.styleSheets))
            for (const rule of Array.from(sheet.cssRules))
              if (rule instanceof CSSMediaRule && /display-mode:\s*standalone/.test(rule.conditionText))
                rules.push(...Array.from(rule.cssRules).map((r) => r.cssText));
          const adopted = new CSSStyleSheet();
          adopted.replaceSync(rules.join('\n'));
          document.adoptedStyleSheets = [...document.adoptedStyleSheets, adopted];
          return rules.join('\n');
        });
        assert.match(standaloneRules, /overscroll-behavior: none/);
        assert.match(standaloneRules, /env\(safe-area-inset-top\)/);
        assert.match(standaloneRules, /env\(safe-area-inset-bottom\)/);
        const shown = await page.evaluate(() => ({
          overscroll: getComputedStyle(document.documentElement).overscrollBehaviorY,
          scrollHeight: document.documentElement.scrollHeight,
          innerHeight: window.innerHeight,
          headers: document.querySelectorAll('.topbar').length,
          composerBottom: document.getElementById('composer-text')!.getBoundingClientRect().bottom,
        }));
        assert.equal(shown.overscroll, 'none', 'the page may bounce (rubber-band)');
        assert.equal(shown.headers, 1);
        assert.ok(
          shown.scrollHeight <= shown.innerHeight,
          `the page is ${shown.scrollHeight}px in a ${shown.innerHeight}px window`,
        );
        assert.ok(shown.composerBottom <= shown.innerHeight, `the composer ends at ${shown.composerBottom}px`);
        await screenshot(page, `standalone-conversation-${width}.png`);
        await page.context().close();
      }
    });

    it('should have had no console errors and no CSP violations', () => {
      assert.deepEqual(chrome!.problems, [], describeProblems(chrome!.problems));
    });
  });
});
