-- Secrets the Messenger channel needs from its first start, made here once so that reading the
-- channel's state never has to write: the webhook verify token shown in Settings (unless
-- FB_VERIFY_TOKEN is set) and the secret the Simulator signs with in sandbox mode. Installs that
-- already made one keep it.
INSERT OR IGNORE INTO settings (key, value, updated_at)
  VALUES ('messenger.verify_token', lower(hex(randomblob(18))), CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));
INSERT OR IGNORE INTO settings (key, value, updated_at)
  VALUES ('messenger.sandbox_secret', lower(hex(randomblob(24))), CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));
