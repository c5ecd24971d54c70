// Package readmodel answers the questions the user interfaces (the portal, the
// inspectors' app) share: lists and details of companies, warnings and data quality
// of a tiers.Scope, as plain structs that no HTTP framework shapes.
//
// SQL lives in the package that owns the tables: writes and the questions one
// service asks of its own tables stay there. Cross-domain reads for the UIs — a
// warning with its company's name, a company with its open warnings, a region's
// figures — live here, one query type per domain (Companies, Warnings, Quality),
// so two UIs never hold two copies of the same query and neither imports the
// other. Every list takes the caller's scope and filters by it in SQL; a method
// that takes a single company code or id does not authorize: the caller has
// checked the resource's path first.
package readmodel

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/shandong-emergency/chemguard/sealed"
	"github.com/shandong-emergency/chemguard/tiers"
)

// db is the pool and the query helpers every query type shares.
type db struct {
	pool *pgxpool.Pool
}

// Doc is one exchange record, keys exactly the seed's.
type Doc map[string]any

func decodeDoc(raw []byte) Doc {
	if raw == nil {
		return nil
	}
	d := Doc{}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&d); err != nil {
		return Doc{}
	}
	for k, v := range d { // personal data is stored sealed: pages show its masked form
		if s, ok := v.(string); ok && sealed.IsSealed(s) {
			d[k] = sealed.Display(s)
		}
	}
	return d
}

// countAsync runs a list's count on another connection while the caller reads the
// page, so the two scans overlap; the returned func waits for the count. It
// always finishes (the channel is buffered), whether or not it is waited for.
func (s db) countAsync(ctx context.Context, sql string, args ...any) func() (int, error) {
	args = slices.Clone(args)
	type result struct {
		n   int
		err error
	}
	ch := make(chan result, 1)
	go func() {
		var r result
		r.err = s.pool.QueryRow(ctx, sql, args...).Scan(&r.n)
		ch <- r
	}()
	return func() (int, error) { r := <-ch; return r.n, r.err }
}

// page reads one page of a list — SELECT cols from ORDER BY order, at offset, at
// most limit rows, each read by scan — and counts the whole list (SELECT count(*)
// from) meanwhile on another connection; both take args. what names the list in
// errors.
func page[T any](ctx context.Context, s db, what, cols, from, order string, args []any, offset, limit int,
	scan func(pgx.CollectableRow) (T, error)) ([]T, int, error) {
	count := s.countAsync(ctx, `SELECT count(*) `+from, args...)
	n := len(args)
	rows, err := s.pool.Query(ctx, `SELECT `+cols+` `+from+` ORDER BY `+order+
		` LIMIT $`+strconv.Itoa(n+1)+` OFFSET $`+strconv.Itoa(n+2), append(slices.Clip(args), limit, offset)...)
	if err != nil {
		return nil, 0, fmt.Errorf("readmodel: %s: %w", what, err)
	}
	out, err := pgx.CollectRows(rows, scan)
	if err != nil {
		return nil, 0, fmt.Errorf("readmodel: %s: %w", what, err)
	}
	total, err := count()
	if err != nil {
		return nil, 0, fmt.Errorf("readmodel: count %s: %w", what, err)
	}
	return out, total, nil
}

// likePattern escapes q for ILIKE '%q%'.
func likePattern(q string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(q) + "%"
}

func (s db) group(ctx context.Context, into *map[string]int, sql string, args ...any) error {
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return fmt.Errorf("readmodel: group: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var k *string
		var n int
		if err := rows.Scan(&k, &n); err != nil {
			return fmt.Errorf("readmodel: group: %w", err)
		}
		if k != nil {
			(*into)[*k] = n
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("readmodel: group: %w", err)
	}
	return nil
}

func (s db) docs(ctx context.Context, sql string, args ...any) ([]Doc, error) {
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("readmodel: query: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Doc, error) {
		var raw []byte
		err := r.Scan(&raw)
		return decodeDoc(raw), err
	})
	if err != nil {
		return nil, fmt.Errorf("readmodel: query: %w", err)
	}
	return out, nil
}

// RegionName is the Chinese name of a domain: a division's name (a county's with
// its city's), 化工园区 CODE or 企业 CODE.
func RegionName(domain string) string {
	switch {
	case strings.HasPrefix(domain, "park:"):
		return "化工园区 " + strings.TrimPrefix(domain, "park:")
	case strings.HasPrefix(domain, "ent:"):
		return "企业 " + strings.TrimPrefix(domain, "ent:")
	}
	if d, ok := tiers.DivisionByCode(domain); ok {
		if d.Level == tiers.County {
			if parent, ok := tiers.DivisionByCode(d.ParentCode); ok {
				return parent.NameZH + d.NameZH
			}
		}
		return d.NameZH
	}
	return domain
}
