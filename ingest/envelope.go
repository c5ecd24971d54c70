// Package ingest owns the exchange path: the HTTP endpoints companies post their
// tables to, their authentication, publishing to Kafka before the reply, and the sink
// consumer that writes what Kafka holds into PostgreSQL.
package ingest

import (
	"encoding/json"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/shandong-emergency/chemguard/validate"
)

// RejectionsTopic receives every refused record, as governance evidence.
const RejectionsTopic = "chemguard.exchange.rejections"

// Envelope is the Kafka value of one accepted record. Everything the sink needs to
// order and key the record is computed once, at ingest, so the sink never decodes
// the record itself.
type Envelope struct {
	MsgID      uuid.UUID       `json:"msg_id"`
	Table      string          `json:"table"`
	Company    string          `json:"company"`
	Key        string          `json:"key"`
	Deleted    bool            `json:"deleted"`
	EventTime  *time.Time      `json:"event_time,omitempty"`
	Version    int64           `json:"version"`
	ReceivedAt time.Time       `json:"received_at"`
	Record     json.RawMessage `json:"record"`
}

// RejectionEnvelope is the Kafka value of one refused record.
type RejectionEnvelope struct {
	MsgID      uuid.UUID             `json:"msg_id"`
	Table      string                `json:"table"`
	Company    string                `json:"company"`
	ReceivedAt time.Time             `json:"received_at"`
	Index      int                   `json:"index"`
	Key        string                `json:"key,omitempty"`
	Errors     []validate.FieldError `json:"errors"`
	Raw        string                `json:"raw"`
}

// maxRawEvidence bounds the copy of a refused record that is kept: enough to see
// every field, not a 5 MB image that was refused for its size.
const maxRawEvidence = 64 << 10

func evidence(raw []byte) string {
	if len(raw) <= maxRawEvidence {
		return string(raw)
	}
	return string(raw[:maxRawEvidence]) + "…(truncated)"
}

// versions hands out strictly increasing version numbers: receipt time in
// nanoseconds, bumped when two records arrive within the same nanosecond.
type versions struct{ last atomic.Int64 }

func (v *versions) next(now time.Time) int64 {
	n := now.UnixNano()
	for {
		last := v.last.Load()
		if n <= last {
			n = last + 1
		}
		if v.last.CompareAndSwap(last, n) {
			return n
		}
	}
}
