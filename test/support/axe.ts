// axe-core (WCAG 2.1 A and AA) in a Playwright page, for the browser tests only. The page keeps its
// strict Content-Security-Policy: axe's source goes in through page.evaluate, which Playwright sends
// over the DevTools protocol, and code evaluated there is not subject to the page's CSP (no
// bypassCSP, so the tests that assert "no CSP violation" still mean it). axe itself adds no inline
// script or style, so running it reports no violation either.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import type { Page } from 'playwright-core';
import type { AxeResults, ImpactValue } from 'axe-core';

const AXE_SOURCE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/** The rule sets ChatX is held to: WCAG 2.0 and 2.1, levels A and AA. */
export const WCAG_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

const BLOCKING: ImpactValue[] = ['serious', 'critical'];

export interface AxeFinding {
  rule: string;
  impact: ImpactValue;
  help: string;
  /** CSS selectors of the offending nodes (a few), with axe's summary of the first. */
  targets: string[];
  summary: string;
}

/** Runs axe on the page as it is now; returns every violation (any impact). */
export async function runAxe(page: Page, options: { exclude?: string[] } = {}): Promise<AxeFinding[]> {
  const loaded = await page.evaluate(() => typeof (window as unknown as { axe?: unknown }).axe === 'object');
  if (!loaded) await page.evaluate(AXE_SOURCE);
  const results = (await page.evaluate(
    async ({ tags, exclude }) => {
      const axe = (window as unknown as { axe: typeof import('axe-core') }).axe;
      const context = exclude.length ? { include: [['html']], exclude: exclude.map((s) => [s]) } : document;
      return axe.run(context as never, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] });
    },
    { tags: WCAG_TAGS, exclude: options.exclude ?? [] },
  )) as AxeResults;
  return results.violations.map((v) => ({
    rule: v.id,
    impact: v.impact ?? 'minor',
    help: v.help,
    targets: v.nodes.slice(0, 6).map((n) => n.target.join(' ')),
    summary: v.nodes[0]?.failureSummary?.replace(/\s+/g, ' ').slice(0, 300) ?? '',
  }));
}

/** The findings that fail a page: impact serious or critical. */
export function blocking(findings: AxeFinding[]): AxeFinding[] {
  return findings.filter((f) => BLOCKING.includes(f.impact));
}

/** One line per finding: rule id, impact, targets, why. */
export function describeFindings(findings: AxeFinding[]): string {
  return findings
    .map((f) => `  ${f.rule} (${f.impact}): ${f.help}\n    at ${f.targets.join(' | ')}\n    ${f.summary}`)
    .join('\n');
}

/** Asserts the page has no serious or critical WCAG 2.1 A/AA violation; `where` names it in the message. */
export async function assertAccessible(page: Page, where = page.url(), options: { exclude?: string[] } = {}): Promise<void> {
  const found = blocking(await runAxe(page, options));
  assert.equal(found.length, 0, `axe found serious/critical violations on ${where}:\n${describeFindings(found)}`);
}
