-- name: CreateUser :one
INSERT INTO users (id, email, password_hash, full_name)
VALUES ($1, $2, $3, $4)
RETURNING id, email, password_hash, full_name, created_at;

-- name: UserByEmail :one
SELECT id, email, password_hash, full_name, created_at FROM users WHERE email = $1;

-- name: UserByID :one
SELECT id, email, password_hash, full_name, created_at FROM users WHERE id = $1;

-- Keeps the user from being deleted until the transaction ends (FOR KEY SHARE blocks only that),
-- so what the transaction writes for the user cannot fail on a foreign key halfway.
-- name: LockUser :execrows
SELECT FROM users WHERE id = $1 FOR KEY SHARE;

-- Asked only when a unit of work found no membership: a deleted user is told apart from a
-- non-member without a join on the hot path.
-- name: UserExists :one
SELECT EXISTS (SELECT 1 FROM users WHERE id = $1);
