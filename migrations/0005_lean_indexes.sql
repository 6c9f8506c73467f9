-- Every index is paid for on every webhook: each new message updates its conversation's
-- last_message_at in every index that holds it. These three duplicated others:
-- - conversations.last_message_at is never NULL (a conversation is created with its first event's
--   time), so the COALESCE(...) indexes of 0004 only repeat conversations_activity and
--   conversations_status_activity;
-- - messages_mid_lookup (conversation, direction, time) is covered by messages_conversation_time
--   and messages_outgoing_status.
DROP INDEX conversations_recent;
DROP INDEX conversations_status_recent;
DROP INDEX messages_mid_lookup;
