-- Request signing keyed by a secret of its own: each API key is issued with an
-- independent signing secret, stored sealed (AES-256-GCM under CHEMGUARD_DATA_KEY,
-- "enc:v1:…") because the platform must read it back to verify a signature, while
-- the database alone must not reveal it. Keys issued before this migration have
-- no secret (''): they keep working unsigned, and a signed request with one is
-- refused with a message to rotate the key (chemguard enterprise rotate-key).

-- +goose Up
ALTER TABLE enterprise_keys ADD COLUMN signing_secret text NOT NULL DEFAULT '';

-- +goose Down
-- Nothing is physically deleted on this platform: migrations only go forward.
SELECT 1;
