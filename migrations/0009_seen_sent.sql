-- When Messenger was last told that a person saw the conversation (mark_seen). The page asks for it
-- explicitly (a POST), never by being loaded; it is sent again only after the customer writes again.
ALTER TABLE conversations ADD COLUMN seen_sent_at INTEGER;
