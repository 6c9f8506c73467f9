-- AI replies (src/ai/): what the business knows, the AI's standing in each conversation, drafts
-- for staff, and a ledger of calls for the daily caps and the usage table. No PSID and no message
-- text ever goes into the ledger.

-- The AI's standing in a conversation (written only by src/conversations/ai-state.ts):
--   ai_mode   an override of the install's mode for this conversation (NULL: follow Settings);
--   ai_state  'ready' (the AI may answer), 'needs_person' (it handed over; it stays quiet),
--             'person' (a person answered; quiet until the conversation is resolved and the customer
--             writes again, or someone hands it back);
--   ai_reason why it handed over, or why it did not answer (shown in the conversation);
--   ai_through the newest customer message the AI has dealt with: older ones never trigger it again;
--   ai_disclosed_at when the first automatic reply said it came from an automated assistant.
ALTER TABLE conversations ADD COLUMN ai_mode TEXT CHECK (ai_mode IN ('off', 'suggest', 'auto'));
ALTER TABLE conversations ADD COLUMN ai_state TEXT NOT NULL DEFAULT 'ready'
  CHECK (ai_state IN ('ready', 'needs_person', 'person'));
ALTER TABLE conversations ADD COLUMN ai_reason TEXT;
ALTER TABLE conversations ADD COLUMN ai_through INTEGER;
ALTER TABLE conversations ADD COLUMN ai_disclosed_at INTEGER;
CREATE INDEX conversations_needs_person ON conversations (ai_state) WHERE ai_state = 'needs_person';

-- The per-person "no AI" switch.
ALTER TABLE contacts ADD COLUMN no_ai INTEGER NOT NULL DEFAULT 0 CHECK (no_ai IN (0, 1));

-- A job queued again while it runs (a customer's message arriving while the AI is answering the
-- previous ones) runs once more afterwards instead of being lost (src/core/queue.ts).
ALTER TABLE jobs ADD COLUMN again INTEGER NOT NULL DEFAULT 0;

-- The business's knowledge (src/ai/knowledge.ts): entries written in Settings, and the sections of
-- AI_KNOWLEDGE_FILE (source 'file', replaced at every start). Each reply retrieves the few entries
-- that match the customer's words, ranked by FTS5's bm25; entries marked `always` (tone, languages,
-- what never to promise) go into every prompt.
CREATE TABLE knowledge (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  title      TEXT    NOT NULL,
  body       TEXT    NOT NULL,
  always     INTEGER NOT NULL DEFAULT 0 CHECK (always IN (0, 1)),
  source     TEXT    NOT NULL DEFAULT 'settings' CHECK (source IN ('settings', 'file')),
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE VIRTUAL TABLE knowledge_fts USING fts5 (
  title,
  body,
  content = 'knowledge',
  content_rowid = 'id',
  tokenize = 'unicode61 remove_diacritics 2'
);
INSERT INTO knowledge_fts (knowledge_fts, rank) VALUES ('secure-delete', 1);
CREATE TRIGGER knowledge_fts_insert AFTER INSERT ON knowledge BEGIN
  INSERT INTO knowledge_fts (rowid, title, body) VALUES (new.id, new.title, new.body);
END;
CREATE TRIGGER knowledge_fts_delete AFTER DELETE ON knowledge BEGIN
  INSERT INTO knowledge_fts (knowledge_fts, rowid, title, body) VALUES ('delete', old.id, old.title, old.body);
END;
CREATE TRIGGER knowledge_fts_update AFTER UPDATE OF title, body ON knowledge BEGIN
  INSERT INTO knowledge_fts (knowledge_fts, rowid, title, body) VALUES ('delete', old.id, old.title, old.body);
  INSERT INTO knowledge_fts (rowid, title, body) VALUES (new.id, new.title, new.body);
END;

-- A suggested reply waiting in a conversation's composer (src/ai/drafts.ts). Erased with the
-- conversation.
CREATE TABLE ai_drafts (
  conversation_id INTEGER PRIMARY KEY REFERENCES conversations (id) ON DELETE CASCADE,
  text            TEXT    NOT NULL,
  created_at      INTEGER NOT NULL
);

-- One row per call to a provider (src/ai/ledger.ts): purpose, provider, model, tokens, outcome.
-- `day` is the local date (TZ) the daily caps count by. An erased person's calls stay as counts.
CREATE TABLE ai_calls (
  id              INTEGER PRIMARY KEY,
  at              INTEGER NOT NULL,
  day             TEXT    NOT NULL,
  conversation_id INTEGER REFERENCES conversations (id) ON DELETE SET NULL,
  purpose         TEXT    NOT NULL,
  provider        TEXT    NOT NULL,
  model           TEXT    NOT NULL,
  input_tokens    INTEGER NOT NULL DEFAULT 0,
  output_tokens   INTEGER NOT NULL DEFAULT 0,
  ms              INTEGER NOT NULL DEFAULT 0,
  ok              INTEGER NOT NULL CHECK (ok IN (0, 1)),
  error           TEXT
);
CREATE INDEX ai_calls_day ON ai_calls (day);
CREATE INDEX ai_calls_conversation ON ai_calls (conversation_id, day);
