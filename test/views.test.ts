// Templates are compiled without `with (locals)` (src/views.ts): every name a template reads from its
// locals must be in TEMPLATE_LOCALS, or rendering that template throws a ReferenceError.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import ejs from 'ejs';
import { TEMPLATE_LOCALS, templateOptions, VIEWS_DIR } from '../src/views';
import { allTemplates, templateNames } from './support/template-names';
import { loadConfig } from '../src/config';

describe('The templates', () => {
  const templates = allTemplates(VIEWS_DIR);
  const listed = new Set(TEMPLATE_LOCALS);

  it('should read from their locals only names that views.ts hands them', () => {
    const missing: string[] = [];
    for (const [name, file] of templates) {
      for (const free of templateNames(file).free) if (!listed.has(free)) missing.push(`${name}: ${free}`);
    }
    assert.deepEqual(missing, []);
  });

  it('should not declare, at their top level, a name that is handed to every template', () => {
    const clashes: string[] = [];
    for (const [name, file] of templates) {
      for (const declared of templateNames(file).topLevel) if (listed.has(declared)) clashes.push(`${name}: ${declared}`);
    }
    assert.deepEqual(clashes, []);
  });

  it('should list no name that no template reads', () => {
    const read = new Set<string>();
    for (const file of templates.values()) for (const free of templateNames(file).free) read.add(free);
    assert.deepEqual(
      TEMPLATE_LOCALS.filter((n) => !read.has(n)),
      [],
    );
  });

  it('should all compile with the options the app uses', () => {
    const options = templateOptions(loadConfig({}));
    for (const [name, file] of templates) {
      assert.doesNotThrow(() => ejs.compile(fs.readFileSync(file, 'utf8'), { ...options, filename: file }), name);
    }
  });
});
