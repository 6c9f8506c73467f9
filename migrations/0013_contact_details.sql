-- A person's details as staff correct and complete them (the correction right).
--
-- `name` stays the one displayed name that lists, the search index (contacts_fts triggers), the
-- API and the pages use. What Meta's profile lookup returned is kept apart in `messenger_name`;
-- once staff correct the name, `name_corrected_at` is set and later lookups record
-- `messenger_name` only, never overwriting the correction. Clearing the correction puts the
-- Messenger name back.
ALTER TABLE contacts ADD COLUMN messenger_name TEXT;
ALTER TABLE contacts ADD COLUMN name_corrected_at INTEGER;

-- Custom text fields staff keep about the person (order number, city, …): a JSON object of
-- strings, bounded by the writer (src/conversations/contact-details.ts).
ALTER TABLE contacts ADD COLUMN fields TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(fields) AND json_type(fields) = 'object');

-- Until now the displayed name was always the profile lookup's.
UPDATE contacts SET messenger_name = name WHERE profile_state = 'fetched' AND name IS NOT NULL;

-- The owner's audit log page filters by kind of action, newest first, paged by (at, id).
CREATE INDEX audit_log_action ON audit_log (action, at DESC, id DESC);
