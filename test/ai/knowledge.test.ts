// What the business knows: entries in the encrypted database, sections of AI_KNOWLEDGE_FILE, and
// the retrieval that puts only the relevant ones into a prompt.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { addKnowledge, fileSections, listKnowledge, retrieveKnowledge } from '../../src/ai/knowledge';
import { makeContext, tempDir, type TestContext } from '../support/context';

describe('AI knowledge', () => {
  let ctx: TestContext;
  afterEach(async () => ctx?.close());

  describe('fileSections()', () => {
    it('should split at headings, each heading the title of its section', () => {
      const text = '# Opening hours\nMon–Fri 9–18\n\nSat 10–14\n\n## Delivery\nWithin 10 km, 5 EUR.\n';
      assert.deepEqual(fileSections(text), [
        { title: 'Opening hours', body: 'Mon–Fri 9–18\n\nSat 10–14' },
        { title: 'Delivery', body: 'Within 10 km, 5 EUR.' },
      ]);
    });

    it('should split text without headings at blank lines, the first line the title', () => {
      assert.deepEqual(fileSections('\uFEFFPrices\nA cake is 30 EUR.\n\nWe never deliver on Sundays.\r\n'), [
        { title: 'Prices', body: 'A cake is 30 EUR.' },
        { title: 'We never deliver on Sundays.', body: 'We never deliver on Sundays.' },
      ]);
    });
  });

  it('should load AI_KNOWLEDGE_FILE at start, beside the entries from Settings, and replace its old sections', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'knowledge.md');
    fs.writeFileSync(file, '# Hours\nWe open at 9.\n\n# Parking\nFree parking behind the shop.\n');
    ctx = await makeContext({ AI_KNOWLEDGE_FILE: file });
    await addKnowledge(ctx.deps.db, { title: 'Tone', body: 'Friendly, short, no emojis.', always: true });
    await ctx.deps.assistant.start();
    await ctx.deps.assistant.start(); // a second start (a restart) does not double the file's sections
    const all = await listKnowledge(ctx.deps.db);
    assert.deepEqual(
      all.map((k) => [k.title, k.source]),
      [
        ['Tone', 'settings'],
        ['Hours', 'file'],
        ['Parking', 'file'],
      ],
    );
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('should refuse a knowledge file that does not exist, naming the variable', async () => {
    await assert.rejects(makeContext({ AI_KNOWLEDGE_FILE: '/nonexistent/knowledge.md' }), /AI_KNOWLEDGE_FILE: cannot read/);
  });

  it('should retrieve the "always" entries and the best matches only, whatever the customer typed', async () => {
    ctx = await makeContext();
    await addKnowledge(ctx.deps.db, { title: 'Tone', body: 'Friendly and short.', always: true });
    await addKnowledge(ctx.deps.db, { title: 'Opening hours', body: 'Monday to Friday 9:00–18:00.', always: false });
    await addKnowledge(ctx.deps.db, { title: 'Delivery', body: 'We deliver within 10 km.', always: false });
    await addKnowledge(ctx.deps.db, { title: 'Allergens', body: 'Our cakes may contain nuts.', always: false });
    const titles = async (text: string) => (await retrieveKnowledge(ctx.deps.db, text)).map((k) => k.title);
    assert.deepEqual(await titles('Do you deliver to my street?'), ['Tone', 'Delivery']);
    assert.deepEqual(await titles('Opening hours on monday?'), ['Tone', 'Opening hours']);
    assert.deepEqual(await titles('Qué horas? 🎂'), ['Tone']);
    // FTS5 syntax in the customer's words is just words.
    for (const hostile of ['"', 'NEAR(a b)', 'delivery OR', '*', 'title:delivery', ') AND (', "'; DROP TABLE knowledge; --"]) {
      await retrieveKnowledge(ctx.deps.db, hostile);
    }
    assert.equal((await listKnowledge(ctx.deps.db)).length, 4);
  });
});
