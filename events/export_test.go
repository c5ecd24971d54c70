package events

import "slices"

// DecodeLayout exposes the fast path so tests can tell that real envelopes take it.
var DecodeLayout = decodeLayout

// DecodeWithEncodingJSON is Decode reading every record with json.Unmarshal, as it
// did before readFields.
func DecodeWithEncodingJSON(table, company string, rec []byte) (Event, error) {
	return decodeReadingRecords(readEncodingJSON, table, company, rec)
}

// DecodeFieldsOnly is Decode failing where readFields gives up instead of falling
// back to json.Unmarshal.
func DecodeFieldsOnly(table, company string, rec []byte) (Event, error) {
	return decodeReadingRecords(readFieldsOnly, table, company, rec)
}

func decodeReadingRecords(mode int, table, company string, rec []byte) (Event, error) {
	recordsRead = mode
	defer func() { recordsRead = readFieldsFirst }()
	return Decode(table, company, rec)
}

// FieldOf is fieldOf over fields with these keys: the index of the field key selects
// (-1: none) and whether a plain reading may go on.
func FieldOf(keys []string, key string) (int, bool) {
	fields := make([]recordField, len(keys))
	for i, k := range keys {
		fields[i] = recordField{key: k}
	}
	f, ok := fieldOf(fields, []byte(key))
	if f == nil {
		return -1, ok
	}
	return slices.IndexFunc(fields, func(x recordField) bool { return x.key == f.key }), ok
}
