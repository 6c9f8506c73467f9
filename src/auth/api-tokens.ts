// API tokens for /api/v1 (`Authorization: Bearer <token>`). The owner makes them (Settings, or the
// CLI) with a name, a role and an optional expiry; each is shown once, and only its hash is kept.
// A staff token can do what staff can; an owner token also what only the owner may (owner-only API
// routes answer 403 to staff tokens). Revoked and expired tokens are refused.
import crypto from 'node:crypto';
import type { Queryable } from '../core/db';
import { AppError, badRequest, notFound } from '../core/errors';
import { hashToken, isRole, type Role } from './users';

export interface ApiToken {
  id: number;
  name: string;
  role: Role;
}

export interface ApiTokenRow extends ApiToken {
  created_at: number;
  last_used_at: number | null;
  expires_at: number | null;
  revoked_at: number | null;
  created_by_email: string | null;
}

export const TOKEN_TTLS: Record<string, number | undefined> = {
  never: undefined,
  '30d': 30 * 24 * 3600 * 1000,
  '90d': 90 * 24 * 3600 * 1000,
  '365d': 365 * 24 * 3600 * 1000,
};

export async function createApiToken(
  db: Queryable,
  input: { name: string; role: Role; expiresAt?: number; createdBy?: number },
): Promise<{ id: number; token: string }> {
  const name = typeof input.name === 'string' ? input.name.trim() : '';
  if (name === '' || name.length > 100) throw badRequest('invalid-name', 'Give the token a name of 1 to 100 characters.');
  if (!isRole(input.role)) throw badRequest('invalid-role', 'The role must be owner or staff.');
  if (input.expiresAt !== undefined && !(Number.isFinite(input.expiresAt) && input.expiresAt > Date.now()))
    throw badRequest('invalid-expiry', 'A token expires in the future, or never.');
  const now = Date.now();
  if (
    await db.get('SELECT 1 FROM api_tokens WHERE name = ? AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?)', [
      name,
      now,
    ])
  )
    throw new AppError(
      409,
      'token-name-taken',
      `A token named "${name}" exists already; choose another name or revoke it first.`,
    );
  const token = `chx_${crypto.randomBytes(32).toString('base64url')}`;
  const { lastID } = await db.run(
    'INSERT INTO api_tokens (name, role, token_hash, created_at, expires_at, created_by) VALUES (?, ?, ?, ?, ?, ?)',
    [name, input.role, hashToken(token), now, input.expiresAt ?? null, input.createdBy ?? null],
  );
  return { id: lastID, token };
}

export async function findApiToken(db: Queryable, token: string): Promise<ApiToken | undefined> {
  const now = Date.now();
  const row = await db.get<ApiToken & { last_used_at: number | null }>(
    'SELECT id, name, role, last_used_at FROM api_tokens WHERE token_hash = ? AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?)',
    [hashToken(token), now],
  );
  if (!row) return undefined;
  // Record use at most once a minute, so a busy integration does not write on every call.
  if (!row.last_used_at || now - row.last_used_at > 60_000) {
    await db.run('UPDATE api_tokens SET last_used_at = ? WHERE id = ?', [now, row.id]);
  }
  return { id: row.id, name: row.name, role: row.role };
}

/** Every token, newest first: active ones, and the revoked and expired ones for the record. */
export function listApiTokens(db: Queryable): Promise<ApiTokenRow[]> {
  return db.all<ApiTokenRow>(
    `SELECT t.id, t.name, t.role, t.created_at, t.last_used_at, t.expires_at, t.revoked_at, u.email AS created_by_email
     FROM api_tokens t LEFT JOIN users u ON u.id = t.created_by ORDER BY t.revoked_at IS NOT NULL, t.created_at DESC, t.id DESC`,
  );
}

export function tokenStatus(
  t: Pick<ApiTokenRow, 'revoked_at' | 'expires_at'>,
  now = Date.now(),
): 'active' | 'revoked' | 'expired' {
  if (t.revoked_at) return 'revoked';
  if (t.expires_at && t.expires_at <= now) return 'expired';
  return 'active';
}

/** Revokes one token, by its id or by the name of an active token; returns it. */
export async function revokeApiToken(db: Queryable, which: { id?: number; name?: string }): Promise<ApiToken> {
  const now = Date.now();
  const rows =
    which.id !== undefined
      ? await db.all<ApiToken & { revoked_at: number | null }>('SELECT id, name, role, revoked_at FROM api_tokens WHERE id = ?', [
          which.id,
        ])
      : await db.all<ApiToken & { revoked_at: number | null }>(
          'SELECT id, name, role, revoked_at FROM api_tokens WHERE name = ? AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?)',
          [which.name ?? '', now],
        );
  if (rows.length === 0)
    throw notFound(which.id !== undefined ? 'There is no token with that id.' : 'There is no active token with that name.');
  const token = rows[0];
  if (token.revoked_at) throw new AppError(409, 'token-revoked', `The token "${token.name}" is revoked already.`);
  await db.run('UPDATE api_tokens SET revoked_at = ? WHERE id = ?', [now, token.id]);
  return { id: token.id, name: token.name, role: token.role };
}
