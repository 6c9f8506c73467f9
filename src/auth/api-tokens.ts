// API tokens for /api/v1 (`Authorization: Bearer <token>`). Shown once at creation; only the hash is kept.
import crypto from 'node:crypto';
import type { Queryable } from '../core/db';
import { badRequest } from '../core/errors';
import { hashToken, isRole, type Role } from './users';

export interface ApiToken {
  id: number;
  name: string;
  role: Role;
}

export async function createApiToken(db: Queryable, input: { name: string; role: Role }): Promise<{ id: number; token: string }> {
  const name = input.name.trim();
  if (name === '' || name.length > 100) throw badRequest('invalid-name', 'Give the token a name of 1 to 100 characters.');
  if (!isRole(input.role)) throw badRequest('invalid-role', 'The role must be owner or staff.');
  const token = `chx_${crypto.randomBytes(32).toString('base64url')}`;
  const { lastID } = await db.run('INSERT INTO api_tokens (name, role, token_hash, created_at) VALUES (?, ?, ?, ?)', [
    name,
    input.role,
    hashToken(token),
    Date.now(),
  ]);
  return { id: lastID, token };
}

export async function findApiToken(db: Queryable, token: string): Promise<ApiToken | undefined> {
  const row = await db.get<ApiToken & { last_used_at: number | null }>(
    'SELECT id, name, role, last_used_at FROM api_tokens WHERE token_hash = ? AND revoked_at IS NULL',
    [hashToken(token)],
  );
  if (!row) return undefined;
  // Record use at most once a minute, so a busy integration does not write on every call.
  if (!row.last_used_at || Date.now() - row.last_used_at > 60_000) {
    await db.run('UPDATE api_tokens SET last_used_at = ? WHERE id = ?', [Date.now(), row.id]);
  }
  return { id: row.id, name: row.name, role: row.role };
}
