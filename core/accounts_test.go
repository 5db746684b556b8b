package core

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"connectedapps/core/oauth"
	"connectedapps/core/oauth/oauthtest"
	"connectedapps/core/secret"
)

// newAccountsFixture is an app with two accounts, Ann (the first, so the default) and Bob,
// each with its own expired tokens; the provider's token endpoint answers a refresh with new
// tokens named after the refresh token it was sent, so a mix-up shows.
func newAccountsFixture(t *testing.T) (*fixture, *oauthtest.Provider) {
	t.Helper()
	p := oauthtest.NewProvider(t)
	p.Handle("/token", func(w http.ResponseWriter, n int, r Request) {
		rt := r.Form.Get("refresh_token")
		oauthtest.JSON(w, 200, map[string]any{"access_token": "fresh-for-" + rt, "token_type": "Bearer", "expires_in": 3600, "refresh_token": rt + "+1"})
	})
	f := newFixture(t, fixtureOpts{provider: p})
	app := NewApp("Mail")
	app.ClientID, app.AuthorizationURI, app.TokenURI = "c", p.At("/authorize"), p.At("/token")
	app = f.add(t, app, "")
	past := f.clock.Now().Add(-time.Minute)
	f.markConnected(t, app, &TokenSet{AccessToken: "ann-1", RefreshToken: "ann-rt", Expiry: &past}, Connection{Subject: "ann-sub", Email: "ann@example.com"})
	f.app = f.markConnected(t, app, &TokenSet{AccessToken: "bob-1", RefreshToken: "bob-rt", Expiry: &past}, Connection{Subject: "bob-sub", Email: "Bob@Example.com"})
	return f, p
}

// Request is oauthtest's, named here so the fixture's answer reads short.
type Request = oauthtest.Request

func TestTwoAccountsEachGetTheirOwnTokens(t *testing.T) {
	f, p := newAccountsFixture(t)
	ctx := context.Background()
	if a := f.find(t, f.app.ID); len(a.Accounts) != 2 || a.Default().Subject != "ann-sub" {
		t.Fatalf("accounts %+v, default %q", a.Accounts, a.DefaultAccount)
	}
	for sel, want := range map[string]string{"": "fresh-for-ann-rt", "ann@example.com": "fresh-for-ann-rt", "bob@example.com": "fresh-for-bob-rt", "bob-sub": "fresh-for-bob-rt"} {
		ts, err := f.svc.TokenFor(ctx, "Mail", sel, DefaultMinValid)
		if err != nil || ts.AccessToken != want {
			t.Errorf("TokenFor(%q) = %v, %v; want %s", sel, ts, err, want)
		}
	}
	if n := p.Count("/token"); n != 2 {
		t.Errorf("%d refreshes at the provider; want one per account", n)
	}
	// Each account's rotated refresh token is its own, under its own key.
	a := f.find(t, f.app.ID)
	for _, acct := range a.Accounts {
		raw, err := f.mem.Get(tokensKey(a.ID, acct.ID))
		who := strings.TrimSuffix(acct.Subject, "-sub")
		if err != nil || !strings.Contains(raw, `"refresh_token":"`+who+`-rt+1"`) {
			t.Errorf("%s's stored tokens: %s, %v", acct.Subject, raw, err)
		}
		if acct.State != StateConnected || acct.RefreshedAt == nil {
			t.Errorf("%s's connection after the refresh: %+v", acct.Subject, acct.Connection)
		}
	}
	// An account the app does not have is named, with the ones it has.
	_, err := f.svc.TokenFor(ctx, "Mail", "carol@example.com", DefaultMinValid)
	if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), `Mail has no account "carol@example.com"`) ||
		!strings.Contains(err.Error(), "ann@example.com, Bob@Example.com") {
		t.Errorf("an unknown account: %v", err)
	}
}

