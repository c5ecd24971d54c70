package audit

import (
	"bufio"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
)

// Checkpoint is the chain head at a moment, kept outside the database: the
// last row's sequence number and hash, MAC-signed with a key derived from the
// audit key so that neither the database's users nor someone who can edit the
// file without the key can forge one.
type Checkpoint struct {
	Seq  int64     `json:"seq"`
	Hash []byte    `json:"-"`
	At   time.Time `json:"at"`
}

type checkpointLine struct {
	Seq  int64  `json:"seq"`
	Hash string `json:"hash"`
	At   string `json:"at"`
	MAC  string `json:"mac"`
}

func checkpointMAC(key []byte, seq int64, hash, at string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("chemguard-audit-checkpoint\n" + strconv.FormatInt(seq, 10) + "\n" + hash + "\n" + at))
	return hex.EncodeToString(m.Sum(nil))
}

// ReadCheckpoints reads the checkpoint file at path ("" or a missing file: none)
// and checks every line's MAC, returning them in file order (two processes on
// one data directory may interleave, so sequence numbers need not grow; see
// Latest). A line that does not verify is reported in bad (the file was
// tampered with); err is for a file that cannot be read.
func ReadCheckpoints(path string, key []byte) (cps []Checkpoint, bad string, err error) {
	if path == "" {
		return nil, "", nil
	}
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, "", nil
	}
	if err != nil {
		return nil, "", fmt.Errorf("audit: checkpoints: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		n++
		if len(sc.Bytes()) == 0 {
			continue
		}
		var l checkpointLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			return nil, fmt.Sprintf("checkpoint file line %d is not a checkpoint", n), nil
		}
		if !hmac.Equal([]byte(l.MAC), []byte(checkpointMAC(key, l.Seq, l.Hash, l.At))) {
			return nil, fmt.Sprintf("checkpoint file line %d has a bad signature (edited, or another audit key)", n), nil
		}
		h, err1 := hex.DecodeString(l.Hash)
		at, err2 := time.Parse(time.RFC3339Nano, l.At)
		if err1 != nil || err2 != nil {
			return nil, fmt.Sprintf("checkpoint file line %d is not a checkpoint", n), nil
		}
		cps = append(cps, Checkpoint{Seq: l.Seq, Hash: h, At: at})
	}
	if err := sc.Err(); err != nil {
		return nil, "", fmt.Errorf("audit: checkpoints: %w", err)
	}
	return cps, "", nil
}

// Latest is the checkpoint of the highest row (zero when cps is empty).
func Latest(cps []Checkpoint) Checkpoint {
	var last Checkpoint
	for _, cp := range cps {
		if cp.Seq > last.Seq {
			last = cp
		}
	}
	return last
}

// Checkpoint appends the current head to the checkpoint file and logs it, when
// the head moved since the last checkpoint. Before writing it verifies the rows
// appended since that checkpoint, so a chain broken in the database is reported
// (an error) rather than endorsed. It returns the checkpoint written, or the
// last one when nothing changed.
func (l *Log) Checkpoint(ctx context.Context) (Checkpoint, error) {
	if l.cfg.CheckpointFile == "" {
		return Checkpoint{}, nil
	}
	cps, bad, err := ReadCheckpoints(l.cfg.CheckpointFile, l.cpKey)
	if err != nil {
		return Checkpoint{}, err
	}
	if bad != "" {
		return Checkpoint{}, fmt.Errorf("audit: checkpoint file %s: %s", l.cfg.CheckpointFile, bad)
	}
	last := Latest(cps)
	l.appended.Store(0)
	var head Record
	err = l.pool.QueryRow(ctx, `SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1`).Scan(&head.Seq, &head.Hash)
	if errors.Is(err, pgx.ErrNoRows) {
		head = Record{}
	} else if err != nil {
		return last, fmt.Errorf("audit: checkpoint head: %w", err)
	}
	if head.Seq < last.Seq {
		return last, fmt.Errorf("audit: the log ends at row %d but was checkpointed at row %d: rows were removed", head.Seq, last.Seq)
	}
	if head.Seq == last.Seq {
		if head.Seq > 0 && !hmac.Equal(head.Hash, last.Hash) {
			return last, fmt.Errorf("audit: row %d differs from its checkpoint", head.Seq)
		}
		return last, nil
	}
	if err := l.verifySince(ctx, last, head.Seq); err != nil {
		return last, err
	}
	cp := Checkpoint{Seq: head.Seq, Hash: head.Hash, At: l.now().UTC()}
	if err := appendCheckpoint(l.cfg.CheckpointFile, l.cpKey, cp); err != nil {
		return last, err
	}
	l.cfg.Logger.Info("audit checkpoint", "seq", cp.Seq, "hash", hex.EncodeToString(cp.Hash), "at", cp.At.Format(time.RFC3339))
	return cp, nil
}

