// The repository stands alone: every file its code, docs and tests mention is in it, and every
// "docs/<page>.md, <Section>" a comment cites names a section that page has.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..');
const TEXT = /\.(ts|js|md|sql|ejs|css|yml|sh)$/;

function trackedText(): string[] {
  const listed = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, encoding: 'utf8' });
  return listed
    .split('\n')
    .filter((f) => f && TEXT.test(f) && !f.startsWith('public/vendor/') && fs.existsSync(path.join(ROOT, f)));
}

describe('The repository', () => {
  const files = trackedText();
  const all = new Set(files.concat(execFileSync('git', ['ls-files'], { cwd: ROOT, encoding: 'utf8' }).split('\n')));
  const basenames = new Set([...all].map((f) => path.basename(f)));

  it('should cite no file that lives outside it', () => {
    const outside = /\b(PROTOCOL|CONTRACT|STYLE)\.md\b|\.\.\/shared\//;
    const offenders = files.filter((f) => f !== 'test/repo.test.ts' && outside.test(fs.readFileSync(path.join(ROOT, f), 'utf8')));
    assert.deepEqual(offenders, []);
  });

  it('should mention only files that exist (paths from the root, and file names in the code)', () => {
    const rooted = /\b((?:src|test|docs|views|public|migrations|bench|scripts)\/[\w./-]*\w\.(?:ts|js|md|sql|ejs|css|json))\b/g;
    const named = /(?<![\w./-])([a-z][\w-]*\.(?:ts|ejs)|\d{4}_\w+\.sql)\b/g;
    // Written by the tools, not kept in git; and the pattern every migration's name follows.
    const generated = new Set(['bench/results.json', 'migrations/NNNN_name.sql']);
    const missing: string[] = [];
    for (const f of files) {
      // A link to another project's file (https://github.com/…/src/client.ts) is not a claim about this one.
      const text = fs.readFileSync(path.join(ROOT, f), 'utf8').replace(/https?:\/\/\S+/g, '');
      for (const [, mention] of text.matchAll(rooted)) {
        // A route such as /static/js/app.js, or a path relative to src/ (conversations/x.ts), also counts.
        if (!all.has(mention) && !all.has(`src/${mention}`) && !mention.startsWith('public/vendor/') && !generated.has(mention))
          missing.push(`${f}: ${mention}`);
      }
      // Tests write files of their own (migrations to fail, and such); names there are not claims.
      if (!/\.(ts|js|sql|ejs)$/.test(f) || f.startsWith('test/')) continue;
      for (const [, name] of text.matchAll(named)) {
        if (!basenames.has(name) && !/^(d|config|\w+\.config)\.ts$/.test(name)) missing.push(`${f}: ${name}`);
      }
    }
    assert.deepEqual(missing, []);
  });

  it('should cite only sections that the docs have', () => {
    const cite = /docs\/([\w-]+)\.md, ([^):.;"\n]+)/g;
    const missing: string[] = [];
    for (const f of files) {
      for (const [, page, section] of fs.readFileSync(path.join(ROOT, f), 'utf8').matchAll(cite)) {
        const doc = path.join(ROOT, 'docs', `${page}.md`);
        const headings = fs.existsSync(doc)
          ? [...fs.readFileSync(doc, 'utf8').matchAll(/^#+ (.+)$/gm)].map((m) => m[1].trim())
          : [];
        // A citation may wrap onto the next comment line: what is on this line must start a heading.
        if (!headings.some((h) => h.startsWith(section.trim()))) missing.push(`${f}: docs/${page}.md, ${section.trim()}`);
      }
    }
    assert.deepEqual(missing, []);
  });
});
