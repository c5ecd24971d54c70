package enterprise

import "fmt"

// Where builds a list query's filter: conditions AND-ed onto a query whose
// own parameters come first, each condition numbering its one parameter in
// turn. The modules' list pages offer optional filters (period, type, state…);
// a filter the user left empty adds nothing.
type Where struct {
	SQL  string // the query so far
	Args []any  // its parameters, $1 first
}

// NewWhere starts from q (ending in a WHERE clause) and q's own parameters.
func NewWhere(q string, args ...any) *Where { return &Where{SQL: q, Args: args} }

// If adds " AND cond" when set, cond naming its parameter $%d, bound to v.
func (w *Where) If(set bool, cond string, v any) {
	if !set {
		return
	}
	w.Args = append(w.Args, v)
	w.SQL += fmt.Sprintf(" AND "+cond, len(w.Args))
}