// verifySince checks the rows after the checkpoint up to row to.
func (l *Log) verifySince(ctx context.Context, from Checkpoint, to int64) error {
	prev := from.Hash
	if from.Seq == 0 {
		prev = make([]byte, sha256.Size)
	}
	after := from.Seq
	for after < to {
		rows, err := l.pool.Query(ctx, `SELECT `+columns+` FROM audit_log WHERE seq > $1 AND seq <= $2 ORDER BY seq LIMIT 5000`, after, to)
		if err != nil {
			return fmt.Errorf("audit: checkpoint verify: %w", err)
		}
		recs, err := scan(rows)
		if err != nil {
			return err
		}
		if len(recs) == 0 {
			return fmt.Errorf("audit: rows after %d are missing", after)
		}
		for _, r := range recs {
			if r.Seq != after+1 || !hmac.Equal(r.PrevHash, prev) || !hmac.Equal(Hash(l.chainKey, prev, r), r.Hash) {
				return fmt.Errorf("audit: the chain does not hold at row %d: not checkpointing it", r.Seq)
			}
			prev, after = r.Hash, r.Seq
		}
	}
	return nil
}

func appendCheckpoint(path string, key []byte, cp Checkpoint) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("audit: checkpoint dir: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("audit: checkpoint file: %w", err)
	}
	defer f.Close()
	hash, at := hex.EncodeToString(cp.Hash), cp.At.UTC().Format(time.RFC3339Nano)
	b, err := json.Marshal(checkpointLine{Seq: cp.Seq, Hash: hash, At: at, MAC: checkpointMAC(key, cp.Seq, hash, at)})
	if err != nil {
		return fmt.Errorf("audit: checkpoint: %w", err)
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("audit: checkpoint write: %w", err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("audit: checkpoint sync: %w", err)
	}
	return nil
}

// RunCheckpoints writes a checkpoint every CheckpointEvery, as soon as
// CheckpointRows rows were appended, and once more when ctx ends. A failure
// (the chain broken, rows removed) is logged as an error each time it is seen.
func (l *Log) RunCheckpoints(ctx context.Context) {
	if l.cfg.CheckpointFile == "" {
		return
	}
	t := time.NewTicker(l.cfg.CheckpointEvery)
	defer t.Stop()
	check := func(ctx context.Context) {
		if _, err := l.Checkpoint(ctx); err != nil && ctx.Err() == nil {
			l.cfg.Logger.Error("audit checkpoint refused", "err", err)
		}
	}
	check(ctx)
	for {
		select {
		case <-ctx.Done():
			// A last checkpoint at shutdown; the pool may already be closing, so
			// a failure here is not an alarm.
			fctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			if _, err := l.Checkpoint(fctx); err != nil {
				l.cfg.Logger.Warn("audit checkpoint at shutdown skipped", "err", err)
			}
			cancel()
			return
		case <-t.C:
			check(ctx)
		case <-l.wake:
			check(ctx)
		}
	}
}
