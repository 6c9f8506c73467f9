// Signing in through the real forms with a supertest agent (cookies kept between requests).
import type { Express } from 'express';
import request from 'supertest';
import { createUser, type Role } from '../../src/auth/users';
import type { Queryable } from '../../src/core/db';

export type Agent = ReturnType<typeof request.agent>;

export const PASSWORD = 'a long enough password';

/** The CSRF token embedded in a page's forms. */
export function csrfFrom(html: string): string {
  const match = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!match) throw new Error('no _csrf field on the page');
  return match[1];
}

export async function csrfOf(agent: Agent, path: string): Promise<string> {
  const res = await agent.get(path);
  return csrfFrom(res.text);
}

export async function addUser(db: Queryable, email: string, role: Role, password = PASSWORD) {
  return createUser(db, { email, role, password });
}

/** A signed-in agent; returns it with the session's CSRF token (taken from a signed-in page). */
export async function signIn(app: Express, email: string, password = PASSWORD): Promise<{ agent: Agent; csrf: string }> {
  const agent = request.agent(app);
  const csrf = await csrfOf(agent, '/login');
  const res = await agent.post('/login').type('form').send({ _csrf: csrf, email, password });
  if (res.status !== 303) throw new Error(`sign-in failed with ${res.status}`);
  return { agent, csrf: await csrfOf(agent, '/account') };
}
