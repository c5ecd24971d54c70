// Package events owns the exchange records as they travel on the bus between
// ingest and the engines: the envelope of an accepted record and of a refused one,
// the topic names, the records both engines decode from an envelope, and the
// platform's intake clock the engines judge silence by. It is pure: no I/O, no
// clock reads.
package events

import (
	"encoding/json"
	"time"

	"github.com/google/uuid"

	"github.com/shandong-emergency/chemguard/schemas"
	"github.com/shandong-emergency/chemguard/validate"
)

// RejectionsTopic receives every refused record, as governance evidence.
const RejectionsTopic = "chemguard.exchange.rejections"

// Topics lists every topic the exchange path publishes to: one per table and the
// rejections.
func Topics() []string {
	out := []string{RejectionsTopic}
	for _, t := range schemas.Tables() {
		out = append(out, t.Topic())
	}
	return out
}

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
	// Source is the system that sent the record: SourceBase for the platform's hosted
	// base system (package enterprise, publishing as the company), "" for the
	// company's own system. Only the rollout tracking reads it; validation and every
	// engine treat both alike.
	Source string `json:"source,omitempty"`
}

// SourceBase marks a record the hosted base system published for the company.
const SourceBase = "base"

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
