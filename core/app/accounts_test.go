package app

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// An apps.json entry as the code before accounts wrote it: one "connection".
const legacyEntry = `{"id":"a1","provider_name":"Mail","client_id":"c","scopes":["openid"],"query_parameters":[],
 "redirect_host":"127.0.0.1","redirect_port":8765,"pkce":true,"token_endpoint_auth_method":"auto",
 "grant_type":"authorization_code","has_client_secret":false,
 "connection":{"state":"connected","expires_at":"2026-01-01T10:00:00Z","subject":"sub-1","email":"ann@example.com",
  "granted_scopes":["openid","email"],"has_refresh_token":true,"connected_at":"2025-12-01T10:00:00Z","last_error":"x"}}`

func TestLegacyConnectionIsReadAsOneAccount(t *testing.T) {
	var a App
	if err := json.Unmarshal([]byte(legacyEntry), &a); err != nil {
		t.Fatal(err)
	}
	a.UpgradeLegacy()
	if len(a.Accounts) != 1 {
		t.Fatalf("accounts = %+v, want one", a.Accounts)
	}
	acct := a.Accounts[0]
	if acct.ID != AccountIDFor("sub-1") || a.DefaultAccount != acct.ID || !acct.LegacyTokens {
		t.Errorf("account %q default %q legacy %v", acct.ID, a.DefaultAccount, acct.LegacyTokens)
	}
	c := a.Connection()
	if c.Subject != "sub-1" || c.Email != "ann@example.com" || !c.HasRefreshToken || c.LastError != "x" ||
		c.ExpiresAt == nil || !c.ExpiresAt.Equal(time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)) || len(c.GrantedScopes) != 2 {
		t.Errorf("connection read as %+v", c)
	}
	// Written again, it is in the new format: accounts, no "connection".
	out, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(out), `"connection"`) || !strings.Contains(string(out), `"accounts":[{"id":"`+acct.ID+`","state":"connected"`) {
		t.Errorf("written as %s", out)
	}
	var again App
	err = json.Unmarshal(out, &again)
	again.UpgradeLegacy()
	if err != nil || len(again.Accounts) != 1 || again.Accounts[0].Email != "ann@example.com" || !again.Accounts[0].LegacyTokens {
		t.Errorf("read back %+v (%v)", again.Accounts, err)
	}
	// An app never connected has no account.
	var none App
	err = json.Unmarshal([]byte(strings.Replace(legacyEntry, `"connection"`, `"other"`, 1)), &none)
	none.UpgradeLegacy()
	if err != nil || none.Accounts != nil || none.Connection() != nil {
		t.Errorf("never connected: %+v %v", none.Accounts, err)
	}
}

func TestAccountsPutFindDrop(t *testing.T) {
	var a App
	a.PutAccount(Account{ID: AccountIDFor("s1"), Connection: Connection{Subject: "s1", Email: "Ann@Example.com", State: StateConnected}})
	a.PutAccount(Account{ID: AccountIDFor("s2"), Connection: Connection{Subject: "s2", Email: "bob@example.com", State: StateNeedsReauth}})
	if a.DefaultAccount != AccountIDFor("s1") || a.Default().Subject != "s1" {
		t.Fatalf("the first account is not the default: %q", a.DefaultAccount)
	}
	// Signing in again as s2 updates it, never a third.
	a.PutAccount(Account{ID: AccountIDFor("s2"), Connection: Connection{Subject: "s2", Email: "bob@example.com", State: StateConnected}})
	if len(a.Accounts) != 2 || a.FindAccount("s2").State != StateConnected {
		t.Fatalf("accounts after a second sign-in: %+v", a.Accounts)
	}
	for sel, want := range map[string]string{"": "s1", "ann@example.com": "s1", "BOB@example.com": "s2", "s2": "s2", AccountIDFor("s2"): "s2"} {
		if got := a.FindAccount(sel); got == nil || got.Subject != want {
			t.Errorf("FindAccount(%q) = %+v, want %s", sel, got, want)
		}
	}
	if a.FindAccount("carol@example.com") != nil {
		t.Error("an unknown email found an account")
	}
	a.DropAccount(AccountIDFor("s1"))
	if a.DefaultAccount != AccountIDFor("s2") || a.Connection().Subject != "s2" || len(a.Accounts) != 1 {
		t.Errorf("after dropping the default: %q %+v", a.DefaultAccount, a.Accounts)
	}
	a.DropAccount(AccountIDFor("s2"))
	if a.Accounts != nil || a.DefaultAccount != "" || a.Connection() != nil || a.State(time.Now()) != StateNotConnected {
		t.Errorf("after dropping the last: %+v", a)
	}
	if AccountIDFor("") != AnonymousAccount || AccountIDFor("s1") == AccountIDFor("s2") {
		t.Error("account IDs")
	}
}
