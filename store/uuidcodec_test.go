package store

import (
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/stretchr/testify/require"
)

// A uuid.UUID is written as its 16 bytes where a uuid is taken, and as its canonical
// text where text is — what pgx wrote through the value's text before, without the
// detour; a pointer to one and a slice of them too.
func TestUUIDsEncodedAsBytes(t *testing.T) {
	m := pgtype.NewMap()
	encodeUUIDsAsBytes(m)
	id := uuid.MustParse("0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b")

	b, err := m.Encode(pgtype.UUIDOID, pgtype.BinaryFormatCode, id, nil)
	require.NoError(t, err)
	require.Equal(t, id[:], b)
	b, err = m.Encode(pgtype.UUIDOID, pgtype.BinaryFormatCode, &id, nil)
	require.NoError(t, err)
	require.Equal(t, id[:], b)
	b, err = m.Encode(pgtype.UUIDOID, pgtype.TextFormatCode, id, nil)
	require.NoError(t, err)
	require.Equal(t, id.String(), string(b))
	b, err = m.Encode(pgtype.TextOID, pgtype.TextFormatCode, id, nil)
	require.NoError(t, err)
	require.Equal(t, id.String(), string(b))
	b, err = m.Encode(pgtype.TextOID, pgtype.BinaryFormatCode, id, nil)
	require.NoError(t, err)
	require.Equal(t, id.String(), string(b))

	plain := pgtype.NewMap() // pgx's own route, for the array's expected bytes
	want, err := plain.Encode(pgtype.UUIDArrayOID, pgtype.BinaryFormatCode, []uuid.UUID{id, uuid.Nil}, nil)
	require.NoError(t, err)
	got, err := m.Encode(pgtype.UUIDArrayOID, pgtype.BinaryFormatCode, []uuid.UUID{id, uuid.Nil}, nil)
	require.NoError(t, err)
	require.Equal(t, want, got)
}

// BenchmarkEncodeUUID is one message id in the sink's stage COPY, through pgx's
// route for a driver.Valuer and through encodeUUIDsAsBytes.
//
//	go test ./store -run '^$' -bench EncodeUUID
func BenchmarkEncodeUUID(b *testing.B) {
	id := uuid.New()
	for _, c := range []struct {
		name  string
		bytes bool
	}{{"valuer", false}, {"bytes", true}} {
		b.Run(c.name, func(b *testing.B) {
			m := pgtype.NewMap()
			if c.bytes {
				encodeUUIDsAsBytes(m)
			}
			buf := make([]byte, 0, 64)
			b.ReportAllocs()
			for range b.N {
				var err error
				if buf, err = m.Encode(pgtype.UUIDOID, pgtype.BinaryFormatCode, id, buf[:0]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
