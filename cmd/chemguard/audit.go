package main

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/shandong-emergency/chemguard/auth"
	"github.com/shandong-emergency/chemguard/sealed"
)

// auditCmd is `chemguard audit verify`: it recomputes the audit log's keyed
// chain and fails if any row was edited, inserted, removed or reordered without
// the audit key, and compares the log with the signed checkpoints in the data
// directory, so rows cut from the end fail too.
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

// keysFromEnv reads the audit and data keys and the checkpoint settings. With
// CHEMGUARD_PRODUCTION both keys must come from the environment (a secrets
// manager); otherwise a missing one is generated into the data directory by
// platform.Config.Validate.
func keysFromEnv(c *auth.Config) error {
	production := false
	if s := os.Getenv("CHEMGUARD_PRODUCTION"); s != "" {
		var err error
		if production, err = parseBool(s); err != nil {
			return fmt.Errorf("CHEMGUARD_PRODUCTION: %w", err)
		}
	}
	for _, k := range []struct {
		env string
		dst *[]byte
	}{{"CHEMGUARD_AUDIT_KEY", &c.Audit.Key}, {"CHEMGUARD_DATA_KEY", &c.DataKey}} {
		s := os.Getenv(k.env)
		if f := os.Getenv(k.env + "_FILE"); s == "" && f != "" { // a mounted secret (compose, Kubernetes)
			b, err := os.ReadFile(f)
			if err != nil {
				return fmt.Errorf("%s_FILE: %w", k.env, err)
			}
			s = string(b)
		}
		if s == "" {
			if production {
				return fmt.Errorf("%s is required with CHEMGUARD_PRODUCTION (32 bytes, e.g. `openssl rand -hex 32`)", k.env)
			}
			continue
		}
		key, err := sealed.ParseKey(s)
		if err != nil {
			return fmt.Errorf("%s: %w", k.env, err)
		}
		*k.dst = key
	}
	c.Audit.CheckpointFile = os.Getenv("CHEMGUARD_AUDIT_CHECKPOINT_FILE")
	if s := os.Getenv("CHEMGUARD_AUDIT_CHECKPOINT_ROWS"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return fmt.Errorf("CHEMGUARD_AUDIT_CHECKPOINT_ROWS: %w", err)
		}
		c.Audit.CheckpointRows = n
	}
	return nil
}
