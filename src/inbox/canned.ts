// Canned responses: short texts staff insert in the composer by typing "/" and a shortcut.
// The owner keeps the list in Settings; every signed-in user searches it.
import type { Queryable } from '../core/db';
import { AppError, badRequest, notFound } from '../core/errors';

export interface CannedResponse {
  id: number;
  shortcut: string;
  text: string;
}

export const SHORTCUT_MAX = 30;
export const TEXT_MAX = 2000;
export const SEARCH_LIMIT = 8;

/** A leading "/" is how staff type a shortcut in the composer; it is not part of the name. */
export function validateCanned(input: { shortcut?: unknown; text?: unknown }): { shortcut: string; text: string } {
  const shortcut = (typeof input.shortcut === 'string' ? input.shortcut : '').trim().replace(/^\//, '');
  const text = (typeof input.text === 'string' ? input.text : '').trim();
  if (!shortcut || shortcut.length > SHORTCUT_MAX || !/^[A-Za-z0-9_-]+$/.test(shortcut)) {
    throw badRequest('invalid-shortcut', `A shortcut is 1 to ${SHORTCUT_MAX} letters, digits, - or _ (no spaces).`);
  }
  if (!text || text.length > TEXT_MAX)
    throw badRequest('invalid-canned-text', `The text is 1 to ${TEXT_MAX.toLocaleString('en')} characters.`);
  return { shortcut, text };
}

export function listCanned(db: Queryable): Promise<CannedResponse[]> {
  return db.all<CannedResponse>('SELECT id, shortcut, text FROM canned_responses ORDER BY shortcut COLLATE NOCASE');
}

/** Shortcuts starting with q first, then texts containing it; at most SEARCH_LIMIT. */
export function searchCanned(db: Queryable, q: string): Promise<CannedResponse[]> {
  const term = q.trim().replace(/^\//, '');
  if (!term)
    return db.all<CannedResponse>('SELECT id, shortcut, text FROM canned_responses ORDER BY shortcut COLLATE NOCASE LIMIT ?', [
      SEARCH_LIMIT,
    ]);
  const like = term.replace(/[\\%_]/g, (ch) => `\\${ch}`);
  return db.all<CannedResponse>(
    `SELECT id, shortcut, text FROM canned_responses
     WHERE shortcut LIKE ? ESCAPE '\\' OR text LIKE ? ESCAPE '\\'
     ORDER BY (shortcut LIKE ? ESCAPE '\\') DESC, shortcut COLLATE NOCASE LIMIT ?`,
    [`${like}%`, `%${like}%`, `${like}%`, SEARCH_LIMIT],
  );
}

function duplicate(err: unknown): boolean {
  return /UNIQUE constraint failed: canned_responses\.shortcut/.test((err as Error)?.message ?? '');
}

const taken = (shortcut: string) => new AppError(409, 'shortcut-taken', `There is already a canned response /${shortcut}.`);

export async function createCanned(db: Queryable, input: { shortcut?: unknown; text?: unknown }): Promise<number> {
  const { shortcut, text } = validateCanned(input);
  const now = Date.now();
  try {
    const { lastID } = await db.run('INSERT INTO canned_responses (shortcut, text, created_at, updated_at) VALUES (?, ?, ?, ?)', [
      shortcut,
      text,
      now,
      now,
    ]);
    return lastID;
  } catch (err) {
    if (duplicate(err)) throw taken(shortcut);
    throw err;
  }
}

export async function updateCanned(db: Queryable, id: number, input: { shortcut?: unknown; text?: unknown }): Promise<void> {
  const { shortcut, text } = validateCanned(input);
  let changes: number;
  try {
    ({ changes } = await db.run('UPDATE canned_responses SET shortcut = ?, text = ?, updated_at = ? WHERE id = ?', [
      shortcut,
      text,
      Date.now(),
      id,
    ]));
  } catch (err) {
    if (duplicate(err)) throw taken(shortcut);
    throw err;
  }
  if (!changes) throw notFound('That canned response does not exist.');
}

export async function deleteCanned(db: Queryable, id: number): Promise<void> {
  const { changes } = await db.run('DELETE FROM canned_responses WHERE id = ?', [id]);
  if (!changes) throw notFound('That canned response does not exist.');
}
