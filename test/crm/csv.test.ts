// Contacts CSV: GET /contacts.csv (owner) exports everyone with lead stage, source and custom fields
// as columns, formula-defused; /contacts/import (owner) previews a CSV with each row's outcome and
// errors, and "Import" applies the valid rows in one transaction, audit-logged; broken files and
// rows get clear errors and write nothing.
import assert from 'node:assert/strict';
import { parseCsv } from '../../src/crm/csv';
import { createFieldDef } from '../../src/crm/fields';
import { customersWrite, inboxContext, OWNER, STAFF, type InboxContext } from '../inbox/support';
import { signIn, type Agent } from '../support/browser-session';

describe('Contacts CSV', () => {
  let ctx: InboxContext;
  let owner: { agent: Agent; csrf: string };
  const ANA = '4600000000000001';
  const BEN = '4600000000000002';
  const CARA = '4600000000000003';
  let ana: number;
  let ben: number;

  beforeEach(async () => {
    ctx = await inboxContext();
    await customersWrite(ctx, [
      { psid: ANA, text: 'Hello' },
      { psid: BEN, text: 'Hi' },
      { psid: CARA, text: 'Hey' },
    ]);
    const id = async (psid: string) =>
      (await ctx.deps.db.get<{ id: number }>('SELECT id FROM contacts WHERE psid = ?', [psid]))!.id;
    ana = await id(ANA);
    ben = await id(BEN);
    await ctx.deps.db.run(
      `UPDATE contacts SET name = 'Ana', email = 'ana@example.com', lead_source = 'ad 7', fields = '{"Note":"=HYPERLINK(1)"}' WHERE id = ?`,
      [ana],
    );
    await ctx.deps.db.run(`UPDATE contacts SET name = 'Ben', email = 'ben@example.com' WHERE id = ?`, [ben]);
    await createFieldDef(ctx.deps.db, { name: 'Orders', type: 'number', choices: [], position: 1 }, { actor: 'test' });
    owner = await signIn(ctx.app, OWNER);
  });
  afterEach(() => ctx.close());

  const upload = (csv: string, name = 'contacts.csv') =>
    owner.agent
      .post('/contacts/import')
      .field('_csrf', owner.csrf)
      .attach('file', Buffer.from(csv, 'utf8'), { filename: name, contentType: 'text/csv' });
  const importKey = (html: string) => /name="import" value="([^"]+)"/.exec(html)?.[1];
  const snapshot = () => ctx.deps.db.all('SELECT id, name, email, phone, fields, updated_at FROM contacts ORDER BY id');

  describe('GET /contacts.csv', () => {
    it('should export every contact with its lead and custom fields as columns, formulas defused, audit-logged', async () => {
      await ctx.deps.leads.change(ana, {}, { actor: 'test' });
      const res = await owner.agent.get('/contacts.csv');
      assert.equal(res.status, 200);
      assert.match(res.headers['content-type'], /^text\/csv/);
      assert.match(res.headers['content-disposition'], /attachment; filename="contacts-\d{4}-\d{2}-\d{2}\.csv"/);
      const rows = parseCsv(res.text);
      assert.deepEqual(rows[0], [
        'id',
        'psid',
        'name',
        'email',
        'phone',
        'lead_stage',
        'lead_source',
        'Orders',
        'Note',
        'created_at',
      ]);
      const anaRow = rows.find((r) => r[1] === ANA)!;
      assert.deepEqual(anaRow.slice(0, 9), [String(ana), ANA, 'Ana', 'ana@example.com', '', 'New', 'ad 7', '', "'=HYPERLINK(1)"]);
      assert.match(anaRow[9], /^\d{4}-\d{2}-\d{2}T/);
      assert.equal(rows.length, 4);
      const audit = await ctx.deps.db.get<{ action: string }>("SELECT action FROM audit_log WHERE action = 'contacts.exported'");
      assert.ok(audit);
    });

    it('should be the owner’s only', async () => {
      const staff = await signIn(ctx.app, STAFF);
      assert.equal((await staff.agent.get('/contacts.csv')).status, 403);
      assert.equal((await staff.agent.get('/contacts/import')).status, 403);
    });
  });

  describe('/contacts/import', () => {
    it('should preview each row, then import the valid ones in one go, audit-logged', async () => {
      const page = await owner.agent.get('/contacts/import');
      assert.equal(page.status, 200);
      assert.match(page.text, /enctype="multipart\/form-data"/);
      const csv = [
        'psid,name,email,phone,Orders,City,lead_stage',
        `${ANA},Ana Lima,,+55 11 5555 0101,3,São Paulo,Won`,
        `,,ben@example.com,,,"Porto, PT",`,
        `,Nobody,,,,,`,
        `9999999999,Ghost,,,,,`,
        `${CARA},,,,many,,`,
      ].join('\r\n');
      const before = await snapshot();
      const preview = await upload(csv);
      assert.equal(preview.status, 200);
      assert.deepEqual(await snapshot(), before, 'a preview writes nothing');
      assert.match(preview.text, /<strong>2<\/strong> to update · 0 unchanged · <strong>3<\/strong> refused/);
      assert.match(preview.text, /columns not imported: lead_stage/);
      assert.match(preview.text, /a new contact needs a psid/);
      assert.match(preview.text, /Nobody with this psid has written to the Page/);
      assert.match(preview.text, /&#34;Orders&#34; takes a number/);
      const key = importKey(preview.text);
      assert.ok(key);
      const apply = await owner.agent.post('/contacts/import/apply').type('form').send({ _csrf: owner.csrf, import: key });
      assert.equal(apply.status, 303);
      assert.equal(apply.headers.location, '/contacts/import?done=2');
      assert.match((await owner.agent.get(apply.headers.location)).text, /2 contacts updated/);
      const anaNow = await ctx.deps.db.get<{ name: string; email: string; phone: string; fields: string }>(
        'SELECT name, email, phone, fields FROM contacts WHERE id = ?',
        [ana],
      );
      assert.deepEqual(
        { ...anaNow, fields: JSON.parse(anaNow!.fields) },
        {
          name: 'Ana Lima',
          email: 'ana@example.com',
          phone: '+55 11 5555 0101',
          fields: { Note: '=HYPERLINK(1)', Orders: '3', City: 'São Paulo' },
        },
      );
      assert.equal(
        (await ctx.deps.db.get<{ fields: string }>('SELECT fields FROM contacts WHERE id = ?', [ben]))!.fields,
        '{"City":"Porto, PT"}',
      );
      const audits = await ctx.deps.db.all<{ target: string; detail: string }>(
        "SELECT target, detail FROM audit_log WHERE action = 'contact.imported' ORDER BY id",
      );
      assert.deepEqual(
        audits.map((a) => a.target),
        [`contact #${ana}`, `contact #${ben}`],
      );
      assert.doesNotMatch(audits[0].detail, /São Paulo|Ana Lima/, 'names of fields, never values');
      // A preview is used once.
      const again = await owner.agent.post('/contacts/import/apply').type('form').send({ _csrf: owner.csrf, import: key });
      assert.equal(again.status, 410);
    });

    it('should refuse broken files with a clear message and write nothing', async () => {
      const before = await snapshot();
      const cases: [string, RegExp][] = [
        [`psid,name\n${ANA},"Ana`, /quoted cell that starts on or before line 2 never ends/],
        ['name,phone\nAna,123', /needs a psid or an email column/],
        ['psid,name,name\n1,a,b', /column &#34;name&#34; appears twice/],
        ['psid,name\n', /header but no rows/],
      ];
      for (const [csv, message] of cases) {
        const res = await upload(csv);
        assert.ok([400, 422].includes(res.status), `${csv}: ${res.status}`);
        assert.match(res.text, message, csv);
        assert.equal(importKey(res.text), undefined, csv);
      }
      const ragged = await upload(`psid,name,email\n${ANA},Ana\n`);
      assert.match(ragged.text, /It has 2 cells where the first line names 3 columns/);
      assert.match(ragged.text, /Nothing to import/);
      const dupe = await upload(`psid,name\n${ANA},A\n${ANA},B\n`);
      assert.match(dupe.text, /Line 2 already changes this person/);
      assert.equal((await upload('\u0000\u0001binary')).status, 400);
      const none = await owner.agent.post('/contacts/import').field('_csrf', owner.csrf);
      assert.equal(none.status, 400);
      assert.match(none.text, /Choose a CSV file/);
      assert.equal(
        (await owner.agent.post('/contacts/import/apply').type('form').send({ _csrf: owner.csrf, import: 'nope' })).status,
        410,
      );
      assert.deepEqual(await snapshot(), before);
    });

    it('should write nothing when a contact changed since the preview made a valid row invalid', async () => {
      const preview = await upload(`email,name\nben@example.com,Benjamin\nana@example.com,Ana Lima\n`);
      const key = importKey(preview.text)!;
      // Someone else now has Ben's address: the row no longer names one person.
      await ctx.deps.db.run("UPDATE contacts SET email = 'ben@example.com' WHERE id = ?", [ana]);
      const before = await snapshot();
      const apply = await owner.agent.post('/contacts/import/apply').type('form').send({ _csrf: owner.csrf, import: key });
      assert.equal(apply.status, 409);
      assert.match(apply.text, /nothing was imported/);
      assert.match(apply.text, /Several contacts have this email/);
      assert.deepEqual(await snapshot(), before);
    });

    it('should refuse the upload without a CSRF token, and staff', async () => {
      const res = await owner.agent
        .post('/contacts/import')
        .attach('file', Buffer.from(`psid,name\n${ANA},X`), { filename: 'a.csv', contentType: 'text/csv' });
      assert.equal(res.status, 403);
      const staff = await signIn(ctx.app, STAFF);
      const post = await staff.agent
        .post('/contacts/import')
        .field('_csrf', staff.csrf)
        .attach('file', Buffer.from(`psid,name\n${ANA},X`), { filename: 'a.csv', contentType: 'text/csv' });
      assert.equal(post.status, 403);
    });
  });

  describe('parseCsv', () => {
    it('should read quotes, doubled quotes, newlines in cells, CRLF, a BOM, and drop blank lines', () => {
      assert.deepEqual(parseCsv('\uFEFFa,b\r\n"x, ""y""","line\nbreak"\r\n\r\n1,\n'), [
        ['a', 'b'],
        ['x, "y"', 'line\nbreak'],
        ['1', ''],
      ]);
    });
  });
});
