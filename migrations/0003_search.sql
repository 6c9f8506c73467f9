-- Full-text search over message text (notes and postbacks too) and contact names, for the inbox
-- search box and `GET /api/v1/conversations?q=`.
--
-- Both indexes are FTS5 "external content" tables: they hold only the index, and read the text
-- itself from messages / contacts (for snippets). Such an index is exact only if every change to
-- the content reaches it, so triggers below mirror each insert, text edit and delete, including
-- the deletes a foreign-key cascade makes when a contact is removed.
-- https://sqlite.org/fts5.html#external_content_tables
--
-- unicode61 with remove_diacritics 2 folds case and accents, so "muller" finds "Müller".
-- The messages index also keeps the prefixes of 3 to 8 characters of every word: search-as-you-type
-- asks for the last word as a prefix, and without a prefix index FTS5 answers "hello*" by merging
-- the whole doclist of every word that starts so, tens of milliseconds for a common word on a
-- million messages; with it, a prefix is read like a word. It costs about 90 MB per million
-- messages (the index without it: about 30 MB). Longer prefixes are rare words, cheap to merge.
-- Every row is indexed, even one without text (it simply has no tokens), because that is what
-- 'rebuild' does; the triggers must treat rows exactly as the backfill did.

CREATE VIRTUAL TABLE messages_fts USING fts5 (
  text,
  content = 'messages',
  content_rowid = 'id',
  tokenize = 'unicode61 remove_diacritics 2',
  prefix = '3 4 5 6 7 8'
);

CREATE VIRTUAL TABLE contacts_fts USING fts5 (
  name,
  content = 'contacts',
  content_rowid = 'id',
  tokenize = 'unicode61 remove_diacritics 2'
);

-- Deleted text is removed from the index itself instead of being masked by a delete marker, so an
-- erased person's words and name do not linger in old index pages (secure_delete covers the rest).
-- https://sqlite.org/fts5.html#the_secure_delete_configuration_option
INSERT INTO messages_fts (messages_fts, rank) VALUES ('secure-delete', 1);
INSERT INTO contacts_fts (contacts_fts, rank) VALUES ('secure-delete', 1);

CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
  INSERT INTO messages_fts (rowid, text) VALUES (new.id, new.text);
END;

CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
  INSERT INTO messages_fts (messages_fts, rowid, text) VALUES ('delete', old.id, old.text);
END;

-- message_edit events rewrite the text.
CREATE TRIGGER messages_fts_update AFTER UPDATE OF id, text ON messages BEGIN
  INSERT INTO messages_fts (messages_fts, rowid, text) VALUES ('delete', old.id, old.text);
  INSERT INTO messages_fts (rowid, text) VALUES (new.id, new.text);
END;

CREATE TRIGGER contacts_fts_insert AFTER INSERT ON contacts BEGIN
  INSERT INTO contacts_fts (rowid, name) VALUES (new.id, new.name);
END;

CREATE TRIGGER contacts_fts_delete AFTER DELETE ON contacts BEGIN
  INSERT INTO contacts_fts (contacts_fts, rowid, name) VALUES ('delete', old.id, old.name);
END;

-- The profile lookup fills in the name; staff may correct it.
CREATE TRIGGER contacts_fts_update AFTER UPDATE OF id, name ON contacts BEGIN
  INSERT INTO contacts_fts (contacts_fts, rowid, name) VALUES ('delete', old.id, old.name);
  INSERT INTO contacts_fts (rowid, name) VALUES (new.id, new.name);
END;

-- Backfill what is already there.
INSERT INTO messages_fts (messages_fts) VALUES ('rebuild');
INSERT INTO contacts_fts (contacts_fts) VALUES ('rebuild');
