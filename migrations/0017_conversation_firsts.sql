-- When each conversation began (the customer's first message, by Meta's time) and when the business
-- first answered it (a person or the AI), kept on the conversation as they happen
-- (src/conversations/activity.ts, outbound.ts), so the dashboard's response times for a date range
-- are one range of an index instead of a search through a million messages.
ALTER TABLE conversations ADD COLUMN first_inbound_at INTEGER;
ALTER TABLE conversations ADD COLUMN first_reply_at INTEGER;

UPDATE conversations SET first_inbound_at =
  (SELECT min(m.created_at) FROM messages m WHERE m.conversation_id = conversations.id AND m.direction = 'in');
UPDATE conversations SET first_reply_at =
  (SELECT min(o.created_at) FROM messages o WHERE o.conversation_id = conversations.id AND o.direction = 'out'
     AND o.kind = 'message' AND o.sent_by IN ('user', 'ai') AND o.created_at >= conversations.first_inbound_at)
  WHERE first_inbound_at IS NOT NULL;

-- Covering: the dashboard reads a range of it without visiting the (wide) conversation rows.
CREATE INDEX conversations_first_inbound ON conversations (first_inbound_at, contact_id, first_reply_at)
  WHERE first_inbound_at IS NOT NULL;
