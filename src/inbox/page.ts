// The inbox page: the filtered list on the left and, when one is open, the conversation on the right.
// GET / and GET /conversations/:id render the same page, so every URL works with a full reload.
import type { Request, Response } from 'express';
import { notFound } from '../core/errors';
import type { Deps } from '../deps';
import { channelState } from '../messenger/channel';
import { decideWindow } from '../messenger/window';
import { STATUSES } from './conversations';
import { counts, filterQuery, inboxRow, listInbox, parseFilter, unreadTotal } from './list';
import { listMessages } from './messages';

export interface PageExtras {
  conversationId?: number;
  error?: string;
  draft?: string;
  mode?: 'reply' | 'note';
  status?: number;
}

export async function renderInbox(deps: Deps, req: Request, res: Response, extra: PageExtras = {}): Promise<void> {
  const { db, config, live } = deps;
  const userId = req.session!.user.id;
  const filter = parseFilter(req.query as Record<string, unknown>);
  // Taken before anything is read: the live stream replays whatever commits after this point.
  const since = live.cursor();
  const conversation = extra.conversationId ? await inboxRow(db, extra.conversationId) : undefined;
  if (extra.conversationId && !conversation) throw notFound('That conversation does not exist.');
  const [list, statusCounts, unread, labels, channel] = await Promise.all([
    listInbox(db, filter, userId, { cursor: typeof req.query.cursor === 'string' ? req.query.cursor : undefined }),
    counts(db),
    unreadTotal(db),
    db.all<{ id: number; name: string }>('SELECT id, name FROM labels ORDER BY name'),
    channelState(db, config),
  ]);
  const thread = conversation
    ? {
        messages: await listMessages(db, conversation.id, { includeNotes: true }),
        window: decideWindow({
          lastInboundAt: conversation.last_inbound_at,
          sentBy: 'user',
          humanAgentEnabled: channel.humanAgentEnabled,
        }),
        users: await db.all<{ id: number; name: string; email: string }>(
          "SELECT id, name, email FROM users WHERE status = 'active' ORDER BY name, email",
        ),
      }
    : {};
  const qs = filterQuery(filter);
  res.status(extra.status ?? 200).render('inbox/index', {
    title: conversation ? (conversation.contact_name ?? 'Conversation') : 'Inbox',
    nav: 'inbox',
    filter,
    qs,
    statuses: STATUSES,
    counts: statusCounts,
    labels,
    rows: list.rows,
    nextCursor: list.nextCursor,
    unread,
    liveQuery: filterQuery(filter, { since, ...(conversation ? { conversation: String(conversation.id) } : {}) }),
    conversation,
    channel,
    error: extra.error,
    draft: extra.draft,
    mode: extra.mode,
    ...thread,
  });
}