// Two accounts of one app refresh without waiting for each other: with Ann's refresh lock held
// (as a refresh of hers in another process holds it), Bob's refresh goes through.
func TestAccountsRefreshUnderTheirOwnLocks(t *testing.T) {
	f, p := newAccountsFixture(t)
	a := f.find(t, f.app.ID)
	ann, bob := a.FindAccount("ann-sub"), a.FindAccount("bob-sub")
	unlock, err := lockFile(context.Background(), f.svc.accountLock(a.ID, ann.ID), lockWait)
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ts, err := f.svc.RefreshFor(ctx, "Mail", "bob@example.com")
	if err != nil || ts.AccessToken != "fresh-for-bob-rt" {
		t.Fatalf("Bob's refresh while Ann's lock is held: %v, %v", ts, err)
	}
	if got := p.Requests("/token"); len(got) != 1 || got[0].Form.Get("refresh_token") != "bob-rt" {
		t.Errorf("the provider was asked %+v", got)
	}
	// Ann's tokens are untouched, and hers wait for her lock (the context ends the wait).
	if raw, _ := f.mem.Get(tokensKey(a.ID, ann.ID)); !strings.Contains(raw, `"access_token":"ann-1"`) {
		t.Errorf("Ann's tokens changed: %s", raw)
	}
	short, cancelShort := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancelShort()
	if _, err := f.svc.RefreshFor(short, "Mail", ""); err == nil {
		t.Error("Ann's refresh went through while her lock was held elsewhere")
	}
	if bob.ID == ann.ID || f.svc.accountLock(a.ID, ann.ID) == f.svc.accountLock(a.ID, bob.ID) {
		t.Error("the two accounts share a lock")
	}
}

func TestDefaultAccountAndDisconnectingOne(t *testing.T) {
	f, _ := newAccountsFixture(t)
	ctx := context.Background()
	saved, err := f.svc.SetDefaultAccount("Mail", "BOB@example.com")
	if err != nil || saved.Default().Subject != "bob-sub" || f.find(t, f.app.ID).Default().Subject != "bob-sub" {
		t.Fatalf("SetDefaultAccount = %+v, %v", saved.Default(), err)
	}
	if ts, err := f.svc.Token(ctx, "Mail", DefaultMinValid); err != nil || ts.AccessToken != "fresh-for-bob-rt" {
		t.Errorf("the default's token after the change: %v, %v", ts, err)
	}
	if _, err := f.svc.SetDefaultAccount("Mail", "carol@example.com"); !errors.Is(err, ErrNotFound) {
		t.Errorf("an unknown default: %v", err)
	}
	// Disconnecting Bob (the default) leaves Ann, who becomes the default.
	a := f.find(t, f.app.ID)
	bobKey := tokensKey(a.ID, a.FindAccount("bob-sub").ID)
	if _, err := f.svc.DisconnectFor(ctx, "Mail", "bob-sub", true); err != nil {
		t.Fatal(err)
	}
	a = f.find(t, f.app.ID)
	if len(a.Accounts) != 1 || a.Default().Subject != "ann-sub" {
		t.Errorf("after disconnecting Bob: %+v", a.Accounts)
	}
	if _, err := f.mem.Get(bobKey); !errors.Is(err, ErrNotFound) {
		t.Errorf("Bob's tokens are still stored: %v", err)
	}
	if ts, err := f.svc.Token(ctx, "Mail", DefaultMinValid); err != nil || ts.AccessToken != "fresh-for-ann-rt" {
		t.Errorf("Ann's token after Bob left: %v, %v", ts, err)
	}
	// Removing the app deletes every account's tokens.
	annKey := tokensKey(a.ID, a.Default().ID)
	if err := f.svc.Remove(ctx, "Mail", true); err != nil {
		t.Fatal(err)
	}
	if _, err := f.mem.Get(annKey); !errors.Is(err, ErrNotFound) {
		t.Errorf("Ann's tokens outlived the app: %v", err)
	}
}

