-- migrate: foreign_keys off
-- Carrying out deletion requests, and what remains of one afterwards.
--
-- A request is recorded through one of three doors (staff from the contact page, the API, Meta's
-- data-deletion callback) with a deadline 30 days out. When it is carried out, the person's data is
-- erased in one transaction and the request becomes a tombstone: its code, dates, counts and who
-- carried it out; contact_id and subject_ref are cleared then, so it names nobody.

-- How a staff request reached the business: 'email', 'conversation', 'phone', 'in person', 'other'.
ALTER TABLE deletion_requests ADD COLUMN received_via TEXT;
-- Who recorded it: a user's email, an API token's name, or 'meta'.
ALTER TABLE deletion_requests ADD COLUMN requested_by TEXT;
-- Who carried it out: an owner's email, 'cli', or 'deadline' (the hourly job, at the deadline).
ALTER TABLE deletion_requests ADD COLUMN executed_by TEXT;
-- The in-app reminders already given before the deadline: 7 (a week before), then 1 (a day before).
ALTER TABLE deletion_requests ADD COLUMN reminded INTEGER;
-- Once carried out: a SHA-256 of the Page id and PSID (never the PSID), so that restoring a backup
-- made before the erasure erases the person again instead of bringing them back.
ALTER TABLE deletion_requests ADD COLUMN erased_person TEXT;
CREATE INDEX deletion_requests_contact ON deletion_requests (contact_id) WHERE contact_id IS NOT NULL;

-- People erased lately, so that Meta's late retries of their old events do not bring them back:
-- an event from before `erased_at` for this person is ignored; a new message (a later timestamp)
-- starts a fresh contact. `person` is a SHA-256 of the Page id and PSID, not the PSID itself, and the
-- row is dropped at `forget_at`, long after Meta has stopped retrying.
CREATE TABLE erased_people (
  person    TEXT    PRIMARY KEY,
  erased_at INTEGER NOT NULL,
  forget_at INTEGER NOT NULL
);

-- An erased person's ids are never given to someone else: a link, an audit entry or an open tab
-- that names contact 12 or conversation 12 must not come to show a newcomer. SQLite reuses the
-- highest rowid once its row is deleted, unless the table is AUTOINCREMENT, which takes a rebuild
-- (https://sqlite.org/autoinc.html). The columns, indexes and triggers are those of the earlier
-- migrations, unchanged.
CREATE TABLE contacts_rebuilt (
  id             INTEGER PRIMARY KEY AUTOINCREMENT,
  page_id        TEXT    NOT NULL,
  psid           TEXT    NOT NULL,
  name           TEXT,
  profile_state  TEXT    NOT NULL DEFAULT 'pending' CHECK (profile_state IN ('pending', 'fetched', 'unavailable')),
  email          TEXT,
  phone          TEXT,
  lead_stage     TEXT,
  lead_source    TEXT,
  referral_ref   TEXT,
  referral_source TEXT,
  referral_ad_id TEXT,
  created_at     INTEGER NOT NULL,
  updated_at     INTEGER NOT NULL,
  UNIQUE (page_id, psid)
);
INSERT INTO contacts_rebuilt (id, page_id, psid, name, profile_state, email, phone, lead_stage, lead_source, referral_ref,
  referral_source, referral_ad_id, created_at, updated_at)
  SELECT id, page_id, psid, name, profile_state, email, phone, lead_stage, lead_source, referral_ref,
    referral_source, referral_ad_id, created_at, updated_at FROM contacts;
DROP TABLE contacts;
ALTER TABLE contacts_rebuilt RENAME TO contacts;

CREATE TRIGGER contacts_fts_insert AFTER INSERT ON contacts BEGIN
  INSERT INTO contacts_fts (rowid, name) VALUES (new.id, new.name);
END;
CREATE TRIGGER contacts_fts_delete AFTER DELETE ON contacts BEGIN
  INSERT INTO contacts_fts (contacts_fts, rowid, name) VALUES ('delete', old.id, old.name);
END;
CREATE TRIGGER contacts_fts_update AFTER UPDATE OF id, name ON contacts BEGIN
  INSERT INTO contacts_fts (contacts_fts, rowid, name) VALUES ('delete', old.id, old.name);
  INSERT INTO contacts_fts (rowid, name) VALUES (new.id, new.name);
END;

CREATE TABLE conversations_rebuilt (
  id                   INTEGER PRIMARY KEY AUTOINCREMENT,
  page_id              TEXT    NOT NULL,
  contact_id           INTEGER NOT NULL UNIQUE REFERENCES contacts (id) ON DELETE CASCADE,
  status               TEXT    NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'pending', 'snoozed', 'resolved')),
  assignee_id          INTEGER REFERENCES users (id) ON DELETE SET NULL,
  snoozed_until        INTEGER,
  last_message_at      INTEGER,
  last_inbound_at      INTEGER,
  last_message_preview TEXT,
  unread_count         INTEGER NOT NULL DEFAULT 0,
  created_at           INTEGER NOT NULL,
  updated_at           INTEGER NOT NULL,
  seen_sent_at         INTEGER
);
INSERT INTO conversations_rebuilt (id, page_id, contact_id, status, assignee_id, snoozed_until, last_message_at,
  last_inbound_at, last_message_preview, unread_count, created_at, updated_at, seen_sent_at)
  SELECT id, page_id, contact_id, status, assignee_id, snoozed_until, last_message_at,
    last_inbound_at, last_message_preview, unread_count, created_at, updated_at, seen_sent_at FROM conversations;
DROP TABLE conversations;
ALTER TABLE conversations_rebuilt RENAME TO conversations;
CREATE INDEX conversations_activity ON conversations (last_message_at DESC, id DESC);
CREATE INDEX conversations_status_activity ON conversations (status, last_message_at DESC, id DESC);
CREATE INDEX conversations_assignee ON conversations (assignee_id, last_message_at DESC);
CREATE INDEX conversations_unread ON conversations (status) WHERE unread_count > 0;
