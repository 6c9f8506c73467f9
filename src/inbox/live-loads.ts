// What a live change needs from the database (its conversation row, the message, the people it can
// be assigned to, the labels to pick from, the activity lines, an AI draft, whether the AI is on),
// loaded once per change and shared by every tab that receives it (see live.ts).
import { aiInstall, type AiInstall } from '../ai/composer';
import { draftOf, type Draft } from '../ai/drafts';
import { listActiveUsers, type ActiveUser } from '../auth/users';
import type { Db } from '../core/db';
import { listActivity, type ActivityLine } from '../conversations/events';
import { listLabels, type Label } from '../conversations/labels';
import { listMessages, type ShownMessage } from '../conversations/queries';
import { inboxRow, type InboxRow, type Sort } from './list';

/** Rows and messages loaded once per change, however many tabs receive it. */
export class SharedLoads {
  private rows = new Map<string, Promise<InboxRow | undefined>>();
  private activity = new Map<number, Promise<ActivityLine[]>>();
  private allLabels?: Promise<Label[]>;
  private messages = new Map<number, Promise<ShownMessage | undefined>>();
  private activeUsers?: Promise<ActiveUser[]>;
  private drafts = new Map<number, Promise<Draft | undefined>>();
  private install?: Promise<AiInstall>;

  constructor(private readonly db: Db) {}

  /** The row with its place in a list sorted by `sort` (sort_key). */
  row(id: number, sort: Sort = 'newest'): Promise<InboxRow | undefined> {
    const key = `${id}:${sort}`;
    if (!this.rows.has(key)) this.rows.set(key, inboxRow(this.db, id, sort));
    return this.rows.get(key)!;
  }

  /** The newest activity lines of a conversation (a change adds one; the tab inserts what it lacks). */
  recentActivity(conversationId: number): Promise<ActivityLine[]> {
    if (!this.activity.has(conversationId)) this.activity.set(conversationId, listActivity(this.db, conversationId, 10));
    return this.activity.get(conversationId)!;
  }

  /** The label picker's suggestions (the same query as the page's). */
  labels(): Promise<Label[]> {
    this.allLabels ??= listLabels(this.db);
    return this.allLabels;
  }

  /** The message as its conversation shows it; undefined once it is gone (or the id names another conversation's). */
  message(id: number, conversationId: number): Promise<ShownMessage | undefined> {
    if (!this.messages.has(id))
      this.messages.set(
        id,
        listMessages(this.db, conversationId, { includeNotes: true, onlyId: id }).then((m) => m[0]),
      );
    return this.messages.get(id)!;
  }

  /** The assignee choices of the conversation header (the same query as the page's). */
  users(): Promise<ActiveUser[]> {
    this.activeUsers ??= listActiveUsers(this.db);
    return this.activeUsers;
  }

  /** The AI draft waiting in a conversation's composer. */
  draft(conversationId: number): Promise<Draft | undefined> {
    if (!this.drafts.has(conversationId)) this.drafts.set(conversationId, draftOf(this.db, conversationId));
    return this.drafts.get(conversationId)!;
  }

  /** Whether the AI is on, and the install's mode (the conversation header's AI controls). */
  aiInstall(): Promise<AiInstall> {
    this.install ??= aiInstall(this.db);
    return this.install;
  }
}
