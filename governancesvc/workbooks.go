package governancesvc

import (
	"bytes"
	"container/list"
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/shandong-emergency/chemguard/readmodel"
)

// WorkbookCacheSize bounds how many final days' Excel reports a Handler keeps
// (a province workbook of 500 companies is about 100 kB).
const WorkbookCacheSize = 32

type workbookKey struct{ region, level, day, config string }

type workbook struct {
	key  workbookKey
	data []byte
}

// workbooks keeps the Excel reports of final days, the least recently used dropped
// first: a final day's report never changes, so a repeated download is a copy.
type workbooks struct {
	mu    sync.Mutex
	max   int
	order *list.List // of *workbook, most recently used first
	items map[workbookKey]*list.Element
}

func newWorkbooks(max int) *workbooks {
	return &workbooks{max: max, order: list.New(), items: map[workbookKey]*list.Element{}}
}

func (c *workbooks) get(k workbookKey) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.items[k]
	if !ok {
		return nil, false
	}
	c.order.MoveToFront(e)
	return e.Value.(*workbook).data, true
}

func (c *workbooks) put(k workbookKey, data []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.items[k]; ok {
		e.Value.(*workbook).data = data
		c.order.MoveToFront(e)
		return
	}
	c.items[k] = c.order.PushFront(&workbook{key: k, data: data})
	for c.order.Len() > c.max {
		last := c.order.Back()
		c.order.Remove(last)
		delete(c.items, last.Value.(*workbook).key)
	}
}

func (c *workbooks) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}

// dayFinal reports whether region r's scores of day are final (the day ended and
// was finalised): its report no longer changes.
func (h *Handler) dayFinal(ctx context.Context, r readmodel.Region, day time.Time) (bool, error) {
	var final bool
	err := h.svc.pool.QueryRow(ctx, `SELECT final FROM governance_region_scores
		WHERE day = $1::date AND level = $2 AND region = $3`, dayString(day), r.Level, r.Code).Scan(&final)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("quality: is the day final: %w", err)
	}
	return final, nil
}

// XLSX returns region r's daily report of day as an Excel workbook: a final day's
// is built once and then served from memory (keyed by region, day and rules
// version); today's and any other provisional day's are built each time.
func (h *Handler) XLSX(ctx context.Context, r readmodel.Region, day time.Time) ([]byte, error) {
	key := workbookKey{region: r.Code, level: r.Level, day: dayString(day), config: h.svc.cfg.Rules.Version}
	if data, ok := h.books.get(key); ok {
		return data, nil
	}
	final, err := h.dayFinal(ctx, r, day) // before building: a report built after this is final too
	if err != nil {
		return nil, err
	}
	v, err := h.Report(ctx, r, day)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := WriteXLSX(&buf, v, &h.svc.cfg.Rules); err != nil {
		return nil, fmt.Errorf("quality: report workbook: %w", err)
	}
	if final {
		h.books.put(key, buf.Bytes())
	}
	return buf.Bytes(), nil
}
