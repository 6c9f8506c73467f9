-- Sign-in limits that hold across parallel requests and restarts. Failures are counted per account
-- key (a hash of the email typed, whether or not an account has it, so the answer never tells which
-- accounts exist), each within a 15-minute window; a new password clears the account's count.
CREATE TABLE sign_in_failures (
  key          TEXT    PRIMARY KEY,
  failures     INTEGER NOT NULL,
  window_start INTEGER NOT NULL
);

-- Browsers that have signed in to an account: failures from elsewhere never lock them out.
-- Only the SHA-256 of the cookie's token is kept.
CREATE TABLE known_devices (
  token_hash   TEXT    NOT NULL,
  user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at   INTEGER NOT NULL,
  last_seen_at INTEGER NOT NULL,
  PRIMARY KEY (token_hash, user_id)
);
CREATE INDEX known_devices_user ON known_devices (user_id);

-- The account lockout these replace lived on the user row.
ALTER TABLE users DROP COLUMN failed_logins;
ALTER TABLE users DROP COLUMN locked_until;
