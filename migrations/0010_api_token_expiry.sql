-- API tokens the owner manages in Settings: an optional expiry, and who made the token.
ALTER TABLE api_tokens ADD COLUMN expires_at INTEGER;
ALTER TABLE api_tokens ADD COLUMN created_by INTEGER REFERENCES users (id) ON DELETE SET NULL;
