-- Contacts as business: leads in a pipeline, follow-ups, typed custom fields, and the history of a
-- conversation's status and assignment (for the timeline and the dashboard's response and
-- resolution times). Everything about a person goes with them when they are erased (ON DELETE
-- CASCADE from contacts and conversations).

-- The pipeline's stages, in order; the owner renames, adds, reorders and removes them
-- (src/crm/leads.ts). `kind` says which close a lead: won or lost.
CREATE TABLE lead_stages (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  name       TEXT    NOT NULL UNIQUE COLLATE NOCASE,
  position   INTEGER NOT NULL,
  kind       TEXT    NOT NULL DEFAULT 'open' CHECK (kind IN ('open', 'won', 'lost')),
  created_at INTEGER NOT NULL
);
INSERT INTO lead_stages (name, position, kind, created_at) VALUES
  ('New', 1, 'open', 0), ('Contacted', 2, 'open', 0), ('Qualified', 3, 'open', 0), ('Won', 4, 'won', 0), ('Lost', 5, 'lost', 0);

-- A lead: at most one per contact, and any Messenger contact can be one (no phone number needed).
-- The source is the contact's (the ad or link that brought them, kept at ingest: contacts.lead_source).
CREATE TABLE leads (
  id             INTEGER PRIMARY KEY AUTOINCREMENT,
  contact_id     INTEGER NOT NULL UNIQUE REFERENCES contacts (id) ON DELETE CASCADE,
  stage_id       INTEGER NOT NULL REFERENCES lead_stages (id),
  -- In the business's currency, in cents.
  value_cents    INTEGER CHECK (value_cents IS NULL OR value_cents >= 0),
  -- A local date, YYYY-MM-DD.
  expected_close TEXT,
  owner_id       INTEGER REFERENCES users (id) ON DELETE SET NULL,
  lost_reason    TEXT,
  created_at     INTEGER NOT NULL,
  updated_at     INTEGER NOT NULL,
  -- When it entered a won or lost stage (NULL while open).
  closed_at      INTEGER
);
CREATE INDEX leads_stage ON leads (stage_id, updated_at DESC);
CREATE INDEX leads_owner ON leads (owner_id, stage_id);

-- What happened to a lead, for the timeline and the dashboard: created, stage, owner, value, …
CREATE TABLE lead_events (
  id            INTEGER PRIMARY KEY AUTOINCREMENT,
  lead_id       INTEGER NOT NULL REFERENCES leads (id) ON DELETE CASCADE,
  at            INTEGER NOT NULL,
  actor_user_id INTEGER REFERENCES users (id) ON DELETE SET NULL,
  kind          TEXT    NOT NULL,
  from_value    TEXT,
  to_value      TEXT
);
CREATE INDEX lead_events_lead ON lead_events (lead_id, at);
CREATE INDEX lead_events_kind ON lead_events (kind, at);

-- The stage a contact had before leads existed becomes their lead.
INSERT INTO leads (contact_id, stage_id, created_at, updated_at)
  SELECT k.id, s.id, k.created_at, k.updated_at FROM contacts k JOIN lead_stages s ON s.name = k.lead_stage
  WHERE k.lead_stage IS NOT NULL AND k.lead_stage != '';

-- Follow-ups (src/crm/follow-ups.ts): a due time and a note on a contact (and their conversation),
-- for its owner; it may carry a drafted message that is sent at the due time if Messenger's window
-- allows, else it becomes a reminder saying why not.
CREATE TABLE follow_ups (
  id              INTEGER PRIMARY KEY AUTOINCREMENT,
  contact_id      INTEGER NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
  conversation_id INTEGER REFERENCES conversations (id) ON DELETE CASCADE,
  owner_id        INTEGER REFERENCES users (id) ON DELETE SET NULL,
  due_at          INTEGER NOT NULL,
  note            TEXT    NOT NULL DEFAULT '',
  message         TEXT,
  -- pending → due (surfaced to its owner) → done; or sent (its message went out); or cancelled.
  state           TEXT    NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'due', 'done', 'sent', 'cancelled')),
  -- Why a drafted message was not sent, shown on the reminder.
  outcome         TEXT,
  message_id      INTEGER REFERENCES messages (id) ON DELETE SET NULL,
  created_by      INTEGER REFERENCES users (id) ON DELETE SET NULL,
  created_at      INTEGER NOT NULL,
  updated_at      INTEGER NOT NULL,
  done_at         INTEGER
);
CREATE INDEX follow_ups_due ON follow_ups (state, due_at);
CREATE INDEX follow_ups_owner ON follow_ups (owner_id, state, due_at);
CREATE INDEX follow_ups_contact ON follow_ups (contact_id, due_at);

-- The owner's custom fields for contacts (src/crm/fields.ts); values stay in contacts.fields, by name.
CREATE TABLE contact_field_defs (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  name       TEXT    NOT NULL UNIQUE COLLATE NOCASE,
  type       TEXT    NOT NULL CHECK (type IN ('text', 'number', 'date', 'choice')),
  choices    TEXT    NOT NULL DEFAULT '[]' CHECK (json_valid(choices) AND json_type(choices) = 'array'),
  position   INTEGER NOT NULL,
  created_at INTEGER NOT NULL
);

-- A conversation's status and assignee changes, as they happen (src/conversations/workflow.ts).
CREATE TABLE conversation_events (
  id              INTEGER PRIMARY KEY AUTOINCREMENT,
  conversation_id INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
  at              INTEGER NOT NULL,
  actor_user_id   INTEGER REFERENCES users (id) ON DELETE SET NULL,
  kind            TEXT    NOT NULL CHECK (kind IN ('status', 'assignee')),
  value           TEXT
);
CREATE INDEX conversation_events_conversation ON conversation_events (conversation_id, at);
CREATE INDEX conversation_events_kind ON conversation_events (kind, at);
