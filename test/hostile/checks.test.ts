// The hostile-input suite's own checks, checked: they must see what they look for (an oracle that
// never fires would make every test above pass for nothing), and stay quiet on ChatX's escaped output.
import assert from 'node:assert/strict';
import ejs from 'ejs';
import { XSS_CORPUS, htmlProblems, leakProblems, TEMPLATE_PRODUCT } from './support';

describe('The hostile-input checks themselves', () => {
  it('should find a payload left unescaped, an injected element or handler, a javascript: URL and an evaluated template', () => {
    const unsafe = [
      '<p><script>alert(1)</script></p>',
      '<p>"><img src=x onerror=alert(1)></p>',
      '<input value="" onmouseover="alert(1)">',
      '<a href=" &#106;avascript:alert(1)">x</a>',
      '<a href="JaVaScRiPt&colon;alert(1)">x</a>',
      '<svg onload=alert(1)>',
      `<p>${TEMPLATE_PRODUCT}</p>`,
      '<textarea></textarea><script>alert(1)</script></textarea>',
    ];
    for (const html of unsafe) assert.notDeepEqual(htmlProblems(html), [], html);
  });

  it('should pass every payload as the templates escape it, in text and in attributes', () => {
    for (const payload of XSS_CORPUS) {
      const escaped = ejs.escapeXML(payload);
      const html = `<p class="text">${escaped}</p><input name="q" value="${escaped}"><a href="/search?q=${encodeURIComponent(payload)}">x</a>`;
      assert.deepEqual(htmlProblems(html), [], payload);
    }
  });

  it('should find a stack trace, an SQL error and a source path in a body, and nothing in a plain error page', () => {
    assert.notDeepEqual(leakProblems('TypeError: x is undefined\n    at render (/work/main/src/app.ts:12:5)'), []);
    assert.notDeepEqual(leakProblems('SQLITE_CONSTRAINT: UNIQUE constraint failed: users.email'), []);
    assert.notDeepEqual(leakProblems('failed in views/inbox/_row.ejs:3'), []);
    assert.deepEqual(
      leakProblems('<h1>Something went wrong</h1><p>Something went wrong on our side. It has been logged.</p>'),
      [],
    );
  });
});
