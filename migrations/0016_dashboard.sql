-- The dashboard (src/crm/dashboard.ts): replies by a person or the AI in a date range, counted per
-- agent. Each count is one range of this index (who, then time), read from the index alone: no
-- visit to the rows of the million messages around them, and no sorting to group them. Only
-- outgoing messages are in it, so the webhook's inbound writes do not pay for it.
CREATE INDEX messages_replies ON messages (sent_by, sent_by_user_id, created_at) WHERE direction = 'out' AND kind = 'message';
