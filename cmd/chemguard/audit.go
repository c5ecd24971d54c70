package main

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
)

// auditCmd is `chemguard audit verify`: it recomputes the audit log's hash
// chain and fails if any row was edited, inserted, removed or reordered. Rows
// cut from the end leave a valid shorter chain: compare the printed last hash
// with one kept outside the database to catch that.
func auditCmd(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "verify" {
		return errors.New("audit: verify")
	}
	svc, closeDB, err := openAccess(ctx)
	if err != nil {
		return err
	}
	defer closeDB()
	v, err := svc.Audit.Verify(ctx)
	if err != nil {
		return err
	}
	if !v.OK() {
		return fmt.Errorf("audit verify: chain broken at row %d: %s (%d rows before it verified)", v.BadSeq, v.Problem, v.Rows)
	}
	fmt.Fprintf(stdout, "audit log intact: %d rows, last hash %s\n", v.Rows, hex.EncodeToString(v.LastHash))
	return nil
}
