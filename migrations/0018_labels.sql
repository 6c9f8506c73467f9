-- Labels and the conversation's activity lines (issue 13).
-- conversation_events now also records labels added and removed ('label', 'unlabel'; value = the
-- label's name at the time, so a line keeps reading right after a rename or delete). SQLite cannot
-- change a CHECK constraint in place, so the table is rebuilt; nothing references it.
CREATE TABLE conversation_events_new (
  id              INTEGER PRIMARY KEY AUTOINCREMENT,
  conversation_id INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
  at              INTEGER NOT NULL,
  actor_user_id   INTEGER REFERENCES users (id) ON DELETE SET NULL,
  kind            TEXT    NOT NULL CHECK (kind IN ('status', 'assignee', 'label', 'unlabel')),
  value           TEXT,
  -- When the change was a snooze: until when (epoch ms), so the line can say it.
  until           INTEGER
);
INSERT INTO conversation_events_new (id, conversation_id, at, actor_user_id, kind, value)
  SELECT id, conversation_id, at, actor_user_id, kind, value FROM conversation_events;
DROP TABLE conversation_events;
ALTER TABLE conversation_events_new RENAME TO conversation_events;
CREATE INDEX conversation_events_conversation ON conversation_events (conversation_id, at);
CREATE INDEX conversation_events_kind ON conversation_events (kind, at);

-- Label colours are one of a fixed palette (views/settings/labels.ejs); anything else reads as gray.
UPDATE labels SET color = 'gray'
  WHERE color NOT IN ('gray', 'red', 'orange', 'yellow', 'green', 'teal', 'blue', 'purple', 'pink');
