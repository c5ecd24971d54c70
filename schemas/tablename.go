package schemas

// SQLName is the table name of an exchange table's current state ("x_hidden_dangers");
// its history is SQLName + "_history". The names are fixed by the migrations.
func (t *Table) SQLName() string {
	b := []byte("x_" + t.Slug)
	for i, c := range b {
		if c == '-' {
			b[i] = '_'
		}
	}
	return string(b)
}
