package store

import (
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgtype"
)

// encodeUUIDsAsBytes makes m write a github.com/google/uuid UUID as the 16 bytes it
// is. Left alone, pgx sees a uuid.UUID as a driver.Valuer and encodes it through its
// text: Value() formats it, the binary encode of that string fails with an error
// formatted by fmt (%#v of the value), and pgx parses the text back into bytes:
// 1.4 µs and 20 allocations per id (BenchmarkEncodeUUID), 12 % of the served
// process's CPU at 20,000 readings/s, nearly all in the sink's stage COPY of each
// version's message id (docs/performance.md, "Message ids written as bytes").
func encodeUUIDsAsBytes(m *pgtype.Map) {
	m.TryWrapEncodePlanFuncs = append([]pgtype.TryWrapEncodePlanFunc{tryWrapGoogleUUID}, m.TryWrapEncodePlanFuncs...)
}

// tryWrapGoogleUUID hands a uuid.UUID on as pgtype.UUID, which every codec that
// takes a uuid (and, through its text, a text column) encodes directly.
func tryWrapGoogleUUID(value any) (pgtype.WrappedEncodePlanNextSetter, any, bool) {
	id, ok := value.(uuid.UUID)
	if !ok {
		return nil, nil, false
	}
	return &googleUUIDEncodePlan{}, pgtype.UUID{Bytes: id, Valid: true}, true
}

type googleUUIDEncodePlan struct{ next pgtype.EncodePlan }

func (p *googleUUIDEncodePlan) SetNext(next pgtype.EncodePlan) { p.next = next }

func (p *googleUUIDEncodePlan) Encode(value any, buf []byte) ([]byte, error) {
	return p.next.Encode(pgtype.UUID{Bytes: value.(uuid.UUID), Valid: true}, buf)
}
