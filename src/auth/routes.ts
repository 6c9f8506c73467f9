// First-run setup, sign-in, sign-out, accepting an invitation, using a password-reset link, and the
// signed-in user's own account.
import { Router, type Request, type Response } from 'express';
import { AppError, notFound } from '../core/errors';
import { clip } from '../core/format';
import { formAction } from '../core/http';
import type { Deps } from '../deps';
import { audit, auditRepeated } from '../privacy/audit';
import { cookieOptions, requireUser, SESSION_COOKIE } from './middleware';
import { passwordProblem, verifyPassword } from './passwords';
import { ABSOLUTE_MS, createSession, destroySession } from './sessions';
import { DEVICE_COOKIE, DEVICE_TTL_MS, isKnownDevice, rememberDevice } from './devices';
import { accountKey, clearAccount, minutes, reserveAccount } from './throttle';
import {
  acceptInvitation,
  countUsers,
  createUser,
  findInvitation,
  findUser,
  findPasswordReset,
  findUserByEmail,
  resetLinkGone,
  setAlertPrefs,
  setPassword,
  setPrefs,
  usePasswordReset,
} from './users';

/** Only local paths, so ?next= can never send someone to another site. */
function safeNext(value: unknown): string {
  return typeof value === 'string' && value.startsWith('/') && !value.startsWith('//') && !value.startsWith('/\\') ? value : '/';
}

