// X-Hub-Signature-256: `sha256=<hex HMAC-SHA256 of the raw body, keyed with the app secret>`.
// Checked over the exact bytes received, before parsing, with a constant-time compare
// (docs/messenger.md, Webhook signatures: Meta signs the \u-escaped form, so re-serialised JSON would not match).
import crypto from 'node:crypto';

export function signatureOf(body: Buffer | string, appSecret: string): string {
  return `sha256=${crypto.createHmac('sha256', appSecret).update(body).digest('hex')}`;
}

export function validSignature(body: Buffer, header: string | undefined, appSecret: string | undefined): boolean {
  if (!header || !appSecret || !/^sha256=[0-9a-f]{64}$/i.test(header)) return false;
  const expected = Buffer.from(signatureOf(body, appSecret));
  const given = Buffer.from(header.toLowerCase());
  return expected.length === given.length && crypto.timingSafeEqual(expected, given);
}
