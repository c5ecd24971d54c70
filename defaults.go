package chemguard

// Number is what a component's Config counts in: counts, bytes, durations.
type Number interface {
	~int | ~int64 | ~float64
}

// Default sets *v to def when it is zero or negative. Every component's Config
// leaves a setting unset as its zero value and fills it this way in its
// constructor, so the rule for "unset" is the same everywhere.
func Default[T Number](v *T, def T) {
	if *v <= 0 {
		*v = def
	}
}
