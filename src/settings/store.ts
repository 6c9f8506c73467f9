// Settings saved from the UI, as key/value rows; this file is the only writer of the settings table.
// The environment wins where both exist.
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

export async function deleteSetting(db: Queryable, key: string): Promise<void> {
  await db.run('DELETE FROM settings WHERE key = ?', [key]);
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
