package cli

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"connectedapps/core"
	"connectedapps/core/secret"
)

// twoAccounts registers P with Ann (the default) and Bob signed in, each with a token.
func twoAccounts(t *testing.T) (string, *secret.MemoryStore) {
	t.Helper()
	dir, store := configDir(t), secret.NewMemoryStore()
	if _, e, code := runIn(t, dir, store, "", "add", "P", "--client-id", "c", "--auth-url", "https://p.example/a", "--token-url", "https://p.example/t"); code != 0 {
		t.Fatal(e)
	}
	svc, err := core.NewService(core.Config{Dir: dir, Secrets: store})
	if err != nil {
		t.Fatal(err)
	}
	app, _ := svc.Get("P")
	for _, p := range []struct{ sub, email, token string }{{"s-ann", "ann@example.com", "ann-token"}, {"s-bob", "bob@example.com", "bob-token"}} {
		acct := core.Account{ID: core.AccountIDFor(p.sub), Connection: core.Connection{State: core.StateConnected, Subject: p.sub, Email: p.email}}
		if err := svc.Registry.UpdateApp(app.ID, func(a *core.App) error { a.PutAccount(acct); return nil }); err != nil {
			t.Fatal(err)
		}
		raw, _ := json.Marshal(map[string]any{"access_token": p.token, "token_type": "Bearer"})
		if err := store.Set("app/"+app.ID+"/accounts/"+acct.ID+"/tokens", string(raw)); err != nil {
			t.Fatal(err)
		}
	}
	return dir, store
}

func TestAccountsCommandAndTheAccountFlag(t *testing.T) {
	dir, store := twoAccounts(t)
	out, e, code := runIn(t, dir, store, "", "accounts", "P")
	if code != 0 || e != "" || !strings.Contains(out, "DEFAULT") || !strings.Contains(out, "*        ann@example.com") || !strings.Contains(out, "bob@example.com") {
		t.Fatalf("accounts P: %d %q %q", code, out, e)
	}
	// list names every account, the default starred.
	if out, _, _ := runIn(t, dir, store, "", "list"); !strings.Contains(strings.SplitN(out, "\n", 2)[0], "ACCOUNTS") || !strings.Contains(out, "ann@example.com*, bob@example.com") {
		t.Errorf("list does not name the accounts:\n%s", out)
	}
	var rows []accountEntry
	out, _, _ = runIn(t, dir, store, "", "accounts", "P", "--json")
	if err := json.Unmarshal([]byte(out), &rows); err != nil || len(rows) != 2 || !rows[0].Default || rows[1].Default || rows[1].Email != "bob@example.com" || rows[1].Subject != "s-bob" || rows[1].State != core.StateConnected {
		t.Fatalf("accounts --json: %s (%v)", out, err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"token", "P"}, "ann-token"},
		{[]string{"token", "P", "--account", "bob@example.com"}, "bob-token"},
		{[]string{"token", "--account", "s-bob", "P"}, "bob-token"},
	} {
		if out, e, code := runIn(t, dir, store, "", c.args...); code != 0 || strings.TrimSpace(out) != c.want {
			t.Errorf("%q: %d %q %q", c.args, code, out, e)
		}
	}
	// xoauth2's --user is the email of the account used.
	out, _, _ = runIn(t, dir, store, "", "token", "P", "--account", "bob@example.com", "--format", "xoauth2")
	if dec, _ := base64.StdEncoding.DecodeString(strings.TrimSpace(out)); string(dec) != "user=bob@example.com\x01auth=Bearer bob-token\x01\x01" {
		t.Errorf("xoauth2 for Bob: %q", dec)
	}
	// An unknown account: one line naming the ones there are, exit 1.
	if _, e, code := runIn(t, dir, store, "", "token", "P", "--account", "carol@example.com"); code != 1 || strings.Count(e, "\n") != 1 ||
		!strings.Contains(e, `P has no account "carol@example.com" (its accounts: ann@example.com, bob@example.com)`) {
		t.Errorf("unknown account: %d %q", code, e)
	}
	// --default changes which one a command without --account gets.
	if out, e, code := runIn(t, dir, store, "", "accounts", "P", "--default", "bob@example.com"); code != 0 || !strings.Contains(out, "P now uses bob@example.com") {
		t.Fatalf("--default: %d %q %q", code, out, e)
	}
	if out, _, _ := runIn(t, dir, store, "", "token", "P"); strings.TrimSpace(out) != "bob-token" {
		t.Errorf("the default's token after --default: %q", out)
	}
	// list --json keeps its fields and adds the accounts.
	var list []map[string]any
	out, _, _ = runIn(t, dir, store, "", "list", "--json")
	if err := json.Unmarshal([]byte(out), &list); err != nil || len(list) != 1 || list[0]["connection_state"] != "connected" || len(list[0]["accounts"].([]any)) != 2 {
		t.Errorf("list --json: %s", out)
	}
	// Disconnecting one account leaves the other.
	if _, e, code := runIn(t, dir, store, "", "disconnect", "P", "--account", "s-bob", "--local-only"); code != 0 {
		t.Fatalf("disconnect --account: %q", e)
	}
	if out, _, _ := runIn(t, dir, store, "", "token", "P"); strings.TrimSpace(out) != "ann-token" {
		t.Errorf("after disconnecting Bob the default's token is %q", out)
	}
	if help, _, _ := runIn(t, dir, store, "", "help", "accounts"); !strings.Contains(help, "--default EMAIL|SUBJECT") {
		t.Errorf("help accounts: %s", help)
	}
}

// inspect --account tells of that account's tokens and names it; without it, the default's.
func TestInspectTellsOfTheAccountNamed(t *testing.T) {
	dir, store := twoAccounts(t)
	for _, c := range []struct {
		args    []string
		account string
		length  int
	}{
		{[]string{"inspect", "P", "--json"}, "ann@example.com", len("ann-token")},
		{[]string{"inspect", "P", "--account", "bob@example.com", "--json"}, "bob@example.com", len("bob-token")},
	} {
		out, e, code := runIn(t, dir, store, "", c.args...)
		var in core.Inspection
		if code != 0 || json.Unmarshal([]byte(out), &in) != nil {
			t.Fatalf("%q: %d %q %q", c.args, code, out, e)
		}
		if in.Account != c.account || in.Access.Length != c.length || strings.Contains(out, "-token") {
			t.Errorf("%q: account %q, access token of %d characters, want %q and %d, and no token: %s", c.args, in.Account, in.Access.Length, c.account, c.length, out)
		}
	}
	out, _, code := runIn(t, dir, store, "", "inspect", "P", "--account", "s-bob")
	if code != 0 || !strings.HasPrefix(out, "P, account bob@example.com\n") {
		t.Errorf("inspect --account s-bob: %d %q", code, out)
	}
	if _, e, code := runIn(t, dir, store, "", "inspect", "P", "--account", "eve@example.com"); code == 0 || !strings.Contains(e, `P has no account "eve@example.com" (its accounts: ann@example.com, bob@example.com)`) {
		t.Errorf("inspect --account eve: %d %q", code, e)
	}
}
