package e2e

import (
	"encoding/json"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"connectedapps/core"
	"connectedapps/core/secret"
	"connectedapps/core/secret/secrettest"
	"connectedapps/internal/testkit"
)

// accountRow is one line of `accounts NAME --json`.
type accountRow struct {
	ID, Subject, Email, State string
	Default                   bool
}

func (u *user) accounts(name string) []accountRow {
	u.t.Helper()
	var rows []accountRow
	if err := json.Unmarshal([]byte(u.ok("", "accounts", name, "--json")), &rows); err != nil {
		u.t.Fatal(err)
	}
	return rows
}

func (u *user) userinfoSub(args ...string) string {
	u.t.Helper()
	var ui map[string]any
	if err := json.Unmarshal([]byte(u.ok("", append([]string{"userinfo"}, args...)...)), &ui); err != nil {
		u.t.Fatal(err)
	}
	sub, _ := ui["sub"].(string)
	return sub
}

// Two people sign in to one app: each is an account with its own tokens, which the provider's
// userinfo says are theirs; signing in again as one of them updates that account.
func TestTwoAccountsOnOneApp(t *testing.T) {
	u := newUser(t)
	app := u.addNative("Two")
	u.ok("", "connect", "Two")
	second := u.with(testkit.BrowserUserEnv + "=" + testkit.SecondUser)
	out := second.ok("", "connect", "Two", "--login-hint", "test-user2@zitadel.ch")
	if !strings.Contains(out, "Connected Two as") {
		t.Errorf("the second connect said %q", out)
	}
	rows := u.accounts("Two")
	if len(rows) != 2 || rows[0].Subject != testkit.UserID || !rows[0].Default || rows[1].Subject != "id2" || rows[1].Default ||
		rows[1].Email != "test-user2@zitadel.ch" || rows[0].State != "connected" || rows[1].State != "connected" {
		t.Fatalf("accounts after two sign-ins: %+v", rows)
	}
	// Each account's token is its own person's.
	if sub := u.userinfoSub("Two"); sub != testkit.UserID {
		t.Errorf("the default account's userinfo is for %q", sub)
	}
	if sub := u.userinfoSub("Two", "--account", "test-user2@zitadel.ch"); sub != "id2" {
		t.Errorf("the second account's userinfo is for %q", sub)
	}
	first, _ := storedTokensOf(t, app.ID, core.AccountIDFor(testkit.UserID))
	other, _ := storedTokensOf(t, app.ID, core.AccountIDFor("id2"))
	if first.AccessToken == other.AccessToken || first.RefreshToken == other.RefreshToken {
		t.Fatal("the two accounts hold the same tokens")
	}
	if got := strings.TrimSpace(u.ok("", "token", "Two", "--account", "id2")); got != other.AccessToken {
		t.Errorf("token --account id2 handed out another token")
	}
	// Signing in again as the second person updates that account, never a third.
	second.ok("", "connect", "Two")
	if rows := u.accounts("Two"); len(rows) != 2 {
		t.Errorf("after signing in again as id2: %+v", rows)
	}
	// The default changes; list --json keeps its fields for the default and lists the accounts.
	u.ok("", "accounts", "Two", "--default", "test-user2@zitadel.ch")
	if sub := u.userinfoSub("Two"); sub != "id2" {
		t.Errorf("after --default the default account's userinfo is for %q", sub)
	}
	var list []struct {
		ProviderName    string       `json:"provider_name"`
		ConnectionState string       `json:"connection_state"`
		ExpiresAt       *time.Time   `json:"expires_at"`
		Accounts        []accountRow `json:"accounts"`
	}
	if err := json.Unmarshal([]byte(u.ok("", "list", "--json")), &list); err != nil || len(list) != 1 || list[0].ConnectionState != "connected" ||
		list[0].ExpiresAt == nil || len(list[0].Accounts) != 2 || !list[0].Accounts[1].Default {
		t.Errorf("list --json: %+v, %v", list, err)
	}
	// Disconnecting one leaves the other working.
	u.ok("", "disconnect", "Two", "--account", "id2")
	if rows := u.accounts("Two"); len(rows) != 1 || rows[0].Subject != testkit.UserID || !rows[0].Default {
		t.Errorf("after disconnecting id2: %+v", rows)
	}
	if sub := u.userinfoSub("Two"); sub != testkit.UserID {
		t.Errorf("after disconnecting id2 the userinfo is for %q", sub)
	}
	u.fails(1, "", []string{"token", "Two", "--account", "id2"}, `Two has no account "id2"`, "connectedapps connect")
}

