package gui

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"connectedapps/core"
)

// addSecondAccount signs a second person in to the app named name, as a finished sign-in
// would: their account beside the first, with tokens of their own.
func addSecondAccount(t *testing.T, svc *core.Service, name string, conn core.Connection, access string) {
	t.Helper()
	app, err := svc.Get(name)
	if err != nil {
		t.Fatal(err)
	}
	acct := core.Account{ID: core.AccountIDFor(conn.Subject), Connection: conn}
	if err := svc.Registry.UpdateApp(app.ID, func(a *core.App) error { a.PutAccount(acct); return nil }); err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(core.TokenSet{AccessToken: access, TokenType: "Bearer", Expiry: conn.ExpiresAt})
	if err := svc.Secrets.Set(accountTokensKey(app.ID, conn.Subject), string(raw)); err != nil {
		t.Fatal(err)
	}
}

func TestAccountsListChooseCopyDefaultDisconnect(t *testing.T) {
	svc := &scriptedService{Service: newTestService(t)}
	addConnectedApp(t, svc.Service, "Example", nil, connectedFor(time.Hour))
	bob := core.Connection{State: core.StateConnected, ExpiresAt: at(2 * time.Hour), Subject: "77", Email: "bob@example.com", ConnectedAt: testNow}
	addSecondAccount(t, svc.Service, "Example", bob, "bob-access")
	var added int
	w := openConnectionTab(t, svc, "Example")
	w.tokens.panelHooks.addAccount = func() { added++ }
	p := w.tokens

	if p.accounts.Hidden || len(p.accountList.Options) != 2 || !strings.HasPrefix(p.accountList.Options[0], "ada@example.com (default) · Connected") ||
		!strings.HasPrefix(p.accountList.Options[1], "bob@example.com · Connected") || p.accountList.Selected != p.accountList.Options[0] {
		t.Fatalf("the accounts list: %q, chosen %q", p.accountList.Options, p.accountList.Selected)
	}
	if !p.makeDefault.Disabled() {
		t.Error("Make default is enabled for the default account")
	}
	// Choosing Bob shows him below; Copy copies his token, not Ada's.
	p.accountList.SetSelected(p.accountList.Options[1])
	if !strings.Contains(p.identity.Text, "bob@example.com") || p.makeDefault.Disabled() {
		t.Fatalf("after choosing Bob: identity %q, make default disabled %v", p.identity.Text, p.makeDefault.Disabled())
	}
	test.Tap(p.copyToken)
	if got := w.env.app.Clipboard().Content(); got != "bob-access" {
		t.Fatalf("the clipboard holds %q after copying Bob's token", got)
	}
	// Make default: Bob is the app's default, and the list says so.
	test.Tap(p.makeDefault)
	if saved, _ := svc.Get("Example"); saved.Default().Email != "bob@example.com" {
		t.Fatalf("the default after Make default: %+v", saved.Default())
	}
	if !strings.HasPrefix(p.accountList.Options[1], "bob@example.com (default)") || !p.makeDefault.Disabled() {
		t.Errorf("the list after Make default: %q", p.accountList.Options)
	}
	// The list row says how many accounts there are.
	if text, _ := listStateText(p.orig, testNow); !strings.Contains(text, "2 accounts") {
		t.Errorf("the list row says %q", text)
	}
	// Add another account is Connect.
	test.Tap(p.addAccount)
	if added != 1 {
		t.Errorf("Add another account ran the sign-in %d times", added)
	}
	// Disconnect one: Bob goes (locally), Ada stays and is the default again.
	p.accountList.SetSelected(p.accountList.Options[1])
	test.Tap(p.disconnect)
	assertDialogShows(t, w, "Disconnect bob@example.com from Example?")
	tapDialogButton(t, w, "Forget locally only")
	if !slices.Equal(svc.disconnects, []bool{true}) {
		t.Fatalf("disconnects %v", svc.disconnects)
	}
	saved, _ := svc.Get("Example")
	if len(saved.Accounts) != 1 || saved.Default().Email != "ada@example.com" {
		t.Fatalf("after disconnecting Bob: %+v", saved.Accounts)
	}
	if _, err := svc.Secrets.Get(accountTokensKey(saved.ID, "77")); err == nil {
		t.Error("Bob's tokens are still stored")
	}
	if len(p.accountList.Options) != 1 || !strings.HasPrefix(p.accountList.Options[0], "ada@example.com (default)") {
		t.Errorf("the list after the disconnect: %q", p.accountList.Options)
	}
}

// The tray copies each account's token: one line per account of an app that has several.
func TestTrayCopiesEachAccountsToken(t *testing.T) {
	svc := newTestService(t)
	addConnectedApp(t, svc, "Mail", nil, connectedFor(30*time.Minute))
	addSecondAccount(t, svc, "Mail", core.Connection{State: core.StateConnected, ExpiresAt: at(time.Hour), Subject: "77", Email: "bob@example.com", ConnectedAt: testNow}, "bob-access")
	w := openWindow(t, svc)
	_, desk := installTray(t, w)

	want := []string{"Copy token: Mail as ada@example.com", "Copy token: Mail as bob@example.com", "", "Show Connected Apps", "Quit"}
	if got := desk.labels(); !slices.Equal(got, want) {
		t.Fatalf("tray menu = %q; want %q", got, want)
	}
	desk.item(t, "Copy token: Mail as bob@example.com").Action()
	if got := w.env.app.Clipboard().Content(); got != "bob-access" {
		t.Errorf("the tray copied %q for Bob", got)
	}
}
