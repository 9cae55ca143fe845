-- Experiment analytics (issue 11, docs/rules.md "Recording"): unit-level rows written by the
-- worker after each response (src/recording/sql.rs holds the SQL it runs) and aggregated by the
-- results API (src/recording/results.rs). Applied with `wrangler d1 migrations apply`.

-- One row per experiment and visitor: the variation and the first exposure (ms since 1970).
-- Later exposures change nothing (INSERT ... ON CONFLICT DO NOTHING).
CREATE TABLE IF NOT EXISTS exposures (
  experiment TEXT,
  visitor TEXT,
  variation INTEGER,  -- index into the experiment's variations, 0 = control
  first_seen INTEGER, -- ms
  PRIMARY KEY (experiment, visitor)
);

-- One row per experiment, goal and visitor: how often and for how much the visitor converted.
CREATE TABLE IF NOT EXISTS conversions (
  experiment TEXT,
  goal TEXT,
  visitor TEXT,
  variation INTEGER,
  count INTEGER,
  value REAL,         -- the sum of the conversions' values (0 for goals without one)
  first_at INTEGER,   -- ms
  last_at INTEGER,    -- ms
  PRIMARY KEY (experiment, goal, visitor)
);

-- Retention deletes scan by time.
CREATE INDEX IF NOT EXISTS exposures_first_seen ON exposures (first_seen);
CREATE INDEX IF NOT EXISTS conversions_last_at ON conversions (last_at);
