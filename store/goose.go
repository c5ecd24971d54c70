package store

import (
	"io/fs"

	"github.com/pressly/goose/v3/lock"

	"github.com/shandong-emergency/chemguard/schemas"
)

func mustSub() fs.FS {
	sub, err := fs.Sub(schemas.Migrations, "migrations")
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
