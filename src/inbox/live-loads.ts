// What a live change needs from the database (its conversation row, the message, the people it can
// be assigned to, an AI draft, whether the AI is on), loaded once per change and shared by every tab
// that receives it (see live.ts).
import { aiInstall, type AiInstall } from '../ai/composer';
import { draftOf, type Draft } from '../ai/drafts';
import { listActiveUsers, type ActiveUser } from '../auth/users';
import type { Db } from '../core/db';
import { listMessages, type ShownMessage } from '../conversations/queries';
import { inboxRow, type InboxRow } from './list';

/** Rows and messages loaded once per change, however many tabs receive it. */
export class SharedLoads {
  private rows = new Map<number, Promise<InboxRow | undefined>>();
  private messages = new Map<number, Promise<ShownMessage | undefined>>();
  private activeUsers?: Promise<ActiveUser[]>;
  private drafts = new Map<number, Promise<Draft | undefined>>();
  private install?: Promise<AiInstall>;

  constructor(private readonly db: Db) {}

  row(id: number): Promise<InboxRow | undefined> {
    if (!this.rows.has(id)) this.rows.set(id, inboxRow(this.db, id));
    return this.rows.get(id)!;
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
