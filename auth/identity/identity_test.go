package identity_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard"
	"github.com/shandong-emergency/chemguard/auth/identity"
	"github.com/shandong-emergency/chemguard/auth/policy"
)

const ip = "203.0.113.9"

// Each wrong password is counted before it is checked; the MaxFailures-th locks
// the account for LockoutDuration (the right password included), and a success
// before that clears the count.
func TestLoginFailuresLockTheAccount(t *testing.T) {
	w := newWorld(t, identity.Config{})
	w.addUser("lx_staff", policy.CountyStaff, "370102")
	ctx := context.Background()
	failures := func() int { return w.count(`SELECT failed_logins FROM users WHERE username = 'lx_staff'`) }

	for i := 0; i < identity.DefaultMaxFailures-1; i++ {
		_, err := w.svc.Login(ctx, "lx_staff", "Wrong-guess-7", "", ip)
		require.Error(t, err)
	}
	assert.Equal(t, identity.DefaultMaxFailures-1, failures())
	w.login("lx_staff")
	assert.Zero(t, failures(), "a success clears the count")

	for i := 0; i < identity.DefaultMaxFailures; i++ {
		_, err := w.svc.Login(ctx, "lx_staff", "Wrong-guess-7", "", ip)
		require.Error(t, err)
	}
	_, err := w.svc.Login(ctx, "lx_staff", testPassword, "", ip)
	require.Error(t, err, "locked: the right password is refused")
	w.clock.Add(identity.DefaultLockoutDuration - time.Minute)
	_, err = w.svc.Login(ctx, "lx_staff", testPassword, "", ip)
	require.Error(t, err, "still locked a minute before the end")
	w.clock.Add(2 * time.Minute)
	w.login("lx_staff")

	assert.Equal(t, 2*identity.DefaultMaxFailures-1, w.failed("lx_staff", "bad_password"))
	assert.Equal(t, 2, w.failed("lx_staff", "locked"))
	assert.Equal(t, 2*identity.DefaultMaxFailures+1, w.failed("lx_staff", ""))
	assert.Equal(t, 1, w.count(`SELECT count(*) FROM audit_log WHERE action = 'lockout' AND actor = 'lx_staff'`))
}

// Guesses in parallel are counted in one statement each: exactly MaxFailures
// of them get their password checked, however many arrive at once.
func TestParallelGuessesAreCountedAtomically(t *testing.T) {
	w := newWorld(t, identity.Config{})
	w.addUser("lx_staff", policy.CountyStaff, "370102")
	const guesses = 30
	var wg sync.WaitGroup
	errs := make(chan error, guesses)
	for i := 0; i < guesses; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := w.svc.Login(context.Background(), "lx_staff", "Wrong-guess-7", "", ip)
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.Error(t, err)
	}
	assert.Equal(t, identity.DefaultMaxFailures, w.failed("lx_staff", "bad_password"))
	assert.Equal(t, guesses-identity.DefaultMaxFailures, w.failed("lx_staff", "locked"))
	assert.Equal(t, guesses, w.failed("lx_staff", ""))
	assert.Equal(t, identity.DefaultMaxFailures, w.count(`SELECT failed_logins FROM users WHERE username = 'lx_staff'`))
}

// Every refusal at login is the same error, whatever the reason; only the
// audit log tells them apart.
func TestLoginRefusalsAreOneGenericError(t *testing.T) {
	w := newWorld(t, identity.Config{})
	ctx := context.Background()
	w.addUser("lx_staff", policy.CountyStaff, "370102")
	w.addUser("lx_locked", policy.CountyStaff, "370102")
	w.addUser("lx_disabled", policy.CountyStaff, "370102")
	w.addUser("secadmin", policy.SecurityAdmin, "370000")
	for i := 0; i < identity.DefaultMaxFailures; i++ {
		_, _ = w.svc.Login(ctx, "lx_locked", "Wrong-guess-7", "", ip)
	}
	require.NoError(t, w.svc.SetDisabled(ctx, "lx_disabled", true, identity.Actor{Name: "cli:test"}))

	var first *chemguard.Error
	for _, tt := range []struct{ name, user, password, otp, reason string }{
		{"unknown user", "nobody", testPassword, "", "unknown_user"},
		{"wrong password", "lx_staff", "Wrong-guess-7", "", "bad_password"},
		{"locked", "lx_locked", testPassword, "", "locked"},
		{"disabled", "lx_disabled", testPassword, "", "disabled"},
		{"code missing", "secadmin", testPassword, "", "totp_missing"},
		{"wrong code", "secadmin", testPassword, "000000", "bad_totp"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s, err := w.svc.Login(ctx, tt.user, tt.password, tt.otp, ip)
			require.Nil(t, s)
			var ce *chemguard.Error
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, chemguard.EUnauthorized, ce.Code)
			if first == nil {
				first = ce
			}
			assert.Equal(t, first.MessageZH, ce.MessageZH)
			assert.Equal(t, first.MessageEN, ce.MessageEN)
			assert.Nil(t, ce.Details)
			assert.Equal(t, 1, w.failed(tt.user, tt.reason), "the audit log keeps the reason")
		})
	}
}

