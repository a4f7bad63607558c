-- Every query names the tenant: the planner uses the tenant-leading keys, and the isolation model
-- (the transaction's tenant binding) backs it up.

-- name: CreateProject :one
INSERT INTO projects (tenant_id, id, name, description) VALUES ($1, $2, $3, $4)
RETURNING id, name, description, version, created_at, updated_at;

-- name: ProjectByID :one
SELECT id, name, description, version, created_at, updated_at
FROM projects WHERE tenant_id = $1 AND id = $2;

-- Keyset pagination in id order (ids are UUIDv7, so that is creation order).
-- name: ProjectsPage :many
SELECT id, name, description, version, created_at, updated_at
FROM projects
WHERE tenant_id = @tenant_id AND (sqlc.narg(after)::uuid IS NULL OR id > sqlc.narg(after)::uuid)
ORDER BY id
LIMIT @max_rows;

-- The row lock makes compare-then-update atomic: concurrent conditional updates of one project
-- run one after the other, and each compares against the version the one before it left.
-- name: ProjectByIDForUpdate :one
SELECT id, name, description, version, created_at, updated_at
FROM projects WHERE tenant_id = $1 AND id = $2
FOR UPDATE;

-- name: UpdateProject :one
UPDATE projects
SET name = @name, description = @description, version = version + 1, updated_at = now()
WHERE tenant_id = @tenant_id AND id = @id
RETURNING id, name, description, version, created_at, updated_at;

-- name: DeleteProject :execrows
DELETE FROM projects WHERE tenant_id = $1 AND id = $2;

-- Concurrent requests with one key run one after the other: the first creates and stores its
-- response, the others find it. A transaction-level advisory lock (released at COMMIT or
-- ROLLBACK, so safe behind a transaction pooler) on a 64-bit hash of tenant, user and key; a
-- collision of two keys only makes them wait for each other.
-- name: LockIdempotencyKey :exec
SELECT pg_advisory_xact_lock($1);

-- name: IdempotentResponse :one
SELECT request_hash, status_code, response_body, response_headers
FROM idempotency_keys WHERE tenant_id = $1 AND user_id = $2 AND key = $3;

-- The JSON is sent as text and cast here: pgx encodes a []byte as bytea, which jsonb refuses when
-- the parameter types come from the Go values (exec and simple_protocol modes).
-- name: SaveIdempotentResponse :exec
INSERT INTO idempotency_keys (tenant_id, user_id, key, request_hash, status_code, response_body, response_headers)
VALUES (@tenant_id, @user_id, @key, @request_hash, @status_code, CAST(@response_body::text AS jsonb), CAST(@response_headers::text AS jsonb));
