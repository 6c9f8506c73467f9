-- Indexes the inbox benchmark (bench/inbox.ts, 20,000 conversations) showed missing.

-- The unread number in the tab title counts open conversations with unread messages on every
-- page: without this it reads every open conversation.
CREATE INDEX conversations_unread ON conversations (status) WHERE unread_count > 0;

-- GET /api/v1/conversations orders by COALESCE(last_message_at, 0) (a conversation without
-- messages sorts last); only an index on that same expression spares it sorting every row.
CREATE INDEX conversations_recent ON conversations (COALESCE(last_message_at, 0) DESC, id DESC);
CREATE INDEX conversations_status_recent ON conversations (status, COALESCE(last_message_at, 0) DESC, id DESC);
