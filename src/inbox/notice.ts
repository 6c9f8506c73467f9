// What an inbox action just did, said on the page it leads to ("Snoozed until Mon 9:00 · Undo"):
// the action's POST redirects (303), so its notice travels in a short-lived cookie that the next
// inbox render reads once and clears; a reload does not show it again.
import type { Request, Response } from 'express';
import { cookieOptions } from '../auth/middleware';

const COOKIE = 'chatx_notice';
const MAX_AGE_MS = 60_000;

export interface Notice {
  text: string;
  /** A time the text ends with (the page formats it in the business's zone): "Snoozed until …". */
  until?: number;
  /** Problems to list under the text (a bulk action's conversations that could not be changed). */
  problems?: string[];
  /** Undo puts the conversation back the way it was (status, and snoozed_until if it was snoozed). */
  undo?: { conversationId: number; status: string; until?: number | null };
  /** A conversation to keep in view in the list (the one just marked unread). */
  focus?: number;
}

export function setNotice(res: Response, secure: boolean, notice: Notice): void {
  res.cookie(COOKIE, JSON.stringify({ ...notice, problems: notice.problems?.slice(0, 6) }), cookieOptions(secure, MAX_AGE_MS));
}

export function takeNotice(req: Request, res: Response, secure: boolean): Notice | undefined {
  const raw = req.cookies?.[COOKIE];
  if (typeof raw !== 'string') return undefined;
  res.clearCookie(COOKIE, cookieOptions(secure));
  try {
    const notice = JSON.parse(raw) as Notice;
    return typeof notice?.text === 'string' ? notice : undefined;
  } catch {
    return undefined;
  }
}
