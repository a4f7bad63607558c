-- name: CreateTenant :one
INSERT INTO tenants (id, name, slug) VALUES ($1, $2, $3)
RETURNING id, name, slug, created_at;

-- One user's tenant creations run one at a time (FOR NO KEY UPDATE, which foreign-key checks
-- on the row do not wait for), so two cannot both pass the cap on owned tenants. Count the
-- owned tenants in a statement of its own, after the lock: a statement that waited for a lock
-- still reads with the snapshot it started with. 0 rows: no such user.
-- name: LockOwner :execrows
SELECT FROM users WHERE id = $1 FOR NO KEY UPDATE;

-- name: CountOwnedTenants :one
SELECT count(*) FROM memberships WHERE user_id = $1 AND role = 'owner';

-- name: CreateMembership :one
INSERT INTO memberships (tenant_id, user_id, role) VALUES ($1, $2, $3)
RETURNING created_at;

-- name: TenantsOfUser :many
SELECT t.id, t.name, t.slug, t.created_at, m.role
FROM tenants t JOIN memberships m ON m.tenant_id = t.id
WHERE m.user_id = $1
ORDER BY t.created_at, t.id;

-- Who may see it, and with which role, is the unit of work's to decide (postgres.InMemberTx).
-- name: TenantByID :one
SELECT id, name, slug, created_at FROM tenants WHERE id = $1;

-- name: Members :many
SELECT m.user_id, u.email, u.full_name, m.role, m.created_at
FROM memberships m JOIN users u ON u.id = m.user_id
WHERE m.tenant_id = $1
ORDER BY m.created_at, m.user_id;

-- name: Member :one
SELECT m.user_id, u.email, u.full_name, m.role, m.created_at
FROM memberships m JOIN users u ON u.id = m.user_id
WHERE m.tenant_id = $1 AND m.user_id = $2;

-- Changes to one tenant's memberships run one at a time, so two owners demoting each other
-- concurrently cannot leave the tenant without an owner.
-- name: LockTenant :exec
SELECT id FROM tenants WHERE id = $1 FOR UPDATE;

-- name: CountOwners :one
SELECT count(*) FROM memberships WHERE tenant_id = $1 AND role = 'owner';

-- name: UpdateMemberRole :execrows
UPDATE memberships SET role = $3 WHERE tenant_id = $1 AND user_id = $2;

-- name: DeleteMember :execrows
DELETE FROM memberships WHERE tenant_id = $1 AND user_id = $2;
