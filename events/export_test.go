package events

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
