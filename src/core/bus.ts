// In-process notifications of what changed, for live pages (SSE) and for kicking workers.
// Emitted only after the change is committed.
import { EventEmitter } from 'node:events';

export interface BusEvents {
  /** A message was stored or its status, text or reaction changed. */
  message: { conversationId: number; messageId: number; change: 'created' | 'updated' };
  /** A conversation's list row changed (status, assignee, unread, last message). */
  conversation: { conversationId: number };
  /** The AI handed a conversation to a person (everyone is told). */
  handoff: { conversationId: number; reason: string };
  /** A suggested reply is ready in a conversation's composer. */
  draft: { conversationId: number };
  /** A follow-up came due for its owner (crm/follow-ups.ts): a toast in their open tabs. */
  followUp: { id: number; ownerId: number | null };
}

export class Bus {
  private emitter = new EventEmitter();

  constructor() {
    // Every open browser tab listens; don't warn at the default of 10.
    this.emitter.setMaxListeners(0);
  }

  emit<K extends keyof BusEvents>(kind: K, event: BusEvents[K]): void {
    this.emitter.emit(kind, event);
  }

  on<K extends keyof BusEvents>(kind: K, listener: (event: BusEvents[K]) => void): () => void {
    this.emitter.on(kind, listener);
    return () => this.emitter.off(kind, listener);
  }
}
