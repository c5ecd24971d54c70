package ingest

// The message id scheme, for the external tests.
var (
	FactID      = factID
	ContentID   = contentID
	PriorFactID = priorFactID
)
