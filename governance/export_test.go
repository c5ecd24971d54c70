package governance

// WholeBaseChecks makes the next base check of every company of t a whole one, as
// every check was before they went incremental: the reference the incremental
// checks are compared with.
func WholeBaseChecks(t *Tracker) {
	for _, c := range t.cos {
		c.baseCurrent = false
	}
}