function field(req: Request, name: string): string {
  const value = (req.body as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' ? value : '';
}

export function authRouter(deps: Deps): Router {
  const { db, config, signIns } = deps;
  const router = Router();

  // The login page's hint names the way to run the CLI that applies here (the image sets CHATX_IN_DOCKER).
  const resetCommand = config.inDocker
    ? 'docker compose exec chatx chatx user:reset-password --email you@example.com'
    : 'npm run chatx -- user:reset-password --email you@example.com';

  async function signIn(req: Request, res: Response, userId: number): Promise<void> {
    const { token } = await createSession(db, { id: userId }, { ip: req.ip, userAgent: req.get('user-agent') });
    res.cookie(SESSION_COOKIE, token, cookieOptions(config.secureCookies, ABSOLUTE_MS));
  }

  router.get('/setup', async (_req, res) => {
    if ((await countUsers(db)) > 0) throw notFound();
    res.render('auth/setup', { title: 'Welcome to ChatX', email: '', error: undefined });
  });

  router.post('/setup', async (req, res) => {
    const email = field(req, 'email');
    const password = field(req, 'password');
    await formAction(
      async () => {
        // Count and create in one transaction, so two racing first visitors cannot both become owner.
        const userId = await db.transaction(async (tx) => {
          if ((await countUsers(tx)) > 0) throw notFound();
          const user = await createUser(tx, { email, password, role: 'owner', name: field(req, 'name') });
          await audit(tx, { actorUserId: user.id, actor: user.email, action: 'setup.owner-created', ip: req.ip });
          return user.id;
        });
        await signIn(req, res, userId);
        res.redirect(303, '/');
      },
      (err) => res.status(err.status).render('auth/setup', { title: 'Welcome to ChatX', email, error: err.message }),
    );
  });

  router.get('/login', async (req, res) => {
    if (req.session) return res.redirect(303, safeNext(req.query.next));
    if ((await countUsers(db)) === 0) return res.redirect(303, '/setup');
    res.render('auth/login', { title: 'Sign in', email: '', next: safeNext(req.query.next), error: undefined, resetCommand });
  });

  router.post('/login', async (req, res) => {
    const ip = req.ip ?? 'unknown';
    // An email is at most 254 characters; anything longer is not an account and is not echoed back.
    const email = clip(field(req, 'email').trim().toLowerCase(), 254);
    const next = safeNext(field(req, 'next') || req.query.next);
    const fail = (status: number, error: string) =>
      res.status(status).render('auth/login', { title: 'Sign in', email, next, error, resetCommand });
    const tooMany = async (wait: number, scope: 'address' | 'account') => {
      await auditRepeated(db, { actor: email || 'unknown', action: 'login.throttled', detail: { scope }, ip });
      res.set('Retry-After', String(Math.ceil(wait / 1000)));
      // The same words whichever limit it is, and whether or not the account exists.
      return fail(429, `Too many sign-in attempts. Try again in ${minutes(wait)}.`);
    };

    // Counted before anything is awaited, so parallel attempts cannot all pass (throttle.ts).
    const sourceWait = signIns.reserve(ip);
    if (sourceWait > 0) return tooMany(sourceWait, 'address');
    const user = email ? await findUserByEmail(db, email) : undefined;
    const known = user ? await isKnownDevice(db, req.cookies?.[DEVICE_COOKIE], user.id) : false;
    if (!known) {
      const accountWait = await reserveAccount(db, accountKey(email));
      if (accountWait > 0) return tooMany(accountWait, 'account');
    }
    const passwordOk = await verifyPassword(field(req, 'password'), user?.password_hash);
    if (!user || !passwordOk || user.status !== 'active') {
      await auditRepeated(db, {
        actorUserId: user?.id ?? null,
        actor: email || 'unknown',
        action: 'login.failed',
        detail: { reason: !user ? 'unknown-email' : !passwordOk ? 'wrong-password' : `account-${user.status}` },
        ip,
      });
      return fail(401, 'That email and password do not match an active account.');
    }
    signIns.succeeded(ip);
    await clearAccount(db, accountKey(email));
    const device = await rememberDevice(db, req.cookies?.[DEVICE_COOKIE], user.id);
    res.cookie(DEVICE_COOKIE, device, cookieOptions(config.secureCookies, DEVICE_TTL_MS));
    await signIn(req, res, user.id);
    await audit(db, { actorUserId: user.id, actor: user.email, action: 'login', ip });
    res.redirect(303, next);
  });

  router.post('/logout', async (req, res) => {
    if (req.session) {
      await destroySession(db, req.session.id);
      deps.live.sessionEnded(req.session.id);
      await audit(db, { actorUserId: req.session.user.id, actor: req.session.user.email, action: 'logout', ip: req.ip });
    }
    res.clearCookie(SESSION_COOKIE, cookieOptions(config.secureCookies));
    res.redirect(303, '/login');
  });

  async function invitation(token: string) {
    const user = await findInvitation(db, token);
    if (!user)
      throw new AppError(
        404,
        'invitation-not-found',
        'This invitation is unknown, used or expired. Ask the owner for a new one.',
      );
    return user;
  }

  router.get('/invite/:token', async (req, res) => {
    const user = await invitation(req.params.token);
    res.render('auth/invite', { title: 'Join ChatX', invited: user, error: undefined });
  });

  router.post('/invite/:token', async (req, res) => {
    const user = await invitation(req.params.token);
    await formAction(
      async () => {
        await acceptInvitation(db, user, { name: field(req, 'name'), password: field(req, 'password') });
        await audit(db, { actorUserId: user.id, actor: user.email, action: 'user.invitation-accepted', ip: req.ip });
        await signIn(req, res, user.id);
        res.redirect(303, '/');
      },
      (err) => res.status(err.status).render('auth/invite', { title: 'Join ChatX', invited: user, error: err.message }),
    );
  });

  async function resetLink(token: string) {
    const user = await findPasswordReset(db, token);
    if (!user) throw resetLinkGone();
    return user;
  }

  router.get('/reset/:token', async (req, res) => {
    const user = await resetLink(req.params.token);
    res.set('Cache-Control', 'no-store');
    res.render('auth/reset', { title: 'Choose a new password', email: user.email, error: undefined });
  });

  // Using the link signs the person out everywhere else (setPassword ends every session) and in here.
  router.post('/reset/:token', async (req, res) => {
    const user = await resetLink(req.params.token);
    await formAction(
      async () => {
        await usePasswordReset(db, req.params.token, field(req, 'password'));
        deps.live.userSignedOut(user.id);
        await audit(db, { actorUserId: user.id, actor: user.email, action: 'user.password-reset-by-link', ip: req.ip });
        await signIn(req, res, user.id);
        res.redirect(303, '/');
      },
      (err) =>
        res.status(err.status).render('auth/reset', { title: 'Choose a new password', email: user.email, error: err.message }),
    );
  });

  router.get('/account', requireUser, (req, res) => {
    res.render('auth/account', {
      title: 'Your account',
      error: undefined,
      saved: req.query.saved === '1',
      alertsSaved: req.query.alerts === 'saved',
      shortcutsSaved: req.query.shortcuts === 'saved',
    });
  });

  // The inbox's single-key shortcuts (j, k, r, e, /, ?): on unless this person switched them off.
  router.post('/account/shortcuts', requireUser, async (req, res) => {
    await setPrefs(db, req.session!.user.id, { shortcuts: field(req, 'shortcuts') === 'on' ? 'on' : 'off' });
    res.redirect(303, '/account?shortcuts=saved#shortcuts');
  });

  // Sound and browser notifications for new messages: checkboxes, so an unchecked one is "off".
  router.post('/account/alerts', requireUser, async (req, res) => {
    const me = req.session!.user;
    await setAlertPrefs(db, me.id, {
      sound: field(req, 'sound') === 'on' ? 'on' : 'off',
      notify: field(req, 'notify') === 'on' ? 'on' : 'off',
    });
    res.redirect(303, '/account?alerts=saved#alerts');
  });

  router.post('/account/password', requireUser, async (req, res) => {
    const me = req.session!.user;
    const user = (await findUser(db, me.id))!;
    const fail = (error: string) => res.status(400).render('auth/account', { title: 'Your account', error, saved: false });
    if (!(await verifyPassword(field(req, 'current_password'), user.password_hash)))
      return fail('Your current password is not right.');
    const problem = passwordProblem(field(req, 'new_password'));
    if (problem) return fail(problem);
    await setPassword(db, me.id, field(req, 'new_password'));
    deps.live.userSignedOut(me.id);
    await audit(db, { actorUserId: me.id, actor: me.email, action: 'user.password-changed', ip: req.ip });
    // setPassword ended every session, this one included; sign this browser back in.
    await signIn(req, res, me.id);
    res.redirect(303, '/account?saved=1');
  });

  return router;
}
