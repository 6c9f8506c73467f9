-- One row that /healthz writes (at most every few seconds) to learn whether the disk still takes
-- writes: reading alone would answer "healthy" on a full disk while every webhook fails.
CREATE TABLE health_probe (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  at INTEGER NOT NULL
);
