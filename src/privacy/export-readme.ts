// The README.md inside the full export: what each file holds, in which format, and what is left out
// and why. Kept beside the writer (export-full.ts) so the two change together.
import type { ExportCounts } from './export-counts';

export interface ReadmeFacts {
  exportedAt: Date;
  counts: ExportCounts;
  /** Names (never values) of the settings left out as secrets. */
  leftOutSettings: string[];
  /** The header rows of contacts.csv and conversations.csv. */
  csvColumns: { contacts: string[]; conversations: string[] };
}

export function exportReadme(facts: ReadmeFacts): string {
  const { counts: c } = facts;
  const n = (x: number) => x.toLocaleString('en');
  const secrets = facts.leftOutSettings.length ? facts.leftOutSettings.map((k) => `\`${k}\``).join(', ') : 'none were set';
  return `# ChatX export

Everything this ChatX held on ${facts.exportedAt.toISOString()} (UTC), when the export began. Rows
added while it was being written are left for the next export. This file is **not encrypted**:
it holds your customers' messages and details, so keep it as safe as the database itself.

## Files

| file | holds |
| --- | --- |
| \`manifest.json\` | the format name and version (\`chatx-export\`, 1), the time, the counts below, and the names of the settings left out |
| \`contacts.json\` | ${n(c.contacts)} contacts: everyone who wrote to the Page — Messenger id (\`psid\`), name, email, phone, lead stage and source, referral |
| \`contacts.csv\` | the same contacts as a spreadsheet (columns below) |
| \`conversations.json\` | ${n(c.conversations)} conversations (one per contact): status, assignee, snooze, unread count, last message, and \`labels\` (names) |
| \`conversations.csv\` | one row per conversation (columns below) |
| \`messages.jsonl\` | ${n(c.messages)} messages, in and out, **including private notes** (\`kind\` = \`note\`) and postbacks |
| \`attachments.json\` | ${n(c.attachments)} attachments' details: type, state, name, content type, size, Meta's original URL (expired by now, usually), and \`file\` |
| \`attachments/\` | ${n(c.files)} files: the stored bytes of each attachment, named \`<id>-<name>\` as \`file\` in \`attachments.json\` says |
| \`labels.json\` | ${n(c.labels)} labels |
| \`users.json\` | ${n(c.users)} people who sign in to ChatX: email, name, role, status, preferences |
| \`canned_responses.json\` | ${n(c.canned_responses)} canned responses |
| \`deletion_requests.json\` | ${n(c.deletion_requests)} deletion requests: code, source, status, requested, deadline, done, and what was removed |
| \`audit_log.json\` | ${n(c.audit_log)} audit log entries: who did what and when (never message content) |
| \`settings.json\` | ${n(c.settings)} settings saved in the app (business profile, Messenger Page, AI, switches), secrets left out |
| \`knowledge.json\` | ${n(c.knowledge)} knowledge entries the AI answers from: title, body, whether every prompt holds it, and where it came from (Settings or the knowledge file) |
| \`ai_drafts.json\` | ${n(c.ai_drafts)} replies the AI suggested that staff have not sent yet, by conversation |
| \`ai_calls.json\` | ${n(c.ai_calls)} calls to the AI provider: when, for which conversation and purpose, provider, model, tokens, how long, and whether it worked (never the content) |

## Formats

- Text is UTF-8. JSON files are arrays of objects, one object per line; \`messages.jsonl\` is
  JSON Lines (https://jsonlines.org): one message object per line, so a program can read a
  million messages one at a time.
- In JSON, every object has the columns of the database table as they are: ids are whole
  numbers, times are milliseconds since 1970-01-01 UTC (\`created_at\`, \`updated_at\` …), and
  missing values are \`null\`. A message's \`created_at\` is Meta's event time; \`direction\` is
  \`in\` (from the customer) or \`out\`; \`sent_by\` is \`contact\`, \`user\` (with
  \`sent_by_user_id\`), \`ai\`, \`outside\` (sent from Meta's own tools) or \`system\`.
- Messages point to their conversation (\`conversation_id\`), conversations to their contact
  (\`contact_id\`), attachments to their message (\`message_id\`).
- CSV files follow RFC 4180: a header row, commas, CRLF line ends, and cells with a comma, a
  quote or a line break in double quotes (a quote doubled). Times are ISO 8601 in UTC. A text cell
  that starts with \`=\`, \`+\`, \`-\`, \`@\`, a tab or a carriage return gets an apostrophe in
  front, so a spreadsheet shows it as text instead of running it as a formula (a phone number
  \`+49 …\` reads \`'+49 …\`).
  - \`contacts.csv\`: ${facts.csvColumns.contacts.map((col) => `\`${col}\``).join(', ')}.
  - \`conversations.csv\`: ${facts.csvColumns.conversations.map((col) => `\`${col}\``).join(', ')}
    (\`labels\` are separated by "; ", \`messages\` counts messages and notes).
- Attachment file names are the names customers and staff gave them, with folders, control
  characters and characters that Windows refuses replaced, and cut to 100 characters.
- The ZIP uses ZIP64 where a file or the archive passes 4 GiB; any current unzip tool opens it.

## Left out, and why

- **Passwords and invitation tokens** of users (only their hashes are kept, and even those would
  let someone try to guess passwords offline), **browser sessions**, **known devices**,
  **sign-in failure counts** and **API tokens**: they are the keys to ChatX, not data about anyone.
- **Secret settings**: ${secrets}. The Page access token, the app secret, the webhook verify token
  and the Simulator's signing secret would let whoever holds this file act as your business on
  Messenger. You have them in Meta's dashboard.
- **Background work** (queued jobs, the outbox of replies waiting to be sent, webhook receipts,
  files waiting in the Simulator, the health probe) and the **search index**: machinery that ChatX
  rebuilds from the data above.
`;
}
