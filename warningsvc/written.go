package warningsvc

import (
	"crypto/sha256"
	"sync"

	"github.com/shandong-emergency/chemguard/warning"
)

// A transaction that stores a company writes its active alarms and open warnings as
// they are now (writer.current): an alarm's peak and a warning's factors move without
// a reported change. Written whole at every transaction, that was every active alarm
// of the company at every batch of its readings — at 20,000 readings/s with 1,300
// alarms active, 1,000 alarm rows rewritten a second, none of them heap-only (their
// indexes hold written_xid), each read back and decoded by the governance consumer's
// feed, for rows that had not changed (docs/performance.md, "Alarms and warnings
// written when they change"). Now a row goes only when it differs from what this
// process last wrote of it.

// written is what this process last wrote, and committed, of each company's active
// alarms and open warnings: a copy of each active alarm (its strings shared with the
// engine's) and 32 bytes per open warning, so a few hundred bytes per active alarm.
type written struct {
	mu        sync.Mutex
	byCompany map[string]companyRows
}

// companyRows are a company's active alarms and open warnings as written from one
// copy of its engine. They hold only for that copy: a copy loaded again (another
// process wrote the company, or a transaction failed and dropped it) may come with
// rows another process wrote, so it starts with nothing remembered and writes all.
type companyRows struct {
	engine   *warning.Engine
	alarms   map[string]warning.Alarm // by alarm id, as written
	warnings map[string][32]byte      // by warning id, the hash of the doc written (it holds every column)
}

// of returns what was written of code from engine e (nothing for another copy).
func (w *written) of(code string, e *warning.Engine) companyRows {
	w.mu.Lock()
	defer w.mu.Unlock()
	if r := w.byCompany[code]; r.engine == e {
		return r
	}
	return companyRows{}
}

// committed records what a committed transaction wrote: next holds every active
// alarm and open warning of each company it stored; a company it wrote rows of
// without storing it (none today) is forgotten, so its next transaction writes all.
func (w *written) committed(next map[string]companyRows, touched map[string]bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.byCompany == nil {
		w.byCompany = map[string]companyRows{}
	}
	for code, r := range next {
		w.byCompany[code] = r
	}
	for code := range touched {
		if _, ok := next[code]; !ok {
			delete(w.byCompany, code)
		}
	}
}

// docHash is what a warning's row is compared by: its doc holds every column.
func docHash(doc []byte) [32]byte { return sha256.Sum256(doc) }
