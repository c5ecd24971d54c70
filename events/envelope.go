// Package events owns the exchange records as they travel on the bus between
// ingest and the engines: the envelope of an accepted record and of a refused one,
// the topic names, the records both engines decode from an envelope, and the
// platform's intake clock the engines judge silence by. It is pure: no I/O, no
// clock reads.
package events

import (
	"encoding/json"
	"errors"
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

// Envelope is the Kafka value of one accepted record: its Head, then the record as
// ingest wrote it, then the sending system. Everything the sink needs to order and
// key the record is in the head, computed once at ingest, so no consumer decodes the
// record to place it.
type Envelope struct {
	Head
	Record json.RawMessage `json:"record"`
	// Source is the system that sent the record: SourceBase for the platform's hosted
	// base system (package enterprise, publishing as the company), "" for the
	// company's own system. Only the rollout tracking reads it; validation and every
	// engine treat both alike.
	Source string `json:"source,omitempty"`
}

// Head is what an envelope says about its record. Its fields come first in the
// message, in this order: Marshal has encoding/json write them.
type Head struct {
	MsgID     uuid.UUID  `json:"msg_id"`
	Table     string     `json:"table"`
	Company   string     `json:"company"`
	Key       string     `json:"key"`
	Deleted   bool       `json:"deleted"`
	EventTime *time.Time `json:"event_time,omitempty"`
	// Version orders the versions of one key; ingest hands them out increasing.
	Version    int64     `json:"version"`
	ReceivedAt time.Time `json:"received_at"`
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

// Marshal encodes the envelope as json.Marshal does, byte for byte, when Record is
// compact JSON as json.Marshal writes it (ingest's records are): the record is
// appended as it is instead of being scanned and compacted again, which costs more
// than the rest of the envelope. Record must be valid JSON: it is not checked here
// (ingest writes it with json.Marshal a moment before).
func (e *Envelope) Marshal() ([]byte, error) {
	head, err := json.Marshal(&e.Head)
	if err != nil {
		return nil, err
	}
	if len(e.Record) == 0 {
		return nil, errors.New("events: envelope without a record")
	}
	var source []byte
	if e.Source != "" {
		if source, err = json.Marshal(e.Source); err != nil {
			return nil, err
		}
	}
	out := make([]byte, 0, len(head)+len(`,"record":`)+len(e.Record)+len(`,"source":`)+len(source)+1)
	out = append(out, head[:len(head)-1]...)
	out = append(out, `,"record":`...)
	out = append(out, e.Record...)
	if source != nil {
		out = append(out, `,"source":`...)
		out = append(out, source...)
	}
	return append(out, '}'), nil
}