// Two accounts of one app refresh at once: the first one's refresh is held at the provider,
// and the second's goes through meanwhile (it waits for no lock of the first), each with its
// own refresh token.
func TestConcurrentRefreshesOfTwoAccounts(t *testing.T) {
	u := newUser(t)
	app := u.addNative("Both")
	u.ok("", "connect", "Both")
	u.with(testkit.BrowserUserEnv+"="+testkit.SecondUser).ok("", "connect", "Both")
	ids := []string{core.AccountIDFor(testkit.UserID), core.AccountIDFor("id2")}
	var before []core.TokenSet
	for _, id := range ids {
		ts, _ := storedTokensOf(t, app.ID, id)
		before = append(before, ts)
		if err := secrettest.ExpireStoredToken(secret.NewSystemStore(), app.ID, id); err != nil {
			t.Fatal(err)
		}
	}
	arrived := op.RefreshesArrived()
	op.DelayNextRefresh(20 * time.Second)
	held, _, heldOut := u.start("token", "Both") // the default account: id1, held at the provider
	heldDone := make(chan error, 1)
	go func() { heldDone <- held.Wait() }()
	for op.RefreshesArrived() == arrived {
		time.Sleep(10 * time.Millisecond)
	}
	// While id1's refresh is held, id2's completes.
	got := strings.TrimSpace(u.ok("", "token", "Both", "--account", "id2"))
	select {
	case <-heldDone:
		t.Fatal("the held refresh ended before the other account's")
	default:
	}
	if err := <-heldDone; err != nil {
		t.Fatalf("the held refresh: %v\n%s", err, heldOut.String())
	}
	after1, _ := storedTokensOf(t, app.ID, ids[0])
	after2, _ := storedTokensOf(t, app.ID, ids[1])
	if got != after2.AccessToken || strings.TrimSpace(heldOut.String()) != after1.AccessToken {
		t.Error("a token handed out is not the one its account stored")
	}
	if after1.RefreshToken == before[0].RefreshToken || after2.RefreshToken == before[1].RefreshToken || after1.AccessToken == after2.AccessToken {
		t.Errorf("the refreshes did not each renew their own account")
	}
	if sub := u.userinfoSub("Both", "--account", "id2"); sub != "id2" {
		t.Errorf("after the refresh id2's token is for %q", sub)
	}
	if sub := u.userinfoSub("Both"); sub != testkit.UserID {
		t.Errorf("after the refresh id1's token is for %q", sub)
	}
}

// storedTokensOf reads what the keyring holds for one account of an app.
func storedTokensOf(t *testing.T, appID, accountID string) (core.TokenSet, string) {
	t.Helper()
	var ts core.TokenSet
	raw, err := secrettest.StoredTokens(secret.NewSystemStore(), appID, accountID, &ts)
	if err != nil {
		t.Fatalf("reading the tokens of %s/%s from the keyring: %v", appID, accountID, err)
	}
	return ts, raw
}

// userTokensKey is the keyring key of the tokens of the example provider's first user's
// account of appID (core's key: app/ID/accounts/ACCOUNT/tokens).
func userTokensKey(appID string) string {
	return "app/" + appID + "/accounts/" + core.AccountIDFor(testkit.UserID) + "/tokens"
}

