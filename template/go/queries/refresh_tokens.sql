-- A family is the chain of tokens that rotation grows from one login. Every change to a family
-- first locks its oldest row (LockRefreshFamily; ids are UUIDv7, so the oldest is the smallest),
-- so two requests on one family run one after the other and take their locks in the same order:
-- no deadlock between a rotation and a revocation.

-- name: CreateRefreshToken :exec
INSERT INTO refresh_tokens (id, user_id, family_id, token_hash, expires_at)
VALUES ($1, $2, $3, $4, $5);

-- The subquery finds the family without a lock; then its oldest row is locked.
-- name: LockRefreshFamily :one
SELECT id FROM refresh_tokens
WHERE family_id = (SELECT t.family_id FROM refresh_tokens t WHERE t.token_hash = $1)
ORDER BY id
LIMIT 1
FOR UPDATE;

-- Read after LockRefreshFamily: no concurrent rotation of the family is in flight, and the row
-- is locked as well.
-- name: RefreshTokenByHash :one
SELECT id, user_id, family_id, expires_at, used_at, revoked_at
FROM refresh_tokens WHERE token_hash = $1
FOR UPDATE;

-- Whether the token is the immediate predecessor of the family's newest live token, rotated less
-- than grace_seconds ago: then presenting it again is most likely a second tab that lost a
-- refresh race, not a stolen copy. Rotations of a family run one at a time (its lock), so the
-- token used last is the one the live token replaced.
-- name: InReuseGrace :one
SELECT EXISTS (
    SELECT 1 FROM refresh_tokens p
    WHERE p.id = @id AND p.revoked_at IS NULL
      AND p.used_at > now() - make_interval(secs => @grace_seconds::float8)
      AND p.used_at = (SELECT max(f.used_at) FROM refresh_tokens f WHERE f.family_id = p.family_id)
      AND EXISTS (
          SELECT 1 FROM refresh_tokens n
          WHERE n.family_id = p.family_id AND n.used_at IS NULL AND n.revoked_at IS NULL AND n.expires_at > now()
      )
);

-- name: MarkRefreshTokenUsed :exec
UPDATE refresh_tokens SET used_at = now() WHERE id = $1;

-- One statement locking one row: it never waits while holding another lock.
-- name: RevokeRefreshTokenByHash :exec
UPDATE refresh_tokens SET revoked_at = now() WHERE token_hash = $1 AND revoked_at IS NULL;

-- name: RevokeRefreshTokenFamily :exec
UPDATE refresh_tokens SET revoked_at = now() WHERE family_id = $1 AND revoked_at IS NULL;
