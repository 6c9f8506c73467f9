// The inbox page: the filtered list on the left and, when one is open, the conversation on the right.
// GET / and GET /conversations/:id render the same page, so every URL works with a full reload.
// Beside an open conversation sits the contact panel (crm/panel.ts, views/crm/_contact-panel.ejs).
import type { Request, Response } from 'express';
import { aiInstall, composerAi } from '../ai/composer';
import { listActiveUsers } from '../auth/users';
import { listActivity } from '../conversations/events';
import { listLabels } from '../conversations/labels';
import { listMessages, STATUSES } from '../conversations/queries';
import { decideWindow } from '../conversations/reply-window';
import { getContact } from '../crm/contacts';
import { listFieldDefs } from '../crm/fields';
import { contactForm } from '../crm/panel';
import { displayName } from '../conversations/names';
import type { Deps } from '../deps';
import { filterQuery, listInbox, parseFilter, type InboxRow } from './list';
import { takeNotice } from './notice';

export interface PageExtras {
  /** The open conversation (GET /conversations/:id and its forms). */
  conversation?: InboxRow;
  error?: string;
  draft?: string;
  mode?: 'reply' | 'note';
  status?: number;
  /** The AI's summary of the conversation, shown above the composer (ai/conversation-routes.ts). */
  aiSummary?: string;
}

export async function renderInbox(deps: Deps, req: Request, res: Response, extra: PageExtras = {}): Promise<void> {
  const { db, live, channel } = deps;
  const userId = req.session!.user.id;
  const filter = parseFilter(req.query as Record<string, unknown>);
  // Taken before anything is read: the live stream replays whatever commits after this point.
  const since = live.cursor();
  const { conversation } = extra;
  // The active users serve the header's assignee menu and the list's bulk "Assign" alike.
  const [list, { counts, unread }, labels, state, users] = await Promise.all([
    listInbox(db, filter, userId, { cursor: typeof req.query.cursor === 'string' ? req.query.cursor : undefined }),
    deps.inboxStats.numbers(),
    listLabels(db),
    channel.state(),
    listActiveUsers(db),
  ]);
  const thread = conversation
    ? {
        messages: await listMessages(db, conversation.id, { includeNotes: true }),
        // Who assigned, labelled, snoozed or resolved it, shown between the messages by time.
        activity: await listActivity(db, conversation.id),
        window: decideWindow({
          lastInboundAt: conversation.last_inbound_at,
          sentBy: 'user',
          humanAgentEnabled: state.humanAgentEnabled,
        }),
        users,
        // The AI in the header (mode, hand back) and in the composer (the AI bar, a waiting draft).
        aiInstall: await aiInstall(db),
        aiComposer: await composerAi(deps.assistant, db, conversation),
        contactPanel: await contactPanel(deps, conversation.contact_id),
      }
    : {};
  const qs = filterQuery(filter);
  res.status(extra.status ?? 200).render('inbox/index', {
    title: conversation ? displayName({ name: conversation.contact_name, psid: conversation.psid }) : 'Inbox',
    nav: 'inbox',
    filter,
    qs,
    statuses: STATUSES,
    notice: takeNotice(req, res, deps.config.secureCookies),
    // The list's bulk "Assign" choices.
    assignees: users,
    counts,
    labels,
    rows: list.rows,
    nextCursor: list.nextCursor,
    unread,
    liveQuery: filterQuery(filter, { since, ...(conversation ? { conversation: String(conversation.id) } : {}) }),
    conversation,
    channel: state,
    error: extra.error,
    draft: extra.draft,
    mode: extra.mode,
    aiSummary: extra.aiSummary,
    ...thread,
  });
}

/** The contact panel's view: the person, their form's rows and the suggestions from their messages. */
async function contactPanel(deps: Deps, contactId: number) {
  const contact = await getContact(deps.db, contactId);
  if (!contact) return undefined;
  return { contact, ...(await contactForm(deps.db, contact, await listFieldDefs(deps.db))), problems: {}, saved: false };
}