// An apps.json and keyring as the code before accounts left them (one "connection" per app,
// the tokens under app/ID/tokens, format 1), made from a real sign-in: the binary of today
// uses the token, refreshes it at the provider, moves it to the account's entry and deletes
// the old one, and writes apps.json in the new format.
func TestMigrationOfFilesFromBeforeAccounts(t *testing.T) {
	u := newUser(t)
	app := u.addNative("Old")
	u.ok("", "connect", "Old")
	store := secret.NewSystemStore()
	acctKey := userTokensKey(app.ID)
	tokens, err := store.Get(acctKey)
	if err != nil {
		t.Fatal(err)
	}
	// Back to the old format: the account's facts as the one connection, the old key.
	data, err := os.ReadFile(u.registryPath())
	if err != nil {
		t.Fatal(err)
	}
	var file map[string]any
	if err := json.Unmarshal(data, &file); err != nil {
		t.Fatal(err)
	}
	file["version"] = 1
	doc := file["apps"].([]any)[0].(map[string]any)
	conn := doc["accounts"].([]any)[0].(map[string]any)
	delete(conn, "id")
	doc["connection"] = conn
	delete(doc, "accounts")
	delete(doc, "default_account")
	old, _ := json.MarshalIndent(file, "", "  ")
	if err := os.WriteFile(u.registryPath(), old, 0o600); err != nil {
		t.Fatal(err)
	}
	_ = os.Remove(filepath.Join(filepath.Dir(u.registryPath()), "apps.index"))
	if err := store.Set(secrettest.LegacyTokensKey(app.ID), tokens); err != nil {
		t.Fatal(err)
	}
	if err := store.Delete(acctKey); err != nil {
		t.Fatal(err)
	}
	var before core.TokenSet
	_ = json.Unmarshal([]byte(tokens), &before)

	// Read as one account; refreshed at the provider with the old key's refresh token.
	if rows := u.accounts("Old"); len(rows) != 1 || rows[0].Subject != testkit.UserID || !rows[0].Default {
		t.Fatalf("accounts of the old file: %+v", rows)
	}
	refreshes := op.Refreshes()
	u.ok("", "refresh", "Old")
	if op.Refreshes() != refreshes+1 {
		t.Fatal("the refresh did not reach the provider")
	}
	after, _ := storedTokensOf(t, app.ID, core.AccountIDFor(testkit.UserID))
	if after.RefreshToken == "" || after.RefreshToken == before.RefreshToken {
		t.Errorf("the account's entry after the refresh holds refresh token %q (before: %q)", after.RefreshToken, before.RefreshToken)
	}
	if _, err := store.Get(secrettest.LegacyTokensKey(app.ID)); !errors.Is(err, secret.ErrNotFound) {
		t.Errorf("the old entry is still in the keyring: %v", err)
	}
	if sub := u.userinfoSub("Old"); sub != testkit.UserID {
		t.Errorf("userinfo after the move is for %q", sub)
	}
	now, _ := os.ReadFile(u.registryPath())
	if strings.Contains(string(now), `"connection"`) || strings.Contains(string(now), `"legacy_tokens"`) || !strings.Contains(string(now), `"version": 2`) {
		t.Errorf("apps.json after the move:\n%s", now)
	}
}

// authorizationsOf is what the provider was sent by each sign-in link of the app whose
// callback path is callback, oldest first.
func authorizationsOf(t *testing.T, callback string, want int) []url.Values {
	t.Helper()
	got := op.AuthorizationRequests(callback)
	if len(got) != want {
		t.Fatalf("the provider received %d authorization requests for /callback/%s; want %d: %v", len(got), callback, want, got)
	}
	return got
}