// Passwords are checked against the policy (length, classes, the common-password
// list, the username) wherever they are set: at creation and when changed.
func TestPasswordPolicyOnCreateAndChange(t *testing.T) {
	w := newWorld(t, identity.Config{})
	ctx := context.Background()
	for _, tt := range []struct{ user, pw string }{
		{"weak1", "password"},         // one class
		{"weak2", "Admin@123"},        // on the common-password list
		{"zhangwei", "Zhangwei@2026"}, // the username inside
		{"weak3", "Ab1!"},             // short
	} {
		_, err := w.svc.CreateUser(ctx, identity.NewUser{Username: tt.user, Password: tt.pw, Role: policy.CountyStaff,
			Domain: "370102"}, identity.Actor{Name: "cli:test"})
		assert.ErrorIs(t, err, identity.ErrWeakPassword, tt.pw)
	}
	assert.Zero(t, w.count(`SELECT count(*) FROM users`), "no weak account was created")

	w.addUser("lx_staff", policy.CountyStaff, "370102")
	tok, other := w.login("lx_staff"), w.login("lx_staff")
	const next = "Hx7$kQ9mZ2-new"
	err := w.svc.ChangePassword(ctx, tok, "Wrong-guess-7", next, ip)
	assert.Equal(t, chemguard.EInvalid, chemguard.ErrorCode(err), "the current password is needed: %v", err)
	assert.ErrorIs(t, w.svc.ChangePassword(ctx, tok, testPassword, "P@ssw0rd", ip), identity.ErrWeakPassword)
	err = w.svc.ChangePassword(ctx, tok, testPassword, testPassword, ip)
	assert.Equal(t, chemguard.EInvalid, chemguard.ErrorCode(err), "the same one: %v", err)
	require.NoError(t, w.svc.ChangePassword(ctx, tok, testPassword, next, ip))

	_, err = w.svc.Authenticate(ctx, tok)
	assert.NoError(t, err, "the changing session goes on")
	_, err = w.svc.Authenticate(ctx, other)
	assert.Error(t, err, "the account's other sessions end")
	_, err = w.svc.Login(ctx, "lx_staff", testPassword, "", ip)
	assert.Error(t, err)
	_, err = w.svc.Login(ctx, "lx_staff", next, "", ip)
	assert.NoError(t, err)
}

