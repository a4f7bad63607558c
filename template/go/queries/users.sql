-- name: CreateUser :one
INSERT INTO users (id, email, password_hash, full_name)
VALUES ($1, $2, $3, $4)
RETURNING id, email, password_hash, full_name, created_at;

-- name: UserByEmail :one
SELECT id, email, password_hash, full_name, created_at FROM users WHERE email = $1;

-- name: UserByID :one
SELECT id, email, password_hash, full_name, created_at FROM users WHERE id = $1;
