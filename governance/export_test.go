package governance

import "encoding/json"

// WholeBaseChecks makes the next base check of every company of t a whole one, as
// every check was before they went incremental: the reference the incremental
// checks are compared with.
func WholeBaseChecks(t *Tracker) {
	for _, c := range t.cos {
		c.baseCurrent = false
	}
}

// DecodeChainWithEncodingJSON reads a 双重预防 record as decodeChain did before it
// read records field by field: json.Unmarshal into the same fields.
func DecodeChainWithEncodingJSON(table, company string, record []byte) (ChainRecord, error) {
	var r chainFields
	if err := json.Unmarshal(record, &r); err != nil {
		return ChainRecord{}, err
	}
	return r.record(table, company)
}

// MarshalFreshLayout1 writes a fresh part as it was stored before layout version 2.
func MarshalFreshLayout1(t *Tracker) []byte { return t.marshalFresh(1) }