// A role that needs a second factor is enrolled at creation on the host; one an
// administrator creates is not (its owner enrols at the first login). A new
// secret replaces the enrolled one only once confirmed with its own code, and
// offering it needs the password and a code of the current one.
func TestTOTPEnrolmentAndReplacement(t *testing.T) {
	w := newWorld(t, identity.Config{})
	ctx := context.Background()
	admin := w.addUser("secadmin", policy.SecurityAdmin, "370000")
	assert.NotEmpty(t, admin.TOTPSecret)
	assert.True(t, admin.User.TOTPEnrolled)
	byAdmin, err := w.svc.CreateUser(ctx, identity.NewUser{Username: "secadmin2", Password: testPassword,
		Role: policy.SecurityAdmin, Domain: "370000", ByAdministrator: true}, identity.Actor{Name: "sysadmin"})
	require.NoError(t, err)
	assert.Empty(t, byAdmin.TOTPSecret, "its creator never holds its second factor")
	s, err := w.svc.Login(ctx, "secadmin2", testPassword, "", ip)
	require.NoError(t, err)
	assert.True(t, s.User.MustEnrolTOTP)
	_, err = w.svc.Authenticate(ctx, s.Token)
	assert.ErrorIs(t, err, identity.ErrPending, "nothing before enrolling")

	staff := w.addUser("lx_staff", policy.CountyStaff, "370102")
	assert.Empty(t, staff.TOTPSecret, "a county role needs no second factor")
	tok := w.login("lx_staff")
	u, err := w.svc.Authenticate(ctx, tok)
	require.NoError(t, err)

	_, _, err = w.svc.BeginTOTP(ctx, tok, "Wrong-guess-7", "", ip)
	assert.Equal(t, chemguard.EInvalid, chemguard.ErrorCode(err), "enrolling needs the password: %v", err)
	first, url, err := w.svc.BeginTOTP(ctx, tok, testPassword, "", ip)
	require.NoError(t, err)
	assert.Contains(t, url, "otpauth://totp/")
	assert.Error(t, w.svc.ConfirmTOTP(ctx, u, "000000", ip), "a wrong code enrols nothing")
	require.NoError(t, w.svc.ConfirmTOTP(ctx, u, w.code(first), ip))
	got, err := w.svc.UserByName(ctx, "lx_staff")
	require.NoError(t, err)
	assert.True(t, got.TOTPEnrolled)

	// Replacing it: the password alone, or with a wrong code, is not enough.
	_, _, err = w.svc.BeginTOTP(ctx, tok, testPassword, "", ip)
	assert.Equal(t, chemguard.EInvalid, chemguard.ErrorCode(err), "a code of the enrolled one is needed: %v", err)
	_, _, err = w.svc.BeginTOTP(ctx, tok, testPassword, "000000", ip)
	assert.Error(t, err)
	second, _, err := w.svc.BeginTOTP(ctx, tok, testPassword, w.code(first), ip)
	require.NoError(t, err)
	_, err = w.svc.Login(ctx, "lx_staff", testPassword, w.code(first), ip)
	require.NoError(t, err, "until confirmed the enrolled secret stays")
	require.NoError(t, w.svc.ConfirmTOTP(ctx, u, w.code(second), ip))
	_, err = w.svc.Login(ctx, "lx_staff", testPassword, w.code(first), ip)
	assert.Error(t, err, "the replaced secret's codes are refused")
	_, err = w.svc.Login(ctx, "lx_staff", testPassword, w.code(second), ip)
	assert.NoError(t, err)

	// A code is accepted once.
	code := w.code(second)
	_, err = w.svc.Login(ctx, "lx_staff", testPassword, code, ip)
	require.NoError(t, err)
	_, err = w.svc.Login(ctx, "lx_staff", testPassword, code, ip)
	assert.Error(t, err, "the same code again")
}

// An account holds at most MaxSessions (3) sessions: a fourth login ends the
// oldest. Sessions past their idle window stop working at once and are marked
// ended by the purge; rows are kept.
func TestSessionCapAndPurge(t *testing.T) {
	w := newWorld(t, identity.Config{})
	ctx := context.Background()
	w.addUser("lx_staff", policy.CountyStaff, "370102")
	var toks []string
	for i := 0; i < identity.DefaultMaxSessions+1; i++ {
		toks = append(toks, w.login("lx_staff"))
		w.clock.Add(time.Second)
	}
	_, err := w.svc.Authenticate(ctx, toks[0])
	assert.Error(t, err, "the oldest ended")
	for _, tok := range toks[1:] {
		_, err := w.svc.Authenticate(ctx, tok)
		assert.NoError(t, err)
	}
	assert.Equal(t, 1, w.count(`SELECT count(*) FROM sessions WHERE end_reason = 'session_limit'`))

	w.clock.Add(identity.DefaultIdleTimeout + time.Minute)
	_, err = w.svc.Authenticate(ctx, toks[1])
	assert.Error(t, err, "idle too long")
	n, err := w.svc.PurgeSessions(ctx)
	require.NoError(t, err)
	assert.Equal(t, int64(identity.DefaultMaxSessions), n)
	n, err = w.svc.PurgeSessions(ctx)
	require.NoError(t, err)
	assert.Zero(t, n, "nothing left to purge")
	assert.Equal(t, identity.DefaultMaxSessions+1, w.count(`SELECT count(*) FROM sessions`), "rows are kept")
	assert.Zero(t, w.count(`SELECT count(*) FROM sessions WHERE revoked_at IS NULL`))
}

