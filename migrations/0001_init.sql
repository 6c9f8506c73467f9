-- The core schema. Times are epoch milliseconds (INTEGER). Later features add their own migrations.

-- People who sign in. An invited user has no password until they accept the invitation.
CREATE TABLE users (
  id                INTEGER PRIMARY KEY,
  email             TEXT    NOT NULL UNIQUE COLLATE NOCASE,
  name              TEXT    NOT NULL DEFAULT '',
  role              TEXT    NOT NULL CHECK (role IN ('owner', 'staff')),
  status            TEXT    NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'invited', 'disabled')),
  password_hash     TEXT,
  invite_token_hash TEXT UNIQUE,
  invite_expires_at INTEGER,
  failed_logins     INTEGER NOT NULL DEFAULT 0,
  locked_until      INTEGER,
  prefs             TEXT    NOT NULL DEFAULT '{}',
  created_at        INTEGER NOT NULL,
  updated_at        INTEGER NOT NULL
);

-- Browser sessions. Only the SHA-256 of the cookie value is stored, so a copy of the database
-- cannot be used to sign in.
CREATE TABLE sessions (
  id           TEXT    PRIMARY KEY,
  user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  csrf_token   TEXT    NOT NULL,
  created_at   INTEGER NOT NULL,
  last_seen_at INTEGER NOT NULL,
  expires_at   INTEGER NOT NULL,
  ip           TEXT,
  user_agent   TEXT
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expiry ON sessions (expires_at);

-- Bearer tokens for /api/v1 (created with `chatx token:create`); hashed like sessions.
CREATE TABLE api_tokens (
  id           INTEGER PRIMARY KEY,
  name         TEXT    NOT NULL,
  role         TEXT    NOT NULL CHECK (role IN ('owner', 'staff')),
  token_hash   TEXT    NOT NULL UNIQUE,
  created_at   INTEGER NOT NULL,
  last_used_at INTEGER,
  revoked_at   INTEGER
);

-- Settings saved from the UI (business profile, Messenger credentials, feature switches).
-- The environment wins over anything stored here.
CREATE TABLE settings (
  key        TEXT    PRIMARY KEY,
  value      TEXT    NOT NULL,
  updated_at INTEGER NOT NULL
);

-- One row per person writing to a Page: PSIDs are Page-scoped, so the pair is the identity.
CREATE TABLE contacts (
  id             INTEGER PRIMARY KEY,
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

-- One conversation per contact (per Messenger thread); a resolved one reopens on a new message.
CREATE TABLE conversations (
  id                   INTEGER PRIMARY KEY,
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
  updated_at           INTEGER NOT NULL
);
CREATE INDEX conversations_activity ON conversations (last_message_at DESC, id DESC);
CREATE INDEX conversations_status_activity ON conversations (status, last_message_at DESC, id DESC);
CREATE INDEX conversations_assignee ON conversations (assignee_id, last_message_at DESC);

CREATE TABLE labels (
  id    INTEGER PRIMARY KEY,
  name  TEXT NOT NULL UNIQUE COLLATE NOCASE,
  color TEXT NOT NULL DEFAULT 'gray'
);

CREATE TABLE conversation_labels (
  conversation_id INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
  label_id        INTEGER NOT NULL REFERENCES labels (id) ON DELETE CASCADE,
  PRIMARY KEY (conversation_id, label_id)
);
CREATE INDEX conversation_labels_label ON conversation_labels (label_id);

-- Every message in or out, and private notes (kind = 'note', never sent). created_at is the event's
-- `timestamp` from Meta, which is the message time and drives the 24-hour window.
-- sent_by: 'contact', 'user', 'ai', 'outside' (sent from Meta's own tools) or 'system'.
-- status: in → 'received'; out → 'queued', 'sent', 'delivered', 'read', 'failed', 'sandbox'.
CREATE TABLE messages (
  id                INTEGER PRIMARY KEY,
  conversation_id   INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
  mid               TEXT UNIQUE,
  direction         TEXT    NOT NULL CHECK (direction IN ('in', 'out')),
  kind              TEXT    NOT NULL DEFAULT 'message' CHECK (kind IN ('message', 'note', 'postback')),
  text              TEXT,
  status            TEXT    NOT NULL,
  error_code        TEXT,
  error_message     TEXT,
  sent_by           TEXT    NOT NULL,
  sent_by_user_id   INTEGER REFERENCES users (id) ON DELETE SET NULL,
  quick_reply       TEXT,
  reply_to_mid      TEXT,
  reaction          TEXT,
  metadata          TEXT,
  created_at        INTEGER NOT NULL,
  received_at       INTEGER NOT NULL,
  sent_at           INTEGER,
  edited_at         INTEGER
);
CREATE INDEX messages_conversation_time ON messages (conversation_id, created_at, id);
CREATE INDEX messages_outgoing_status ON messages (conversation_id, direction, status);

-- Files in or out. Bytes live here as blobs, inside the encrypted file; Meta's URLs expire.
-- state: 'pending' (to download), 'stored', 'unavailable' (expired/404/no URL), 'too_large'.
CREATE TABLE attachments (
  id           INTEGER PRIMARY KEY,
  message_id   INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
  type         TEXT    NOT NULL,
  state        TEXT    NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'stored', 'unavailable', 'too_large')),
  source_url   TEXT,
  title        TEXT,
  sticker_id   TEXT,
  name         TEXT,
  content_type TEXT,
  size         INTEGER,
  data         BLOB,
  created_at   INTEGER NOT NULL
);
CREATE INDEX attachments_message ON attachments (message_id);

-- The durable outbox: written in the same transaction as the outgoing message, delivered by the
-- sender, so a crash between commit and send neither loses nor doubles a message.
-- state: 'pending', 'sending', 'done', 'failed', 'held' (waiting for a new Page token).
CREATE TABLE outbox (
  id              INTEGER PRIMARY KEY,
  message_id      INTEGER NOT NULL UNIQUE REFERENCES messages (id) ON DELETE CASCADE,
  conversation_id INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
  state           TEXT    NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sending', 'done', 'failed', 'held')),
  attempts        INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  last_error      TEXT,
  created_at      INTEGER NOT NULL,
  updated_at      INTEGER NOT NULL
);
CREATE INDEX outbox_due ON outbox (state, next_attempt_at);

-- Background work that needs the network (profile lookups, attachment downloads, AI replies).
-- dedupe_key keeps the same work from being queued twice.
CREATE TABLE jobs (
  id          INTEGER PRIMARY KEY,
  kind        TEXT    NOT NULL,
  payload     TEXT    NOT NULL DEFAULT '{}',
  state       TEXT    NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'running', 'done', 'failed')),
  attempts    INTEGER NOT NULL DEFAULT 0,
  run_at      INTEGER NOT NULL,
  last_error  TEXT,
  dedupe_key  TEXT UNIQUE,
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL
);
CREATE INDEX jobs_due ON jobs (state, run_at);

