// The e2e tests trust test/support/browser.ts to notice console errors and CSP violations; this proves
// it does, on a tiny page that breaks a strict CSP the way a careless template would.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { launchBrowser, requireChromium, type TestBrowser } from '../support/browser';

const PAGE = `<!doctype html><html><head><title>bad</title>
<style>body { color: red }</style>
<script>console.log('inline ran')</script>
</head><body><p>hello</p><script src="/console-error.js"></script></body></html>`;

describe('the browser watcher (test support)', function () {
  this.timeout(60_000);

  let server: http.Server | undefined;
  let chrome: TestBrowser | undefined;
  let url: string;

  before(async function () {
    const executable = requireChromium(this);
    server = http.createServer((req, res) => {
      if (req.url === '/console-error.js') {
        res.writeHead(200, { 'content-type': 'text/javascript' });
        res.end("console.error('something broke');");
        return;
      }
      res.writeHead(200, { 'content-type': 'text/html', 'content-security-policy': "default-src 'self'" });
      res.end(PAGE);
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    chrome = await launchBrowser(executable);
  });

  after(async () => {
    await chrome?.close();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  });

  it('should record blocked inline code as CSP violations and console.error calls as console errors', async () => {
    const { page } = await chrome!.newPage();
    await page.goto(url);
    await page.getByText('hello').waitFor();
    // securitypolicyviolation events are queued as tasks; give them a moment to arrive.
    await page.waitForTimeout(200);
    const kinds = (kind: string) => chrome!.problems.filter((p) => p.kind === kind);
    const csp = kinds('csp-violation').map((p) => p.text);
    assert.ok(
      csp.some((t) => /style-src|inline style/i.test(t)),
      `no style violation in ${JSON.stringify(csp)}`,
    );
    assert.ok(
      csp.some((t) => /script-src|inline script/i.test(t)),
      `no script violation in ${JSON.stringify(csp)}`,
    );
    assert.ok(
      kinds('console-error').some((p) => p.text === 'something broke'),
      'console.error was not recorded',
    );
  });
});
