package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/shandong-emergency/chemguard/schemas"
	"github.com/shandong-emergency/chemguard/sealed"
)

// Contexts of the personal data outside the exchange records: users.mobile is
// sealed; warning_notifications.recipient holds a pseudonym (sealed.Box.Pseudonym),
// enough to tell who was already texted.
const (
	UsersMobileColumn           = "users.mobile"
	NotificationRecipientColumn = "warning_notifications.recipient"
)

// PersonalFields are the fields of t that hold personal data — the phone
// numbers of a company's principals and of special-operation leaders (the
// seed's phone-format fields) — which are stored sealed under the data key.
func PersonalFields(t *schemas.Table) sealed.Fields {
	f := sealed.Fields{Table: t.SQLName()}
	for _, fd := range t.Fields {
		if fd.Format == schemas.FormatPhone || fd.Format == schemas.FormatMobile {
			f.Names = append(f.Names, fd.ID)
		}
	}
	return f
}

// SealPersonalData seals the personal data stored before sealing existed (or
// by a process without the data key): regulators' mobiles in users, the phone
// fields of the exchange tables (current and history), and the numbers naming
// who was texted in warning_notifications (replaced by pseudonyms). Values already
// sealed are skipped, so it runs at every start and is cheap once done; it is
// the data half of the migration that introduced sealing (a SQL migration
// cannot do it: the database does not hold the key).
func SealPersonalData(ctx context.Context, pool *pgxpool.Pool, box *sealed.Box) (int64, error) {
	var n int64
	rows, err := pool.Query(ctx, `SELECT id, mobile FROM users WHERE mobile <> '' AND mobile NOT LIKE 'enc:v1:%'`)
	if err != nil {
		return 0, fmt.Errorf("store: seal users: %w", err)
	}
	type user struct {
		id     int64
		mobile string
	}
	users, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (user, error) {
		var u user
		return u, r.Scan(&u.id, &u.mobile)
	})
	if err != nil {
		return 0, fmt.Errorf("store: seal users: %w", err)
	}
	for _, u := range users {
		v, err := box.SealShown(UsersMobileColumn, u.mobile, sealed.MaskMobile(u.mobile))
		if err != nil {
			return n, err
		}
		if _, err := pool.Exec(ctx, `UPDATE users SET mobile = $2 WHERE id = $1 AND mobile = $3`, u.id, v, u.mobile); err != nil {
			return n, fmt.Errorf("store: seal users: %w", err)
		}
		n++
	}
	rows, err = pool.Query(ctx, `SELECT DISTINCT recipient FROM warning_notifications
		WHERE recipient <> '' AND recipient NOT LIKE '%'||$1||'%'`, sealed.PseudonymSeparator)
	if err != nil {
		return n, fmt.Errorf("store: pseudonymise notification recipients: %w", err)
	}
	plain, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return n, fmt.Errorf("store: pseudonymise notification recipients: %w", err)
	}
	for _, p := range plain {
		tag, err := pool.Exec(ctx, `UPDATE warning_notifications SET recipient = $2 WHERE recipient = $1`,
			p, box.Pseudonym(NotificationRecipientColumn, p))
		if err != nil {
			return n, fmt.Errorf("store: pseudonymise notification recipients: %w", err)
		}
		n += tag.RowsAffected()
	}
	for _, t := range schemas.Tables() {
		f := PersonalFields(t)
		if len(f.Names) == 0 {
			continue
		}
		for _, table := range []string{t.SQLName(), t.SQLName() + "_history"} {
			m, err := sealTable(ctx, pool, box, f, table)
			n += m
			if err != nil {
				return n, err
			}
		}
	}
	return n, nil
}

// sealTable seals f's fields in table, a batch at a time, by ctid so current
// and history tables (whose keys differ) go the same way.
func sealTable(ctx context.Context, pool *pgxpool.Pool, box *sealed.Box, f sealed.Fields, table string) (int64, error) {
	var n int64
	where := ""
	for i, name := range f.Names {
		if i > 0 {
			where += " OR "
		}
		where += fmt.Sprintf("(doc ? '%[1]s' AND doc->>'%[1]s' <> '' AND doc->>'%[1]s' NOT LIKE 'enc:v1:%%')", name)
	}
	for {
		rows, err := pool.Query(ctx, `SELECT tableoid::regclass::text, ctid::text, doc FROM `+pgx.Identifier{table}.Sanitize()+
			` WHERE `+where+` LIMIT 500`)
		if err != nil {
			return n, fmt.Errorf("store: seal %s: %w", table, err)
		}
		type row struct {
			rel, ctid string
			doc       []byte
		}
		batch, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (row, error) {
			var x row
			return x, r.Scan(&x.rel, &x.ctid, &x.doc)
		})
		if err != nil {
			return n, fmt.Errorf("store: seal %s: %w", table, err)
		}
		if len(batch) == 0 {
			return n, nil
		}
		for _, x := range batch {
			doc, err := box.SealDoc(f, x.doc)
			if err != nil {
				return n, err
			}
			if _, err := pool.Exec(ctx, `UPDATE `+x.rel+` SET doc = $2 WHERE ctid = $1::tid`, x.ctid, doc); err != nil {
				return n, fmt.Errorf("store: seal %s: %w", table, err)
			}
			n++
		}
	}
}
