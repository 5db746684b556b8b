package gui

import (
	"context"
	"net"
	"slices"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"connectedapps/core"
	"connectedapps/core/fail"
)

// The failures of the screens, driven through the window with the real core: each dialog
// says the next step in the window's words (no command, no flag) and offers the button that
// does it; each button is pressed and what it did is checked.

// closedPort is a loopback URL nothing listens on: a request to it fails on the network.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr
}

// assertFocused checks that the window's focus is on want.
func assertFocused(t *testing.T, w *mainWindow, want fyne.Focusable, what string) {
	t.Helper()
	if got := w.win.Canvas().Focused(); got != want {
		t.Errorf("the focus is on %T %p, want it on the %s (%p)", got, got, what, want)
	}
}

// A Disconnect whose revocation fails on the network (nothing listens at the revocation
// URI): the dialog says what failed and that nothing was deleted, with no command line, and
// its "Forget on this computer" deletes the tokens here only.
func TestDisconnectNetworkFailureOffersToForgetHere(t *testing.T) {
	svc := &scriptedService{Service: newTestService(t)}
	app := addConnectedApp(t, svc.Service, "Example", nil, connectedFor(time.Hour))
	if err := svc.Registry.UpdateApp(app.ID, func(a *core.App) error { a.RevocationURI = closedPort(t) + "/revoke"; return nil }); err != nil {
		t.Fatal(err)
	}
	w := openConnectionTab(t, svc, "Example")

	test.Tap(w.tokens.disconnect)
	tapDialogButton(t, w, "Disconnect")

	assertDialogShows(t, w, "Revocation failed", "nothing was deleted", "Nothing was deleted.", "“"+forgetHereButton()+"”")
	assertNoCommandLine(t, overlayTexts(w))
	if got := dialogButtons(t, w); !slices.Equal(got, []string{"Cancel", forgetHereButton()}) {
		t.Errorf("buttons %q", got)
	}
	tapDialogButton(t, w, forgetHereButton())

	if !slices.Equal(svc.disconnects, []bool{false, true}) {
		t.Fatalf("Disconnect calls (localOnly): %v", svc.disconnects)
	}
	assertShown(t, w, "Disconnected here only: the tokens were deleted from this computer but stay valid at the provider until they expire.", "Not connected")
}

// A Delete whose revocation fails: the same, for the app.
func TestDeleteRevocationFailureOffersToForgetHere(t *testing.T) {
	provider := newFakeProvider(t)
	provider.revokeStatus = 503
	svc := newTestService(t)
	addConnectedApp(t, svc, "Example", provider, connectedFor(time.Hour))
	w := openWindow(t, svc)
	selectApp(t, w, "Example")

	test.Tap(w.form.deleteButton)
	tapDialogButton(t, w, "Delete")

	assertDialogShows(t, w, "Revocation failed", "temporarily_unavailable", "nothing was removed", "Forget Example on this computer anyway?")
	assertNoCommandLine(t, overlayTexts(w))
	if got := dialogButtons(t, w); !slices.Equal(got, []string{"Cancel", forgetHereButton()}) {
		t.Errorf("buttons %q", got)
	}
	if apps, _ := svc.List(); len(apps) != 1 {
		t.Fatal("the failed Delete removed the app")
	}
	// Enter never runs the destructive button.
	typeKey(w, fyne.KeyReturn)
	if apps, _ := svc.List(); len(apps) != 1 || dialogShown(w) {
		t.Fatalf("Enter: %d apps left, dialog shown %v; want it left, nothing removed", len(apps), dialogShown(w))
	}

	test.Tap(w.form.deleteButton)
	tapDialogButton(t, w, "Delete")
	tapDialogButton(t, w, forgetHereButton())

	if apps, _ := svc.List(); len(apps) != 0 {
		t.Fatalf("Forget on this computer left %d apps", len(apps))
	}
	if n := len(provider.got()); n != 2 {
		t.Errorf("the provider was called %d times, want twice (the two failed revocations)", n)
	}
}

// The redirect port is taken: the connect dialog's "Open Registration" closes it and puts
// the focus on the redirect port, its section opened.
func TestConnectPortInUseOpensTheRedirectPort(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	svc := &scriptedService{Service: newTestService(t)}
	addApp(t, svc.Service, "Example", nil)
	w := openWindowOn(t, svc)
	app := selectApp(t, w, "Example")
	if _, err := svc.Edit(context.Background(), app.ID, func(a *core.App) error { a.RedirectPort = l.Addr().(*net.TCPAddr).Port; return nil }, core.KeepSecret()); err != nil {
		t.Fatal(err)
	}
	w.registry.reload()
	w.tabs.SelectIndex(1)
	test.Tap(w.top.connect)

	assertDialogShows(t, w, "already in use", "choose another redirect port under Advanced on the Registration tab", "Once that is done, press Try again.")
	assertNoCommandLine(t, overlayTexts(w))
	if got := dialogButtons(t, w); !slices.Equal(got, []string{"Close", openRegistrationButton(), "Try again"}) {
		t.Errorf("buttons %q", got)
	}
	tapDialogButton(t, w, openRegistrationButton())

	if dialogShown(w) {
		t.Errorf("the connect dialog is still shown: %q", overlayTexts(w))
	}
	if w.tabs.SelectedIndex() != 0 {
		t.Error("the Registration tab is not shown")
	}
	if !w.form.endpoints.Items[1].Open {
		t.Error("the Advanced section, where the port is, is closed")
	}
	assertFocused(t, w, w.form.redirectPort, "redirect port")
}

