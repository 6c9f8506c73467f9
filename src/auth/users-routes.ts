// The owner's Users page: invite staff (or another owner), send someone a password-reset link, change
// roles, disable, remove. Both links are shown once, built from PUBLIC_URL or this request's address.
import { Router, type Request, type Response } from 'express';
import { badRequest } from '../core/errors';
import { formAction, routeEntity } from '../core/http';
import { pastedLinkBase } from '../core/public-url';
import type { Deps } from '../deps';
import { audit } from '../privacy/audit';
import { requireOwner, requireUser } from './middleware';
import {
  createPasswordReset,
  findUser,
  inviteUser,
  isRole,
  listUsers,
  removeUser,
  setDisabled,
  setRole,
  type User,
} from './users';

export function usersRouter(deps: Deps): Router {
  const { db, config } = deps;
  const router = Router();
  router.use('/users', requireUser, requireOwner);

  async function renderPage(req: Request, res: Response, extra: Record<string, unknown> = {}, status = 200) {
    res.status(status).render('auth/users', {
      title: 'Users',
      users: await listUsers(db),
      me: req.session?.user,
      inviteLink: undefined,
      resetLink: undefined,
      now: Date.now(),
      error: undefined,
      email: '',
      ...extra,
    });
  }

  const target = routeEntity(router, 'user', (id) => findUser(db, id), 'That user does not exist.');

  const actor = (req: Request) => ({ actorUserId: req.session?.user.id, actor: req.session?.user.email ?? 'token', ip: req.ip });

  router.get('/users', (req, res) => renderPage(req, res));

  router.post('/users', async (req, res) => {
    const body = req.body as Record<string, unknown>;
    const role = body.role;
    await formAction(
      async () => {
        if (!isRole(role)) throw badRequest('invalid-role', 'Choose owner or staff.');
        const { user, token } = await inviteUser(db, { email: String(body.email ?? ''), role });
        await audit(db, { ...actor(req), action: 'user.invited', target: user.email, detail: { role } });
        // Shown on this answer only; not kept by any cache in between.
        res.set('Cache-Control', 'no-store');
        await renderPage(req, res, { inviteLink: `${pastedLinkBase(config, req)}/invite/${token}`, invited: user });
      },
      (err) => renderPage(req, res, { error: err.message, email: String(body.email ?? '') }, err.status),
    );
  });

  // Each action re-renders the page with the outcome, so a refused change (the last owner) is explained.
  async function act(
    req: Request,
    res: Response,
    change: (user: User) => Promise<{ action: string; detail?: Record<string, unknown> }>,
  ) {
    const user = target(req);
    await formAction(
      async () => {
        const { action, detail } = await change(user);
        await audit(db, { ...actor(req), action, target: user.email, detail });
        res.redirect(303, '/users');
      },
      (err) => renderPage(req, res, { error: err.message }, err.status),
    );
  }

  router.post('/users/:user/role', (req, res) =>
    act(req, res, async (user) => {
      const role = (req.body as Record<string, unknown>).role;
      if (!isRole(role)) throw badRequest('invalid-role', 'Choose owner or staff.');
      await setRole(db, user, role);
      return { action: 'user.role-changed', detail: { from: user.role, to: role } };
    }),
  );

  // A one-time link for someone who forgot their password: the owner sends it themselves.
  router.post('/users/:user/reset-link', async (req, res) => {
    const user = target(req);
    await formAction(
      async () => {
        if (user.id === req.session?.user.id) throw badRequest('reset-self', 'Change your own password on your account page.');
        const { token, expiresAt } = await createPasswordReset(db, user);
        await audit(db, { ...actor(req), action: 'user.reset-link-created', target: user.email });
        res.set('Cache-Control', 'no-store');
        await renderPage(req, res, {
          resetLink: `${pastedLinkBase(config, req)}/reset/${token}`,
          resetFor: user,
          resetExpiresAt: expiresAt,
        });
      },
      (err) => renderPage(req, res, { error: err.message }, err.status),
    );
  });

  router.post('/users/:user/disable', (req, res) =>
    act(req, res, async (user) => {
      await setDisabled(db, user, true);
      deps.live.userSignedOut(user.id);
      return { action: 'user.disabled' };
    }),
  );

  router.post('/users/:user/enable', (req, res) =>
    act(req, res, async (user) => {
      await setDisabled(db, user, false);
      return { action: 'user.enabled' };
    }),
  );

  router.post('/users/:user/delete', (req, res) =>
    act(req, res, async (user) => {
      await removeUser(db, user);
      deps.live.userSignedOut(user.id);
      return { action: 'user.removed', detail: { role: user.role } };
    }),
  );

  return router;
}
