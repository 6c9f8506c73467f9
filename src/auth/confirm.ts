// Destructive acts from a page (erasing a person, restoring, rotating the key, wiping) ask for the
// password again: a session left open on a shared screen must not be enough. API tokens are their
// own proof and skip this.
import type { Request } from 'express';
import type { Queryable } from '../core/db';
import { AppError } from '../core/errors';
import { verifyPassword } from './passwords';
import { findUser } from './users';

/** Whether the form's `password` field is the signed-in user's password (an API token needs none). */
export async function passwordConfirmed(db: Queryable, req: Request): Promise<boolean> {
  if (req.apiToken) return true;
  const userId = req.session?.user.id;
  const password = (req.body as Record<string, unknown> | undefined)?.password;
  if (!userId || typeof password !== 'string' || password === '' || password.length > 1024) return false;
  const user = await findUser(db, userId);
  return verifyPassword(password, user?.password_hash);
}

/** As passwordConfirmed, but a wrong or missing password is an error the page shows. */
export async function confirmPassword(db: Queryable, req: Request): Promise<void> {
  if (!(await passwordConfirmed(db, req)))
    throw new AppError(403, 'wrong-password', 'That is not your password. Nothing was changed; enter it again to confirm.');
}
