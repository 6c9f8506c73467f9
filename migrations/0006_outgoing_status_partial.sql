-- Only outgoing messages have a delivery status to look up (read and delivery watermarks, retry),
-- yet every inbound message paid for an entry in this index: one more page written per message
-- at webhook rates. Partial, it holds outgoing messages only; the lookups all say direction = 'out'.
DROP INDEX messages_outgoing_status;
CREATE INDEX messages_outgoing_status ON messages (conversation_id, status) WHERE direction = 'out';