// A client credentials app with no secret stored: "Open Registration" focuses the secret.
func TestConnectWithoutTheSecretOpensTheSecret(t *testing.T) {
	svc := &scriptedService{Service: newTestService(t)}
	addApp(t, svc.Service, "Machine", nil)
	w := openWindowOn(t, svc)
	app := selectApp(t, w, "Machine")
	if err := svc.Registry.UpdateApp(app.ID, func(a *core.App) error {
		a.GrantType, a.TokenEndpointAuthMethod = core.GrantClientCredentials, core.AuthMethodBasic
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	w.registry.reload()
	test.Tap(w.top.connect)

	assertDialogShows(t, w, "Could not connect to Machine", "needs the client secret", "give the client secret on the Registration tab")
	assertNoCommandLine(t, overlayTexts(w))
	tapDialogButton(t, w, openRegistrationButton())

	assertFocused(t, w, w.form.secret, "client secret")
}

// Not connected: the error's "Connect again" selects the app it is about (here not the one
// shown) and signs it in.
func TestErrorDialogConnectAgain(t *testing.T) {
	svc := &scriptedService{Service: newTestService(t)}
	addApp(t, svc.Service, "Example", nil)
	addApp(t, svc.Service, "Other", nil)
	svc.connect = func(ctx context.Context, name string, opts core.ConnectOptions) (*core.ConnectResult, error) {
		return nil, fail.Failf(core.ErrTransient, "the provider is down")
	}
	w := openWindowOn(t, svc)
	selectApp(t, w, "Other")
	_, err := svc.Token(context.Background(), "Example", 0)
	if err == nil {
		t.Fatal("a token for an unconnected app")
	}

	w.showError("No token", err)

	assertDialogShows(t, w, "Example is not connected", "sign in again with Connect")
	assertNoCommandLine(t, overlayTexts(w))
	tapDialogButton(t, w, connectAgainButton())

	example, _ := svc.Get("Example")
	if w.selectedID != example.ID {
		t.Error("Connect again did not select Example")
	}
	if len(svc.connects) != 1 || svc.connects[0] != example.ID {
		t.Fatalf("Connect calls: %q, want one for Example", svc.connects)
	}
	assertDialogShows(t, w, "Could not connect to Example")
}

// A missing endpoint: "Open Registration" opens the Endpoints and focuses the one to add.
func TestErrorDialogOpensTheMissingEndpoint(t *testing.T) {
	svc := newTestService(t)
	addApp(t, svc, "Example", nil)
	w := openWindow(t, svc)
	selectApp(t, w, "Example")
	w.tabs.SelectIndex(1)
	_, err := svc.Userinfo(context.Background(), "Example")
	if err == nil {
		t.Fatal("userinfo without a userinfo URI")
	}

	w.showError("No userinfo", err)

	assertDialogShows(t, w, "add the userinfo URI on the Registration tab")
	assertNoCommandLine(t, overlayTexts(w))
	tapDialogButton(t, w, openRegistrationButton())

	if w.tabs.SelectedIndex() != 0 || !w.form.endpoints.Items[0].Open {
		t.Errorf("tab %d, Endpoints open %v; want the Registration tab with its Endpoints open", w.tabs.SelectedIndex(), w.form.endpoints.Items[0].Open)
	}
	assertFocused(t, w, w.form.urls["userinfo_uri"], "userinfo URI")
}

// No issuer or JWKS: the button is the form's discovery, which asks for the URL first.
func TestErrorDialogDiscovers(t *testing.T) {
	svc := newTestService(t)
	addApp(t, svc, "Example", nil)
	w := openWindow(t, svc)
	selectApp(t, w, "Example")
	err := fail.Failf(core.ErrInvalid, "Example asks for the openid scope but has no issuer or JWKS URI").With(fail.UseDiscoveryFor("Example"))

	w.showError("Could not connect", err)
	assertNoCommandLine(t, overlayTexts(w))
	tapDialogButton(t, w, discoverButton())

	assertFocused(t, w, w.form.discovery, "discovery URL")
	if got := w.form.errors[core.FieldOpenIDConfiguration].Text; got == "" {
		t.Error("with no discovery URL, its line does not ask for one")
	}

	// With the URL there, the button fetches it.
	srv := discoveryServer(t)
	w.form.discovery.SetText(srv.URL)
	w.showError("Could not connect", err)
	tapDialogButton(t, w, discoverButton())
	if got := w.form.urls["jwks_uri"].Text; got == "" {
		t.Errorf("discovery did not fill the JWKS URI; its line says %q", w.form.errors[core.FieldOpenIDConfiguration].Text)
	}
}

// A client credentials app's token is fetched, not signed in for: the button copies it.
func TestErrorDialogCopiesTheToken(t *testing.T) {
	svc := newTestService(t)
	addConnectedApp(t, svc, "Machine", nil, connectedFor(time.Hour))
	w := openWindow(t, svc)
	selectApp(t, w, "Machine")
	err := fail.Failf(core.ErrInvalid, "Machine uses the client credentials grant, so nobody signs in").With(fail.FetchTokenOf("Machine"))

	w.showError("Could not connect", err)
	assertDialogShows(t, w, "its token is fetched when a program asks for it")
	assertNoCommandLine(t, overlayTexts(w))
	tapDialogButton(t, w, copyTokenButton())

	if got := w.env.app.Clipboard().Content(); got != "access-1" {
		t.Errorf("the clipboard holds %q", got)
	}
}

// Every remedy the window has a button for gets it, and those it has none for get none.
func TestRemedyButtons(t *testing.T) {
	var ran []string
	a := &remedyActions{
		connect:   func(app string) { ran = append(ran, "connect "+app) },
		openField: func(app, field string) { ran = append(ran, "open "+app+" "+field) },
		discover:  func(app string) { ran = append(ran, "discover "+app) },
		copyToken: func(app string) { ran = append(ran, "copy "+app) },
	}
	type remedyCase struct {
		r          fail.Remedy
		button, do string
	}
	cases := []remedyCase{
		{fail.ReconnectApp("A"), connectAgainButton(), "connect A"},
		{fail.WaitLongerFor("A"), connectAgainButton(), "connect A"},
		{fail.SetSecretOf("A"), openRegistrationButton(), "open A client_secret"},
		{fail.CheckClientOf("A"), openRegistrationButton(), "open A client_id"},
		{fail.AddEndpointTo("A", "introspection_uri"), openRegistrationButton(), "open A introspection_uri"},
		{fail.FixFieldOf("A", "jwks_uri"), openRegistrationButton(), "open A jwks_uri"},
		{fail.MoveEndpointOf("A", "token_uri"), openRegistrationButton(), "open A token_uri"},
		{fail.ChoosePortFor("A"), openRegistrationButton(), "open A redirect_port"},
		{fail.GiveInitialTokenFor("A"), openRegistrationButton(), "open A initial_access_token"},
		{fail.RegisterByHandFor("A"), openRegistrationButton(), "open A client_id"},
		{fail.UseDiscoveryFor("A"), discoverButton(), "discover A"},
		{fail.FetchTokenOf("A"), copyTokenButton(), "copy A"},
		{fail.PublishAppOf("A"), openRegistrationButton(), "open A publishing_status"},
		{fail.RefreshNowOf("A"), "", ""},
		{fail.ForgetLocallyOnly("A", "tokens"), "", ""},
		{fail.ImportUnderAnotherName("A"), "", ""},
		{fail.SeeApps(), "", ""},
		{fail.SeePresets(), "", ""},
	}
	for _, c := range cases {
		ran = nil
		got := a.choices([]fail.Remedy{c.r})
		if c.button == "" {
			if len(got) != 0 {
				t.Errorf("%+v has a button %q", c.r, got[0].text)
			}
			continue
		}
		if len(got) != 1 || got[0].text != c.button {
			t.Errorf("%+v: buttons %v, want %q", c.r, got, c.button)
			continue
		}
		got[0].run()
		if !slices.Equal(ran, []string{c.do}) {
			t.Errorf("%+v: the button did %q, want %q", c.r, ran, c.do)
		}
	}
	// A new action is decided here too: a button, or none.
	for _, do := range fail.Actions() {
		if do != fail.None && !slices.ContainsFunc(cases, func(c remedyCase) bool { return c.r.Do == do }) {
			t.Errorf("action %d has no row here: decide whether the window offers a button for it", do)
		}
	}
	// Two remedies done by one button: it is offered once, for the outermost.
	ran = nil
	got := a.choices([]fail.Remedy{fail.ChoosePortFor("A"), fail.SetSecretOf("A")})
	if len(got) != 1 {
		t.Fatalf("buttons %v, want one", got)
	}
	got[0].run()
	if !slices.Equal(ran, []string{"open A redirect_port"}) {
		t.Errorf("the one button did %q", ran)
	}
	if (*remedyActions)(nil).choices([]fail.Remedy{fail.ReconnectApp("A")}) != nil {
		t.Error("a window without actions offers buttons")
	}
}
