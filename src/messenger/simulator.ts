// The Simulator plays Meta in sandbox mode: it turns "a customer writes…" into the exact webhook
// body Meta would send, signs it with the channel's secret, and POSTs it to our own webhook over
// HTTP, so a new owner sees the real path end to end. A file is kept in the simulator's table under
// an unguessable, single-use token, and named by a URL on a host that can never resolve
// (SIMULATOR_HOST): the attachment job takes it from the table, never over the network.
import crypto from 'node:crypto';
import type { Queryable } from '../core/db';
import { fileType } from '../conversations/outbound';
import { setSetting } from '../settings/store';
import { signatureOf } from './webhook/signature';

/** A stable made-up PSID per customer name, so the same name continues the same conversation. */
export function simulatedPsid(name: string): string {
  const digest = crypto.createHash('sha256').update(name.trim().toLowerCase()).digest();
  return '9' + (digest.readBigUInt64BE(0) % 10n ** 15n).toString().padStart(15, '0');
}

/** JSON as Meta signs it: non-ASCII characters escaped as \uXXXX (docs/messenger.md, Webhook signatures). */
export function metaJson(value: unknown): string {
  return JSON.stringify(value).replace(/[\u007f-\uffff]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export interface SimulatedMessage {
  pageId: string;
  name: string;
  text?: string;
  file?: { name: string; contentType: string; data: Buffer };
}

/** The host of the Simulator's file URLs: `.invalid` is reserved and never resolves (RFC 2606). */
export const SIMULATOR_HOST = 'files.simulator.invalid';

export async function buildSimulatedEvent(db: Queryable, input: SimulatedMessage) {
  const psid = simulatedPsid(input.name);
  // The profile Meta would give for this PSID: read by the profile job in sandbox mode.
  await setSetting(db, `sandbox.profile.${psid}`, input.name.trim());
  const message: Record<string, unknown> = { mid: `m_sim_${crypto.randomBytes(12).toString('hex')}` };
  if (input.text) message.text = input.text;
  if (input.file) {
    const token = crypto.randomBytes(24).toString('base64url');
    await db.run('INSERT INTO simulator_files (token, name, content_type, data, created_at) VALUES (?, ?, ?, ?, ?)', [
      token,
      input.file.name,
      input.file.contentType,
      input.file.data,
      Date.now(),
    ]);
    message.attachments = [
      {
        type: fileType(input.file.contentType),
        payload: { url: `https://${SIMULATOR_HOST}/files/${token}/${encodeURIComponent(input.file.name)}` },
      },
    ];
  }
  const body = {
    object: 'page',
    entry: [
      {
        id: input.pageId,
        time: Date.now(),
        messaging: [{ sender: { id: psid }, recipient: { id: input.pageId }, timestamp: Date.now(), message }],
      },
    ],
  };
  return { psid, body };
}

/** POSTs the body to our own webhook exactly as Meta would; returns the HTTP status. */
export async function deliverToWebhook(baseUrl: string, body: unknown, appSecret: string): Promise<number> {
  const raw = metaJson(body);
  const res = await fetch(`${baseUrl}/webhooks/messenger`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-hub-signature-256': signatureOf(raw, appSecret) },
    body: raw,
    signal: AbortSignal.timeout(10000),
  });
  await res.text();
  return res.status;
}

/** Serves a simulator file once; files older than an hour are dropped either way. */
export async function takeSimulatorFile(
  db: Queryable,
  token: string,
): Promise<{ name: string; content_type: string; data: Buffer } | undefined> {
  await db.run('DELETE FROM simulator_files WHERE created_at < ?', [Date.now() - 3600 * 1000]);
  const row = await db.get<{ name: string; content_type: string; data: Buffer }>(
    'SELECT name, content_type, data FROM simulator_files WHERE token = ?',
    [token],
  );
  if (row) await db.run('DELETE FROM simulator_files WHERE token = ?', [token]);
  return row;
}
