-- Account hardening: when each password was set (administrators' passwords expire),
-- whether the next login must change it (set by an administrator's reset, so the
-- administrator does not keep a working password of someone else's account), why a
-- session ended (ended sessions are marked, never deleted), and the second factor on
-- by default for province-level accounts on platforms seeded before it was.

-- +goose Up
ALTER TABLE users ADD COLUMN password_changed_at timestamptz NOT NULL DEFAULT now();
ALTER TABLE users ADD COLUMN must_change_password boolean NOT NULL DEFAULT false;
ALTER TABLE sessions ADD COLUMN end_reason text;
-- Enrolment offers made before replacing an authenticator needed the password and a
-- current code are void.
UPDATE users SET totp_pending = NULL WHERE totp_pending IS NOT NULL;
CREATE INDEX sessions_open_expiry ON sessions (expires_at) WHERE revoked_at IS NULL;

-- Only where the policy was already seeded: on a new database the seed brings the
-- marks itself (seeding runs only while no permission is stored).
INSERT INTO casbin_rules (ptype, v0, v1, v2, created_by)
SELECT 'p', r, 'mfa', 'required', 'migration'
FROM unnest(ARRAY['province_leader', 'province_staff']) AS r
WHERE EXISTS (SELECT 1 FROM casbin_rules WHERE ptype = 'p')
  AND NOT EXISTS (SELECT 1 FROM casbin_rules c WHERE c.ptype = 'p' AND c.v0 = r AND c.v1 = 'mfa'
                  AND c.v2 = 'required' AND c.removed_at IS NULL);

-- +goose Down
SELECT 1;
