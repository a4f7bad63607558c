// Package migrations holds the goose SQL migrations, embedded so the binary and the tests apply
// exactly the files in this directory.
package migrations

import "embed"

// FS holds every migration of the service.
//
//go:embed *.sql
var FS embed.FS
