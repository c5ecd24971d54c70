package events_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/events"
)

// Envelope.Marshal writes what json.Marshal writes, byte for byte, so the messages
// already in Kafka and the new ones read alike.
func TestEnvelopeMarshalMatchesEncodingJSON(t *testing.T) {
	at := time.Date(2021, 6, 1, 8, 0, 0, 123456789, time.FixedZone("CST", 8*3600))
	record := func(v map[string]any) json.RawMessage {
		b, err := json.Marshal(v)
		require.NoError(t, err)
		return b
	}
	for name, e := range map[string]events.Envelope{
		"plain": {Head: events.Head{MsgID: uuid.New(), Table: "sensor-readings", Company: "370102001", Key: "P1", Version: 7,
			ReceivedAt: at}, Record: record(map[string]any{"INDICATOR_CODE": "P1", "VALUE": "1.5"})},
		"deleted with event time and source": {Head: events.Head{MsgID: uuid.New(), Table: "hidden-dangers", Company: "370102001",
			Key: "a<b>&c", Deleted: true, EventTime: &at, Version: 1 << 40, ReceivedAt: at.UTC()}, Source: events.SourceBase,
			Record: record(map[string]any{"DANGER_NAME": "液位计<失灵>&\u2028", "N": 1.5e300, "L": []any{nil, true}})},
		"escapes in the header": {Head: events.Head{MsgID: uuid.Nil, Table: "t", Company: "\"\\\u2029\x01", Key: ""},
			Record: json.RawMessage(`{}`), Source: "<base>"},
	} {
		t.Run(name, func(t *testing.T) {
			want, err := json.Marshal(e)
			require.NoError(t, err)
			got, err := e.Marshal()
			require.NoError(t, err)
			require.Equal(t, string(want), string(got))
			var back events.Envelope
			require.NoError(t, json.Unmarshal(got, &back))
			require.Equal(t, string(e.Record), string(back.Record))
		})
	}
	_, err := (&events.Envelope{}).Marshal()
	require.Error(t, err, "an envelope without its record")
}