-- Webhook events that have no `mid` of their own (reads, deliveries, reactions, referrals, edits)
-- are remembered by a natural key so Meta's retries are applied once.
CREATE TABLE webhook_receipts (
  key         TEXT    PRIMARY KEY,
  received_at INTEGER NOT NULL
);

-- Deletion requests (by email through staff, by the API, or Meta's callback) and their deadlines.
CREATE TABLE deletion_requests (
  id           INTEGER PRIMARY KEY,
  code         TEXT    NOT NULL UNIQUE,
  contact_id   INTEGER REFERENCES contacts (id) ON DELETE SET NULL,
  source       TEXT    NOT NULL CHECK (source IN ('staff', 'api', 'meta-callback')),
  subject_ref  TEXT,
  status       TEXT    NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done', 'no_data')),
  requested_at INTEGER NOT NULL,
  deadline     INTEGER NOT NULL,
  done_at      INTEGER,
  summary      TEXT
);
CREATE INDEX deletion_requests_due ON deletion_requests (status, deadline);

-- Who did what: sign-ins, failed sign-ins, role changes, exports, deletions, key rotation.
CREATE TABLE audit_log (
  id            INTEGER PRIMARY KEY,
  at            INTEGER NOT NULL,
  actor_user_id INTEGER REFERENCES users (id) ON DELETE SET NULL,
  actor         TEXT    NOT NULL,
  action        TEXT    NOT NULL,
  target        TEXT,
  detail        TEXT,
  ip            TEXT
);
CREATE INDEX audit_log_at ON audit_log (at DESC);

-- Canned responses for the composer's `/` shortcut.
CREATE TABLE canned_responses (
  id         INTEGER PRIMARY KEY,
  shortcut   TEXT    NOT NULL UNIQUE COLLATE NOCASE,
  text       TEXT    NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
