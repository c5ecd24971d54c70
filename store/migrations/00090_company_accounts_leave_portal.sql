-- Company accounts no longer reach the regulators' portal: a company signs for
-- and answers its warnings in the base system (/e/warnings). The legacy role
-- 企业用户 (enterprise_user) only ever read the company's own data in the
-- portal, so its holders become 岗位员工 (enterprise_staff) of the same
-- company: they keep reading the company's 预警 in /e, and nobody is locked
-- out. The old grant is marked removed (never deleted), by this migration, so
-- the audit of who held what stays. 企业管理员 (enterprise_admin) is already
-- the base system's administrator and is kept as it is.

-- +goose Up
INSERT INTO casbin_rules (ptype, v0, v1, v2, created_by)
SELECT 'g', r.v0, 'enterprise_staff', r.v2, 'migration:00090'
FROM casbin_rules r
WHERE r.ptype = 'g' AND r.v1 = 'enterprise_user' AND r.v2 LIKE 'ent:%' AND r.removed_at IS NULL
ON CONFLICT (ptype, v0, v1, v2, v3, v4, v5) WHERE removed_at IS NULL DO NOTHING;

UPDATE casbin_rules SET removed_at = now(), removed_by = 'migration:00090'
WHERE ptype = 'g' AND v1 = 'enterprise_user' AND v2 LIKE 'ent:%' AND removed_at IS NULL;

-- +goose Down
INSERT INTO casbin_rules (ptype, v0, v1, v2, created_by)
SELECT 'g', r.v0, 'enterprise_user', r.v2, 'migration:00090-down'
FROM casbin_rules r
WHERE r.ptype = 'g' AND r.v1 = 'enterprise_user' AND r.removed_by = 'migration:00090'
ON CONFLICT (ptype, v0, v1, v2, v3, v4, v5) WHERE removed_at IS NULL DO NOTHING;

UPDATE casbin_rules SET removed_at = now(), removed_by = 'migration:00090-down'
WHERE ptype = 'g' AND v1 = 'enterprise_staff' AND created_by = 'migration:00090' AND removed_at IS NULL;
