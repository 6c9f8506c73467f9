// The one rule for when the business may answer on Messenger (docs/messenger.md, The 24-hour window
// and the Human Agent tag): within 24 hours of the customer's last message anything may be sent as
// RESPONSE; until day 7 only a person may answer, with the HUMAN_AGENT tag, and only when the owner
// has enabled it; after that nothing. AI and automatic messages are never tagged. The composer, the
// list's badge, the outbox at queue time and again at send time all ask this file.
import { timeLeft } from '../core/format';

export const DAY_MS = 24 * 3600 * 1000;
export const HUMAN_AGENT_MS = 7 * DAY_MS;

export type SentBy = 'user' | 'ai' | 'system';

export type WindowDecision =
  | { ok: true; messagingType: 'RESPONSE' | 'MESSAGE_TAG'; tag?: 'HUMAN_AGENT'; closesAt: number }
  | { ok: false; code: 'outside-messaging-window'; reason: string };

export function decideWindow(input: {
  lastInboundAt: number | null;
  sentBy: SentBy;
  humanAgentEnabled: boolean;
  now?: number;
}): WindowDecision {
  const now = input.now ?? Date.now();
  if (!input.lastInboundAt) {
    return {
      ok: false,
      code: 'outside-messaging-window',
      reason: 'The customer has not written yet; Messenger only allows replies.',
    };
  }
  const age = now - input.lastInboundAt;
  if (age <= DAY_MS) return { ok: true, messagingType: 'RESPONSE', closesAt: input.lastInboundAt + DAY_MS };
  if (age <= HUMAN_AGENT_MS && input.sentBy === 'user' && input.humanAgentEnabled) {
    return { ok: true, messagingType: 'MESSAGE_TAG', tag: 'HUMAN_AGENT', closesAt: input.lastInboundAt + HUMAN_AGENT_MS };
  }
  if (age <= HUMAN_AGENT_MS && input.sentBy === 'user') {
    return {
      ok: false,
      code: 'outside-messaging-window',
      reason:
        'More than 24 hours have passed since the customer wrote. Enable the Human Agent tag in Settings to answer until day 7.',
    };
  }
  if (age <= HUMAN_AGENT_MS) {
    return {
      ok: false,
      code: 'outside-messaging-window',
      reason: 'More than 24 hours have passed; only a person may answer now (Human Agent tag).',
    };
  }
  return {
    ok: false,
    code: 'outside-messaging-window',
    reason: 'More than 7 days have passed since the customer wrote; Messenger allows no reply until they write again.',
  };
}

export interface WindowBadge {
  state: 'none' | 'open' | 'agent' | 'closed';
  label: string;
  title: string;
}

/** The window as a conversation's list row shows it: what a person could send now. */
export function windowBadge(lastInboundAt: number | null, humanAgentEnabled: boolean, now = Date.now()): WindowBadge {
  if (!lastInboundAt) return { state: 'none', label: '', title: 'The customer has not written yet' };
  const decision = decideWindow({ lastInboundAt, sentBy: 'user', humanAgentEnabled, now });
  if (!decision.ok) return { state: 'closed', label: 'window closed', title: decision.reason };
  if (decision.tag)
    return { state: 'agent', label: 'human agent', title: 'Only a person may reply now, with the Human Agent tag' };
  return { state: 'open', label: `${timeLeft(decision.closesAt, now)} left`, title: 'Time left in the 24-hour reply window' };
}
