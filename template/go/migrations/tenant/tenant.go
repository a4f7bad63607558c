// Package tenant holds the tenant migrations: plain SQL applied to every tenant's schema, in
// the order of the number before the first "_" of their names, by `migrate` and by the
// provisioning of a new tenant (see migrations/00001_initial.sql, schema tenancy).
package tenant

import "embed"

// FS holds every tenant migration of the service.
//
//go:embed *.sql
var FS embed.FS