// The provider itself receives prompt=select_account on an app's second sign-in and not on
// its first, login_hint when one is given, the app's own prompt merged with it, and a
// preset's own way of asking (Keycloak's prompt=login) for an app from that preset.
func TestSecondConnectAsksTheProviderForAnotherAccount(t *testing.T) {
	u := newUser(t)
	u.addNative("Chooser")
	u.ok("", "connect", "Chooser")
	first := authorizationsOf(t, "chooser", 1)[0]
	if _, ok := first["prompt"]; ok || first.Get("login_hint") != "" || first.Get("client_id") != testkit.NativeClientID {
		t.Fatalf("the first sign-in sent %v; want no prompt and no login_hint", first)
	}
	second := u.with(testkit.BrowserUserEnv + "=" + testkit.SecondUser)
	second.ok("", "connect", "Chooser", "--login-hint", "test-user2@zitadel.ch")
	got := authorizationsOf(t, "chooser", 2)[1]
	if got["prompt"] == nil || len(got["prompt"]) != 1 || got.Get("prompt") != "select_account" || got.Get("login_hint") != "test-user2@zitadel.ch" {
		t.Fatalf("the second sign-in sent prompt %q and login_hint %q; want select_account and test-user2@zitadel.ch", got["prompt"], got["login_hint"])
	}
	if rows := u.accounts("Chooser"); len(rows) != 2 {
		t.Fatalf("after the second sign-in: %+v", rows)
	}
	// A login_hint alone, on a first sign-in, is sent without asking for the chooser.
	u.addNative("Hinted")
	u.ok("", "connect", "Hinted", "--login-hint", "test-user@zitadel.ch")
	if got := authorizationsOf(t, "hinted", 1)[0]; got["prompt"] != nil || got.Get("login_hint") != "test-user@zitadel.ch" {
		t.Fatalf("a first sign-in with a hint sent prompt %q, login_hint %q", got["prompt"], got["login_hint"])
	}

	// The app's own prompt=consent: the first sign-in sends it alone, the second both, once.
	u.addNative("Chooser Consent", "--param", "prompt=consent")
	u.ok("", "connect", "Chooser Consent")
	u.ok("", "connect", "Chooser Consent")
	reqs := authorizationsOf(t, "chooser-consent", 2)
	if reqs[0]["prompt"] == nil || len(reqs[0]["prompt"]) != 1 || reqs[0].Get("prompt") != "consent" {
		t.Fatalf("the first sign-in of an app with prompt=consent sent prompt %q", reqs[0]["prompt"])
	}
	if len(reqs[1]["prompt"]) != 1 || reqs[1].Get("prompt") != "consent select_account" {
		t.Fatalf("the second sign-in of an app with prompt=consent sent prompt %q; want \"consent select_account\" once", reqs[1]["prompt"])
	}

	// An app from the Keycloak preset, its endpoints this provider's (discovery replaces the
	// preset's URLs; the preset's issuer is kept as given, so it is given again): Keycloak
	// asks for another account with prompt=login.
	out := u.ok("", "add", "Keycloak Chooser", "--preset", "keycloak", "--site", op.Issuer, "--realm", "staff",
		"--discovery", op.Issuer, "--issuer", op.Issuer, "--client-id", testkit.NativeClientID, "--scope", "openid profile email offline_access", "--redirect-port", "0")
	if !strings.Contains(out, "Registered Keycloak Chooser") {
		t.Fatalf("add --preset keycloak: %s", out)
	}
	if shown := u.ok("", "show", "Keycloak Chooser"); !strings.Contains(shown, op.Issuer+"/oauth/token") {
		t.Fatalf("the Keycloak app does not use the test provider's endpoints:\n%s", shown)
	}
	u.ok("", "connect", "Keycloak Chooser")
	second.ok("", "connect", "Keycloak Chooser")
	reqs = authorizationsOf(t, "keycloak-chooser", 2)
	if reqs[0]["prompt"] != nil {
		t.Fatalf("the Keycloak app's first sign-in sent prompt %q", reqs[0]["prompt"])
	}
	if len(reqs[1]["prompt"]) != 1 || reqs[1].Get("prompt") != "login" {
		t.Fatalf("the Keycloak app's second sign-in sent prompt %q; want the preset's login", reqs[1]["prompt"])
	}
	if rows := u.accounts("Keycloak Chooser"); len(rows) != 2 || rows[1].Subject != "id2" {
		t.Fatalf("the Keycloak app's accounts: %+v", rows)
	}
}