// A disabled account cannot log in, its sessions end at once, and nothing is
// deleted; enabled again it logs in (its old sessions stay ended).
func TestDisabledUsers(t *testing.T) {
	w := newWorld(t, identity.Config{})
	ctx := context.Background()
	w.addUser("lx_staff", policy.CountyStaff, "370102")
	tok := w.login("lx_staff")
	actor := identity.Actor{Name: "secadmin"}
	require.NoError(t, w.svc.SetDisabled(ctx, "lx_staff", true, actor))
	require.NoError(t, w.svc.SetDisabled(ctx, "lx_staff", true, actor), "disabling twice is not an error")
	_, err := w.svc.Authenticate(ctx, tok)
	assert.Error(t, err, "its sessions end")
	_, err = w.svc.Login(ctx, "lx_staff", testPassword, "", ip)
	assert.Error(t, err)
	assert.Equal(t, 1, w.failed("lx_staff", "disabled"))
	assert.Equal(t, 1, w.count(`SELECT count(*) FROM users WHERE username = 'lx_staff' AND disabled_at IS NOT NULL`), "kept")

	require.NoError(t, w.svc.SetDisabled(ctx, "lx_staff", false, actor))
	w.login("lx_staff")
	_, err = w.svc.Authenticate(ctx, tok)
	assert.Error(t, err, "the sessions ended by disabling stay ended")
	assert.Equal(t, 2, w.count(`SELECT count(*) FROM audit_log WHERE action = 'user_disable' AND actor = 'secadmin'`))
	assert.Equal(t, 1, w.count(`SELECT count(*) FROM audit_log WHERE action = 'user_enable' AND actor = 'secadmin'`))
	var unknown *chemguard.Error
	assert.True(t, errors.As(w.svc.SetDisabled(ctx, "nobody", true, actor), &unknown) && unknown.Code == chemguard.ENotFound)
}

// A token is checked against its session and its account in one lookup: the user
// comes back with what the account says, and the account alone refuses a session
// that is itself still open — disabled or locked behind the session's back (as a
// database change or a lockout from elsewhere would), and allowed again once not.
func TestAuthenticateChecksTheSessionAndItsAccount(t *testing.T) {
	w := newWorld(t, identity.Config{})
	ctx := context.Background()
	created := w.addUser("lx_staff", policy.CountyStaff, "370102")
	w.addUser("lc_staff", policy.CountyStaff, "371502")
	tok := w.login("lx_staff")
	other := w.login("lc_staff")

	u, err := w.svc.Authenticate(ctx, tok)
	require.NoError(t, err)
	assert.Equal(t, created.User.ID, u.ID)
	assert.Equal(t, "lx_staff", u.Username)
	assert.Equal(t, "370102", u.Domain)
	assert.Equal(t, []policy.Role{policy.CountyStaff}, u.Roles)
	u, err = w.svc.Authenticate(ctx, other)
	require.NoError(t, err)
	assert.Equal(t, "lc_staff", u.Username, "each token finds its own account")

	exec := func(sql string) {
		t.Helper()
		_, err := w.pool.Exec(ctx, sql)
		require.NoError(t, err)
	}
	exec(`UPDATE users SET disabled_at = now() WHERE username = 'lx_staff'`)
	_, err = w.svc.Authenticate(ctx, tok)
	assert.Error(t, err, "a disabled account's open session is refused")
	exec(`UPDATE users SET disabled_at = NULL WHERE username = 'lx_staff'`)
	_, err = w.svc.Authenticate(ctx, tok)
	require.NoError(t, err)

	_, err = w.pool.Exec(ctx, `UPDATE users SET locked_until = $1 WHERE username = 'lx_staff'`, w.clock.Now().Add(10*time.Minute))
	require.NoError(t, err)
	_, err = w.svc.Authenticate(ctx, tok)
	assert.Error(t, err, "a locked account's open session is refused")
	w.clock.Add(11 * time.Minute) // within the session's idle window
	_, err = w.svc.Authenticate(ctx, tok)
	assert.NoError(t, err, "the lock has run out")

	_, err = w.svc.Authenticate(ctx, identity.TokenPrefix+"not-a-session")
	var unauthorized *chemguard.Error
	assert.True(t, errors.As(err, &unauthorized) && unauthorized.Code == chemguard.EUnauthorized, "an unknown token: %v", err)
}
