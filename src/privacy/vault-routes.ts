// The owner's controls over the database as a whole, from the Privacy page: back up now, download
// or delete a backup, restore one, rotate the key, wipe everything. Owner only; the destructive
// ones (restore, rotate, wipe) each have a page of their own that says what will happen and asks
// for the owner's password again (and, for a wipe, the business's name typed out).
import { Router, type Request, type Response } from 'express';
import { confirmPassword } from '../auth/confirm';
import { cookieOptions, requireOwner, requireUser, SESSION_COOKIE } from '../auth/middleware';
import { ABSOLUTE_MS, createSession } from '../auth/sessions';
import { minutes, SourceLimits } from '../auth/throttle';
import { countUsers, findUser } from '../auth/users';
import { AppError, notFound } from '../core/errors';
import { formAction } from '../core/http';
import type { Deps } from '../deps';
import { getBusinessProfile } from '../settings/store';
import { audit, auditActor, auditRepeated } from './audit';
import { sizeOf, type Backup } from './backups';
import { newKeyProblem } from './vault';

/** The phrase a wipe asks for when no business name is set in Settings. */
export const WIPE_PHRASE = 'delete everything';

function field(req: Request, name: string): string {
  const value = (req.body as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' ? value : '';
}

function shown(backup: Backup, keyRotatedAt: number | undefined) {
  return {
    name: backup.name,
    kind: backup.kind,
    size: sizeOf(backup.bytes),
    createdAt: backup.createdAt,
    // Made before the last key rotation: only the key of that time opens it.
    oldKey: keyRotatedAt !== undefined && backup.createdAt < keyRotatedAt,
  };
}

/** The Privacy page's "Backups" section (views/privacy/_backups.ejs) and the key rotation date for "Encryption". */
export async function backupsSection(deps: Deps, query: Request['query']) {
  const { vault, config } = deps;
  const keyRotatedAt = await vault.keyRotatedAt();
  const notice = (name: string) => (typeof query[name] === 'string' ? vault.find(query[name]) : undefined)?.name;
  return {
    items: vault.backups().map((b) => shown(b, keyRotatedAt)),
    keep: config.backupKeep,
    keyRotatedAt,
    made: notice('backup'),
    restored: notice('restored'),
    savedAs: notice('saved'),
  };
}

async function wipePhrase(deps: Deps): Promise<string> {
  return (await getBusinessProfile(deps.db)).businessName.trim() || WIPE_PHRASE;
}

export function vaultRouter(deps: Deps): Router {
  const { db, vault, config } = deps;
  const router = Router();
  // Wrong passwords per owner account: five in 15 minutes, then a wait (a stolen session alone cannot guess on).
  const confirmations = new SourceLimits(5);

  router.use(['/privacy/backups', '/privacy/key', '/privacy/wipe'], requireUser, requireOwner);

  router.param('backup', async (_req, _res, next, name: string) => {
    if (!vault.find(name)) throw notFound('There is no backup with this name.');
    next();
  });
  const backupOf = (req: Request) => vault.find(String(req.params.backup))!;

  /** The owner's password, again (auth/confirm.ts), within the limit; an AppError the form shows when not. */
  async function confirmed(req: Request): Promise<void> {
    const who = `user:${req.session!.user.id}`;
    const wait = confirmations.reserve(who);
    if (wait > 0) throw new AppError(429, 'too-many-attempts', `Too many wrong passwords. Try again in ${minutes(wait)}.`);
    try {
      await confirmPassword(db, req);
    } catch (err) {
      await auditRepeated(db, { ...auditActor(req), action: 'privacy.password-refused', target: req.path.slice(0, 100) });
      throw err;
    }
    confirmations.succeeded(who);
  }

  router.post('/privacy/backups', async (req, res) => {
    const backup = await vault.backup('manual', auditActor(req));
    res.redirect(303, `/privacy/manage?backup=${encodeURIComponent(backup.name)}#backups`);
  });

  router.get('/privacy/backups/:backup', async (req, res) => {
    const backup = backupOf(req);
    await audit(db, { ...auditActor(req), action: 'database.backup-downloaded', target: backup.name });
    // dotfiles: a DATA_DIR under a hidden folder (~/.local/share/…) is fine; the name was checked.
    res.download(backup.file, backup.name, {
      dotfiles: 'allow',
      headers: { 'Content-Type': 'application/octet-stream', 'Cache-Control': 'no-store' },
    });
  });

  router.post('/privacy/backups/:backup/delete', async (req, res) => {
    await vault.remove(backupOf(req).name, auditActor(req));
    res.redirect(303, '/privacy/manage#backups');
  });

  const renderRestore = async (req: Request, res: Response, status = 200, error?: string) => {
    const keyRotatedAt = await vault.keyRotatedAt();
    res.status(status).render('privacy/restore', {
      title: 'Restore a backup',
      nav: 'privacy',
      restore: { backup: shown(backupOf(req), keyRotatedAt), keyRotatedAt, key: vault.describeKey() },
      error,
    });
  };

  router.get('/privacy/backups/:backup/restore', (req, res) => renderRestore(req, res));

  router.post('/privacy/backups/:backup/restore', async (req, res) => {
    const me = req.session!.user;
    await formAction(
      async () => {
        await confirmed(req);
        const backup = backupOf(req);
        const oldKey = field(req, 'old_key');
        const { savedAs } = await vault.restore(backup.file, {
          actor: auditActor(req),
          shownAs: backup.name,
          oldKey: oldKey === '' ? undefined : oldKey,
          keyHint: 'enter the key it was made with under “Key of that time”',
        });
        // The sessions are now the backup's. The owner who restored stays signed in when the backup
        // knows them as an active owner; otherwise they sign in as the backup knows them.
        const user = await findUser(db, me.id);
        if (user && user.email === me.email && user.role === 'owner' && user.status === 'active') {
          const { token } = await createSession(db, user, { ip: req.ip, userAgent: req.get('user-agent') });
          res.cookie(SESSION_COOKIE, token, cookieOptions(config.secureCookies, ABSOLUTE_MS));
          const saved = savedAs ? `&saved=${encodeURIComponent(savedAs)}` : '';
          return res.redirect(303, `/privacy/manage?restored=${encodeURIComponent(backup.name)}${saved}#backups`);
        }
        res.clearCookie(SESSION_COOKIE, cookieOptions(config.secureCookies));
        res.redirect(303, (await countUsers(db)) > 0 ? '/login' : '/setup');
      },
      (err) => renderRestore(req, res, err.status, err.message),
    );
  });

  const renderRotation = (res: Response, status = 200, error?: string, done?: unknown) =>
    res.status(status).render('privacy/rotate-key', {
      title: 'Rotate the database key',
      nav: 'privacy',
      rotation: { source: deps.databaseKey.source, key: vault.describeKey(), done },
      error,
    });

  router.get('/privacy/key', (_req, res) => renderRotation(res));

  router.post('/privacy/key', async (req, res) => {
    await formAction(
      async () => {
        await confirmed(req);
        const chosen = field(req, 'new_key');
        const problem = chosen === '' ? undefined : newKeyProblem(chosen);
        if (problem) throw new AppError(400, 'invalid-new-key', problem);
        const rotation = await vault.rotateKey(chosen === '' ? undefined : chosen, auditActor(req));
        // Shown in this answer only; never stored, never in a URL.
        res.set('Cache-Control', 'no-store');
        renderRotation(res, 200, undefined, rotation);
      },
      (err) => renderRotation(res, err.status, err.message),
    );
  });

  const renderWipe = async (res: Response, status = 200, error?: string, typed = '') => {
    const phrase = await wipePhrase(deps);
    res.status(status).render('privacy/wipe', {
      title: 'Wipe everything',
      nav: 'privacy',
      wipe: { phrase, named: phrase !== WIPE_PHRASE, backups: vault.backups().length, typed: typed.slice(0, 200) },
      error,
    });
  };

  router.get('/privacy/wipe', (_req, res) => renderWipe(res));

  router.post('/privacy/wipe', async (req, res) => {
    await formAction(
      async () => {
        const phrase = await wipePhrase(deps);
        const typed = field(req, 'confirm').trim().replace(/\s+/g, ' ');
        if (typed.toLowerCase() !== phrase.replace(/\s+/g, ' ').toLowerCase())
          throw new AppError(400, 'wipe-not-confirmed', `Type “${phrase}” to confirm.`);
        await confirmed(req);
        await vault.wipe(auditActor(req));
        res.clearCookie(SESSION_COOKIE, cookieOptions(config.secureCookies));
        res.redirect(303, '/setup');
      },
      (err) => renderWipe(res, err.status, err.message, field(req, 'confirm')),
    );
  });

  return router;
}
