// Settings saved from the UI, as typed key/value rows. The environment wins where both exist.
import crypto from 'node:crypto';
import type { Queryable } from '../core/db';

export interface BusinessProfile {
  businessName: string;
  contactEmail: string;
  website: string;
}

export async function getSetting(db: Queryable, key: string): Promise<string | undefined> {
  return (await db.get<{ value: string }>('SELECT value FROM settings WHERE key = ?', [key]))?.value;
}

export async function getSettings(db: Queryable, prefix: string): Promise<Record<string, string>> {
  const rows = await db.all<{ key: string; value: string }>('SELECT key, value FROM settings WHERE key LIKE ?', [`${prefix}%`]);
  return Object.fromEntries(rows.map((r) => [r.key, r.value]));
}

export async function setSetting(db: Queryable, key: string, value: string): Promise<void> {
  await db.run(
    `INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)
     ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
    [key, value, Date.now()],
  );
}

export async function getBusinessProfile(db: Queryable): Promise<BusinessProfile> {
  const s = await getSettings(db, 'business.');
  return {
    businessName: s['business.name'] ?? '',
    contactEmail: s['business.contact_email'] ?? '',
    website: s['business.website'] ?? '',
  };
}

export async function saveBusinessProfile(db: Queryable, profile: BusinessProfile): Promise<void> {
  await setSetting(db, 'business.name', profile.businessName);
  await setSetting(db, 'business.contact_email', profile.contactEmail);
  await setSetting(db, 'business.website', profile.website);
}

/**
 * The webhook verify token: FB_VERIFY_TOKEN when set, else one generated on first use and kept in
 * the settings, so it stays the same across restarts and can be pasted into Meta's dashboard once.
 */
export async function verifyToken(db: Queryable, fromEnv: string | undefined): Promise<string> {
  if (fromEnv) return fromEnv;
  const stored = await getSetting(db, 'messenger.verify_token');
  if (stored) return stored;
  const token = crypto.randomBytes(18).toString('base64url');
  await db.run('INSERT OR IGNORE INTO settings (key, value, updated_at) VALUES (?, ?, ?)', [
    'messenger.verify_token',
    token,
    Date.now(),
  ]);
  return (await getSetting(db, 'messenger.verify_token'))!;
}
