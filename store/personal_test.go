package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/pgtest"
	"github.com/shandong-emergency/chemguard/schemas"
	"github.com/shandong-emergency/chemguard/sealed"
	"github.com/shandong-emergency/chemguard/store"
)

// Phone numbers reach the database sealed (through the sink, and by sealing
// what was stored before), read back masked, and open only with the data key.
func TestPersonalDataSealedAtRest(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.Pool(t)
	box, err := sealed.NewBox(sealed.NewRandomKey())
	require.NoError(t, err)
	assert.Equal(t, []string{"PRINCIPAL_MOBILE", "SAFETY_PRINCIPAL_MOBILE"}, store.PersonalFields(schemas.EnterpriseInfos).Names)
	assert.Equal(t, []string{"MAJOR_PERSON_MOBILE"}, store.PersonalFields(schemas.SpecialOperations).Names)

	// Stored before sealing existed: a regulator's mobile and a company's record.
	_, err = pool.Exec(ctx, `INSERT INTO users (username, password_hash, domain, mobile) VALUES ('lx', 'x', '370102', '13900001111')`)
	require.NoError(t, err)
	old := store.Version{MsgID: uuid.New(), Company: "C1", Key: "old", Version: 1, ReceivedAt: time.Now(),
		Doc: []byte(`{"ID":"old","PRINCIPAL":"李四","PRINCIPAL_MOBILE":"13800002222"}`)}
	require.NoError(t, store.NewExchange(pool).Apply(ctx, map[*schemas.Table][]store.Version{schemas.EnterpriseInfos: {old}}, nil))

	n, err := store.SealPersonalData(ctx, pool, box)
	require.NoError(t, err)
	assert.Equal(t, int64(3), n, "the user, the current record and its history")
	n, err = store.SealPersonalData(ctx, pool, box)
	require.NoError(t, err)
	assert.Zero(t, n, "nothing left to seal")

	// Through the sink with the data key.
	ex := store.NewSealedExchange(pool, box)
	fresh := store.Version{MsgID: uuid.New(), Company: "C1", Key: "new", Version: 1, ReceivedAt: time.Now(),
		Doc: []byte(`{"ID":"new","PRINCIPAL":"王五","PRINCIPAL_MOBILE":"13700003333"}`)}
	require.NoError(t, ex.Apply(ctx, map[*schemas.Table][]store.Version{schemas.EnterpriseInfos: {fresh}}, nil))

	var plain int
	require.NoError(t, pool.QueryRow(ctx, `SELECT
		(SELECT count(*) FROM users WHERE mobile LIKE '%13900001111%') +
		(SELECT count(*) FROM x_enterprise_info WHERE doc::text ~ '138000022|137000033') +
		(SELECT count(*) FROM x_enterprise_info_history WHERE doc::text ~ '138000022|137000033')`).Scan(&plain))
	assert.Zero(t, plain, "a phone number is stored in clear")

	got, err := ex.Get(ctx, schemas.EnterpriseInfos, "C1", "new")
	require.NoError(t, err)
	assert.Contains(t, string(got.Doc), `"PRINCIPAL_MOBILE":"13700003333"`, "the company reads its own record back whole")
	got, err = store.NewExchange(pool).Get(ctx, schemas.EnterpriseInfos, "C1", "new")
	require.NoError(t, err)
	assert.Contains(t, string(got.Doc), `"PRINCIPAL_MOBILE":"137****3333"`, "without the key: masked")
	var stored string
	require.NoError(t, pool.QueryRow(ctx, `SELECT doc->>'PRINCIPAL_MOBILE' FROM x_enterprise_info WHERE record_key = 'old'`).Scan(&stored))
	mobile, err := box.Open(schemas.EnterpriseInfos.SQLName()+".PRINCIPAL_MOBILE", stored)
	require.NoError(t, err)
	assert.Equal(t, "13800002222", mobile)
	require.NoError(t, pool.QueryRow(ctx, `SELECT mobile FROM users WHERE username = 'lx'`).Scan(&stored))
	mobile, err = box.Open(store.UsersMobileColumn, stored)
	require.NoError(t, err)
	assert.Equal(t, "13900001111", mobile)
}

// A rejected record is kept as evidence as it was sent, but its phone numbers
// are sealed like an accepted record's; a page shows them masked.
func TestRejectedRecordsKeepPhoneNumbersSealed(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.Pool(t)
	box, err := sealed.NewBox(sealed.NewRandomKey())
	require.NoError(t, err)
	bad := store.Rejection{MsgID: uuid.New(), Table: schemas.EnterpriseInfos.Slug, Company: "C1", ReceivedAt: time.Now(),
		Key: "r1", Errors: []byte(`[]`), Raw: `{"ID":"r1","PRINCIPAL_MOBILE":"13600004444","FOUND_DATE":"yesterday"}`}
	require.NoError(t, store.NewSealedExchange(pool, box).Apply(ctx, nil, []store.Rejection{bad}))
	var raw string
	require.NoError(t, pool.QueryRow(ctx, `SELECT raw FROM exchange_rejections WHERE record_key = 'r1'`).Scan(&raw))
	assert.NotContains(t, raw, "13600004444", "a rejected record's phone number is stored in clear")
	assert.Contains(t, raw, "yesterday", "the rest of the record is kept as sent")
	assert.Contains(t, sealed.DisplayText(raw[:len(raw)-5]), "136****4444", "shown masked, even cut short")
}
