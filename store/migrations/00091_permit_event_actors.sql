-- A permit's history says who did each step: the account (username) and the
-- roles the person held when acting, besides the name and the time it already
-- kept. Events recorded before are filled from the account and its current
-- grants (the best that is known of them).

-- +goose Up
ALTER TABLE permit_events ADD COLUMN actor_username text NOT NULL DEFAULT '';
ALTER TABLE permit_events ADD COLUMN actor_roles text NOT NULL DEFAULT ''; -- role codes, comma-separated, as audit_log.actor_role
UPDATE permit_events e SET actor_username = u.username,
    actor_roles = COALESCE((SELECT string_agg(r.v1, ',' ORDER BY r.v1) FROM casbin_rules r
        WHERE r.ptype = 'g' AND r.v0 = 'u:' || e.actor_id AND r.removed_at IS NULL), '')
FROM users u WHERE u.id = e.actor_id;

-- +goose Down
ALTER TABLE permit_events DROP COLUMN actor_roles;
ALTER TABLE permit_events DROP COLUMN actor_username;
