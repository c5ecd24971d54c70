package main

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"

	"github.com/shandong-emergency/chemguard/audit"
	"github.com/shandong-emergency/chemguard/store"
)

// auditCmd is `chemguard audit verify`: it recomputes the audit log's hash
// chain and fails if any row was edited, removed or reordered.
func auditCmd(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "verify" {
		return errors.New("audit: verify")
	}
	cfg, err := configFromEnv()
	if err != nil {
		return err
	}
	pool, err := store.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer pool.Close()
	v, err := audit.NewLog(pool, nil).Verify(ctx)
	if err != nil {
		return err
	}
	if !v.OK() {
		return fmt.Errorf("audit verify: chain broken at row %d: %s (%d rows before it verified)", v.BadSeq, v.Problem, v.Rows)
	}
	fmt.Fprintf(stdout, "audit log intact: %d rows, last hash %s\n", v.Rows, hex.EncodeToString(v.LastHash))
	return nil
}
