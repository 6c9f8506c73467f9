// A real Chromium for the e2e tests, driven by playwright-core, that records every console error and
// every Content-Security-Policy violation so a test can assert the pages ran clean.
//
// Contract (`npm test`): browser tests run whenever Chromium is installed; without it they are skipped
// with a loud notice, except under CI=true, where a missing browser fails the run.
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { PASSWORD } from './browser-session';

export const SCREENSHOT_DIR = path.resolve(__dirname, '..', '..', 'test-output', 'screenshots');

const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** The Chromium executable: CHROMIUM_PATH if set, else /usr/bin/chromium; undefined when not there. */
export function chromiumPath(): string | undefined {
  const candidate = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
  try {
    fs.accessSync(candidate, fs.constants.X_OK);
    return candidate;
  } catch {
    return undefined;
  }
}

/**
 * Call first in a browser suite's `before` hook. Returns the executable when Chromium is there.
 * Without it: under CI=true it throws (the suite fails); otherwise it prints a loud banner and skips the suite.
 */
export function requireChromium(ctx: Mocha.Context): string {
  const found = chromiumPath();
  if (found) return found;
  const where = process.env.CHROMIUM_PATH ? `CHROMIUM_PATH=${process.env.CHROMIUM_PATH}` : '/usr/bin/chromium';
  const suite = ctx.currentTest?.parent?.fullTitle() ?? ctx.test?.parent?.fullTitle() ?? 'browser tests';
  if (process.env.CI === 'true') {
    throw new Error(
      `Chromium not found at ${where}; browser tests cannot be skipped under CI=true (apt-get install -y chromium)`,
    );
  }
  const line = '!'.repeat(78);
  console.warn(
    [
      '',
      line,
      `!!  BROWSER TESTS SKIPPED: "${suite}"`,
      `!!  Chromium not found at ${where}.`,
      '!!  Install it with `apt-get install -y chromium` (or set CHROMIUM_PATH) to run them.',
      '!!  Under CI=true a missing browser is a failure.',
      line,
      '',
    ].join('\n'),
  );
  ctx.skip();
}

export interface BrowserProblem {
  kind: 'console-error' | 'csp-violation' | 'page-error';
  url: string;
  text: string;
}

export interface TestBrowser {
  browser: Browser;
  /** Everything that went wrong on any page opened from this browser, in order. */
  problems: BrowserProblem[];
  /** A fresh context (own cookies) with a page already watched for problems. */
  newPage(options?: { width?: number; height?: number }): Promise<{ context: BrowserContext; page: Page }>;
  close(): Promise<void>;
}

// Runs in every document before its own scripts; Playwright injects it over CDP, so the page's CSP
// does not block it. The binding it calls is added by exposeBinding below.
function reportCspViolations() {
  document.addEventListener('securitypolicyviolation', (event) => {
    const report = (window as unknown as { __chatxCspViolation?: (text: string) => void }).__chatxCspViolation;
    report?.(`${event.effectiveDirective} blocked ${event.blockedURI || 'inline'} (${event.sourceFile}:${event.lineNumber})`);
  });
}

export async function launchBrowser(executablePath: string): Promise<TestBrowser> {
  // The default launch gives Chromium a fresh temporary profile and removes it on close.
  const browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS });
  const problems: BrowserProblem[] = [];
  const contexts: BrowserContext[] = [];

  async function newPage(options: { width?: number; height?: number } = {}) {
    const context = await browser.newContext({ viewport: { width: options.width ?? 1280, height: options.height ?? 800 } });
    contexts.push(context);
    await context.exposeBinding('__chatxCspViolation', ({ frame }, text: string) => {
      problems.push({ kind: 'csp-violation', url: frame.url(), text });
    });
    await context.addInitScript(reportCspViolations);
    const page = await context.newPage();
    page.on('console', (message) => {
      const text = message.text();
      // Chromium words CSP reports as "Refused to …" or, lately, "… violates the following Content Security Policy …".
      if (/^Refused to|Content Security Policy/.test(text)) problems.push({ kind: 'csp-violation', url: page.url(), text });
      else if (message.type() === 'error') problems.push({ kind: 'console-error', url: page.url(), text });
    });
    page.on('pageerror', (error) => problems.push({ kind: 'page-error', url: page.url(), text: error.message }));
    return { context, page };
  }

  return {
    browser,
    problems,
    newPage,
    async close() {
      for (const context of contexts) await context.close().catch(() => undefined);
      await browser.close();
    },
  };
}

/** A readable list for assertion messages. */
export function describeProblems(problems: BrowserProblem[]): string {
  return problems.map((p) => `  [${p.kind}] ${p.url}: ${p.text}`).join('\n');
}

export async function screenshot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, name);
  // caret: 'initial' — hiding the caret makes Playwright leave `style=""` on every input, which htmx's
  // settle step then copies onto the next page's inputs: a CSP violation the app did not cause.
  await page.screenshot({ path: file, fullPage: true, caret: 'initial' });
  return file;
}

/** Signs in through the real sign-in form and waits for the inbox. */
export async function signInAs(page: Page, baseUrl: string, email: string, password = PASSWORD): Promise<void> {
  await page.goto(`${baseUrl}/login`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${baseUrl}/`);
}
