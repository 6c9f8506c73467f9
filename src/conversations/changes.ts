// What a piece of work (a request, a webhook body, a job) changed in conversations and messages.
// Every writer in this folder records its changes here; they are announced on the bus only after
// the transaction commits (announce), so an open tab never shows what was rolled back. The record is
// plain data, so the webhook's writer thread can hand it back to the main thread to announce.
import type { Bus } from '../core/bus';

export interface MessageChange {
  conversationId: number;
  messageId: number;
  change: 'created' | 'updated';
}

export interface Outcome {
  /** Messages (and receipts on them) stored by this work. */
  stored: number;
  /** Messages it carried that were stored before (a retry from Meta, the same mid twice). */
  duplicates: number;
  messages: MessageChange[];
  /** Conversations whose list row changed (status, assignee, unread, last message, contact name). */
  conversations: number[];
  /** Conversations the AI handed to a person, with why (everyone is told at once). */
  handoffs?: { conversationId: number; reason: string }[];
}

export function emptyOutcome(): Outcome {
  return { stored: 0, duplicates: 0, messages: [], conversations: [] };
}

export function messageCreated(o: Outcome, conversationId: number, messageId: number): void {
  o.stored++;
  o.messages.push({ conversationId, messageId, change: 'created' });
  o.conversations.push(conversationId);
}

export function messageUpdated(o: Outcome, conversationId: number, messageId: number): void {
  o.messages.push({ conversationId, messageId, change: 'updated' });
}

export function handedOver(o: Outcome, conversationId: number, reason: string): void {
  (o.handoffs ??= []).push({ conversationId, reason });
}

export function conversationChanged(o: Outcome, conversationId: number): void {
  o.conversations.push(conversationId);
}

/** Tells every open tab (and anyone else listening) what changed; call after the commit. */
export function announce(bus: Bus, o: Pick<Outcome, 'messages' | 'conversations' | 'handoffs'>): void {
  for (const m of o.messages) bus.emit('message', m);
  for (const conversationId of new Set(o.conversations)) bus.emit('conversation', { conversationId });
  for (const h of o.handoffs ?? []) bus.emit('handoff', h);
}
