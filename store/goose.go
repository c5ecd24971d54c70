package store

import (
	"embed"
	"io/fs"

	"github.com/pressly/goose/v3/lock"
)

// Migrations holds every numbered SQL migration (pressly/goose format) of the
// platform, whichever package owns the tables: one folder, one version sequence,
// so the order of the schema's history is never split across packages.
//
//go:embed migrations/*.sql
var Migrations embed.FS

func mustSub() fs.FS {
	sub, err := fs.Sub(Migrations, "migrations")
	if err != nil {
		panic(err) // the embed pattern guarantees the folder
	}
	return sub
}

func mustLocker() lock.SessionLocker {
	l, err := lock.NewPostgresSessionLocker()
	if err != nil {
		panic(err)
	}
	return l
}
