package opscmd

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"

	"github.com/shandong-emergency/chemguard/platform"
)

// Audit is `chemguard audit verify`: it recomputes the audit log's keyed
// chain and fails if any row was edited, inserted, removed or reordered without
// the audit key, and compares the log with the signed checkpoints in the data
// directory, so rows cut from the end fail too.
func Audit(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "verify" {
		return errors.New("audit: verify")
	}
	svc, closeDB, err := withConfig(ctx, platform.OpenAccess)
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
	fmt.Fprintf(stdout, "audit log intact: %d rows (%d unkeyed from before the audit key), last hash %s\n",
		v.Rows, v.LegacyRows, hex.EncodeToString(v.LastHash))
	if v.Checkpoints == 0 {
		fmt.Fprintln(stdout, "no checkpoints found: a cut tail cannot be detected (is CHEMGUARD_DATA_DIR the server's?)")
	} else {
		fmt.Fprintf(stdout, "matches %d checkpoint(s); the last at row %d (%s)\n", v.Checkpoints, v.LastCheckpoint.Seq,
			v.LastCheckpoint.At.Format("2006-01-02 15:04:05Z07:00"))
	}
	return nil
}
