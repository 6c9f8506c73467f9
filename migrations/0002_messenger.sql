-- Messenger channel details that the core schema did not need.

-- A reply longer than Meta's 2,000 characters, or with files, goes out as several parts; the
-- sender records how many have gone, so a retry resumes instead of repeating.
ALTER TABLE outbox ADD COLUMN parts_sent INTEGER NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN parts_total INTEGER NOT NULL DEFAULT 1;
-- When the current attempt started: a 'sending' row older than the grace period after a crash is
-- checked against echoes before it is sent again.
ALTER TABLE outbox ADD COLUMN attempt_started_at INTEGER;

-- Simulator uploads: files the owner "sends as a customer" in sandbox mode, served once to the
-- attachment downloader through an unguessable URL, then removed.
CREATE TABLE simulator_files (
  token        TEXT    PRIMARY KEY,
  name         TEXT    NOT NULL,
  content_type TEXT    NOT NULL,
  data         BLOB    NOT NULL,
  created_at   INTEGER NOT NULL
);

CREATE INDEX messages_mid_lookup ON messages (conversation_id, direction, created_at);