// A sign-in with an account already there asks for the provider's account chooser, joined to
// a prompt the app sends itself; a login hint is passed on.
func TestSecondSignInAsksWhichAccount(t *testing.T) {
	app := NewApp("G")
	app.ClientID, app.AuthorizationURI, app.TokenURI = "c", "https://p.example/a", "https://p.example/t"
	app.QueryParameters = []QueryParameter{{Key: "prompt", Value: "consent"}}
	first := signInParams(&app, ConnectOptions{})
	if len(first) != 0 {
		t.Errorf("the first sign-in adds %+v", first)
	}
	app.SetConnection(&Connection{State: StateConnected, Subject: "s1"})
	link := oauth.NewSignIn(&app, "", "http://127.0.0.1:1/callback", f0log(), signInParams(&app, ConnectOptions{LoginHint: " bob@example.com "})...).URL
	q := mustQuery(t, link)
	if q.Get("prompt") != "consent select_account" || q.Get("login_hint") != "bob@example.com" || len(q["prompt"]) != 1 {
		t.Errorf("second sign-in's link: %s", link)
	}
	app.Preset = "okta" // a provider without an account chooser: the preset says what to send
	if q := mustQuery(t, oauth.NewSignIn(&app, "", "http://127.0.0.1:1/callback", f0log(), signInParams(&app, ConnectOptions{})...).URL); q.Get("prompt") != "consent login" {
		t.Errorf("okta's second sign-in prompt = %q", q.Get("prompt"))
	}
}

func mustQuery(t *testing.T, link string) url.Values {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	return u.Query()
}

// The files of before accounts, as the code of then wrote them (testdata/before-accounts):
// read as one account, its tokens used from the old key, then moved to the account's key and
// the old one deleted; apps.json is written in the new format by the next write.
func TestMigrationFromBeforeAccounts(t *testing.T) {
	dir, store := legacyFixture(t)
	f := newFixture(t, fixtureOpts{dir: dir, secrets: store})
	a := f.find(t, legacyAppID)
	acct := a.Default()
	if len(a.Accounts) != 1 || acct.Subject != "id1" || acct.Email != "test-user@zitadel.ch" || !acct.LegacyTokens || !acct.HasRefreshToken {
		t.Fatalf("read as %+v", a.Accounts)
	}
	ts, err := f.svc.Token(context.Background(), "Mail", DefaultMinValid)
	if err != nil || ts.AccessToken != "legacy-access" || ts.RefreshToken != "legacy-refresh" {
		t.Fatalf("Token = %+v, %v", ts, err)
	}
	assertMigrated(t, f.svc, store)
}

const legacyAppID = "0123456789abcdef"

// legacyFixture is a folder and a store holding what the code before accounts left.
func legacyFixture(t *testing.T) (string, secret.Store) {
	t.Helper()
	dir := t.TempDir()
	data, err := os.ReadFile(filepath.Join("testdata", "before-accounts", "apps.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "apps.json"), data, 0o600); err != nil {
		t.Fatal(err)
	}
	tokens, err := os.ReadFile(filepath.Join("testdata", "before-accounts", "tokens.json"))
	if err != nil {
		t.Fatal(err)
	}
	store := secret.NewMemoryStore()
	if err := store.Set(legacyTokensKey(legacyAppID), strings.TrimSpace(string(tokens))); err != nil {
		t.Fatal(err)
	}
	return dir, store
}

// assertMigrated checks the move is complete: the tokens under the account's key only, and
// apps.json in the new format with nothing left to move.
func assertMigrated(t *testing.T, svc *Service, store secret.Store) {
	t.Helper()
	a, err := svc.Registry.Find(legacyAppID)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := store.Get(tokensKey(legacyAppID, AccountIDFor("id1")))
	if err != nil || !strings.Contains(raw, `"refresh_token":"legacy-refresh"`) {
		t.Errorf("the account's key holds %q, %v", raw, err)
	}
	if _, err := store.Get(legacyTokensKey(legacyAppID)); !errors.Is(err, ErrNotFound) {
		t.Errorf("the old key is still there: %v", err)
	}
	if a.Default().LegacyTokens || a.Default().ID != AccountIDFor("id1") {
		t.Errorf("the account after the move: %+v", a.Default())
	}
	file, _ := os.ReadFile(svc.RegistryPath())
	if strings.Contains(string(file), `"connection"`) || !strings.Contains(string(file), `"accounts"`) {
		t.Errorf("apps.json is not in the new format:\n%s", file)
	}
}

func f0log() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
