-- The console's audit log (issue 10, docs/console.md): one row per sign-in, save, publish,
-- rollback, schedule change and scheduled publish. Written and read by the worker through the D1
-- binding `DB` (src/console/audit.rs holds the SQL it runs); applied with
-- `wrangler d1 migrations apply`.
CREATE TABLE IF NOT EXISTS audit (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  time TEXT NOT NULL,      -- RFC 3339 UTC, e.g. 2026-12-01T10:00:00Z
  who TEXT NOT NULL,       -- Access email, the name given at sign-in, or "token"
  action TEXT NOT NULL,    -- sign_in, sign_in_failed, save, publish, rollback, schedule,
                           -- unschedule, scheduled_publish
  revision INTEGER,        -- the revision made or concerned, when there is one
  summary TEXT NOT NULL    -- a short human summary of the change
);

CREATE INDEX IF NOT EXISTS audit_time ON audit (time);
