package gui

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/test"

	"connectedapps/core"
)

// discoveryServer serves a provider configuration on loopback.
func discoveryServer(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/.well-known/openid-configuration" {
			http.NotFound(w, r)
			return
		}
		base := "http://" + r.Host
		fmt.Fprintf(w, `{"issuer":%q,"authorization_endpoint":"%[1]s/auth","token_endpoint":"%[1]s/token",
			"revocation_endpoint":"%[1]s/revoke","userinfo_endpoint":"%[1]s/userinfo","jwks_uri":"%[1]s/keys",
			"scopes_supported":["openid","email","profile","offline_access"],"code_challenge_methods_supported":["S256"]}`, base)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestNewAppFormDiscoverFillAndSave(t *testing.T) {
	svc := newTestService(t)
	w := openWindow(t, svc)
	srv := discoveryServer(t)

	w.onNew()
	f := w.form
	if !w.detail.Visible() || w.top.name.Text != "New app" {
		t.Fatalf("New did not open an empty form (header %q)", w.top.name.Text)
	}
	test.Type(f.name, "Example OP")
	test.Type(f.discovery, srv.URL)
	test.Tap(f.discover)

	if f.urls["authorization_uri"].Text != srv.URL+"/auth" || f.urls["token_uri"].Text != srv.URL+"/token" || f.urls["issuer"].Text != srv.URL || f.urls["jwks_uri"].Text != srv.URL+"/keys" {
		t.Fatalf("discovery did not fill the endpoints: auth %q token %q issuer %q jwks %q", f.urls["authorization_uri"].Text, f.urls["token_uri"].Text, f.urls["issuer"].Text, f.urls["jwks_uri"].Text)
	}
	if got := f.scopeOptions; strings.Join(got, " ") != "openid email profile offline_access" {
		t.Fatalf("scope suggestions: %v", got)
	}
	test.Type(f.clientID, "my-client")
	test.Type(f.secret, "s3cret")
	for _, s := range []string{"openid", "email"} {
		f.scopeInput.SetText(s)
		test.Tap(findButton(t, w, "Add"))
	}
	f.addParam("access_type", "offline")
	f.redirectPort.SetText("9999")
	if f.redirectURI.Text != "http://127.0.0.1:9999/callback/example-op" {
		t.Fatalf("the redirect URI does not follow the port: %q", f.redirectURI.Text)
	}
	if !f.isDirty() {
		t.Fatal("a filled form is not dirty")
	}

	test.Tap(f.save)

	saved, err := svc.Get("example op")
	if err != nil {
		t.Fatalf("not saved: %v (status %q)", err, f.status.Text)
	}
	if saved.ClientID != "my-client" || strings.Join(saved.Scopes, " ") != "openid email" || saved.RedirectPort != 9999 ||
		len(saved.QueryParameters) != 1 || saved.QueryParameters[0] != (core.QueryParameter{Key: "access_type", Value: "offline"}) ||
		!saved.HasClientSecret || saved.Issuer != srv.URL || len(saved.ScopesSupported) != 4 {
		t.Fatalf("saved document: %+v", saved)
	}
	if f.isDirty() || f.secret.Text != "" {
		t.Fatal("the form still has edits after saving, or shows the secret")
	}
	if w.selectedID != saved.ID || w.sidebar.list.Length() != 1 {
		t.Fatalf("the saved app is not selected in the list")
	}
	assertShown(t, w, "Saved.")
}

func TestFormShowsErrorsBesideTheirFields(t *testing.T) {
	svc := newTestService(t)
	w := openWindow(t, svc)
	w.onNew()
	f := w.form

	test.Tap(f.save)
	if f.errors["provider_name"].Text == "" {
		t.Fatal("an empty name is not flagged beside the name")
	}
	test.Type(f.name, "Bad")
	test.Type(f.clientID, "c")
	f.urls["authorization_uri"].SetText("http://example.com/auth")
	f.urls["token_uri"].SetText("https://example.com/token")
	test.Tap(f.save)
	if msg := f.errors["authorization_uri"]; !msg.Visible() || !strings.Contains(msg.Text, "plain http") {
		t.Fatalf("the plain-http authorization URI is not flagged: %q", msg.Text)
	}
	if apps, _ := svc.List(); len(apps) != 0 {
		t.Fatal("an invalid document was saved")
	}

	// A scope with a space is refused as it is typed in.
	f.scopeInput.SetText("openid email")
	f.onAddScope()
	if msg := f.errors["scopes"]; !msg.Visible() || !strings.Contains(msg.Text, "one scope at a time") {
		t.Fatalf("a scope with a space is accepted: %q", msg.Text)
	}

	// A name already taken, in any case.
	addApp(t, svc, "Taken", nil)
	f.name.SetText("taken")
	f.urls["authorization_uri"].SetText("https://example.com/auth")
	test.Tap(f.save)
	if msg := f.errors["provider_name"]; !msg.Visible() || !strings.Contains(msg.Text, "already exists") {
		t.Fatalf("a duplicate name is not flagged: %q", msg.Text)
	}
}

func TestBadDiscoveryURLShowsInline(t *testing.T) {
	w := openWindow(t, newTestService(t))
	srv := discoveryServer(t)
	w.onNew()
	f := w.form
	f.discovery.SetText(srv.URL + "/nothing-here")
	test.Tap(f.discover)
	msg := f.errors["openid_configuration"]
	if !msg.Visible() || !strings.Contains(msg.Text, "404") || !strings.Contains(msg.Text, srv.URL+"/nothing-here") {
		t.Fatalf("discovery failure: visible %v, %q", msg.Visible(), msg.Text)
	}
	if !f.discover.Disabled() && f.urls["authorization_uri"].Text != "" {
		t.Fatal("a failed discovery filled endpoints")
	}
	f.discovery.SetText("not a url")
	test.Tap(f.discover)
	if !strings.Contains(msg.Text, "not an absolute http(s) URL") {
		t.Fatalf("bad URL: %q", msg.Text)
	}
}

func TestUnsavedChangesAreNeverLostSilently(t *testing.T) {
	svc := newTestService(t)
	addApp(t, svc, "First", nil)
	addApp(t, svc, "Second", nil)
	w := openWindow(t, svc)
	w.selectID(w.sidebar.shown[0].ID)
	w.form.clientID.SetText("edited")

	// Switching app asks; "Cancel" keeps the edit and the selection.
	w.sidebar.list.Select(1)
	d, ok := w.pendingDialog.(*dialog.CustomDialog)
	if !ok {
		t.Fatal("switching with edits did not ask")
	}
	test.Tap(findButton(t, w, "Cancel"))
	if w.form.clientID.Text != "edited" || w.selectedID != w.sidebar.shown[0].ID {
		t.Fatal("Cancel lost the edit or switched anyway")
	}
	_ = d

	// "Discard changes" switches and drops the edit.
	w.sidebar.list.Select(1)
	test.Tap(findButton(t, w, "Discard changes"))
	if w.selectedID != w.sidebar.shown[1].ID || w.form.clientID.Text != "c" {
		t.Fatalf("discard: selected %q, client id %q", w.selectedID, w.form.clientID.Text)
	}

	// "Save" saves, then goes on with what was asked (here: a new app).
	w.form.clientID.SetText("saved-on-the-way")
	w.onNew()
	test.Tap(findButton(t, w, "Save"))
	if got, _ := svc.Get("Second"); got.ClientID != "saved-on-the-way" {
		t.Fatalf("Save in the prompt did not save: %q", got.ClientID)
	}
	if w.selectedID != newAppID {
		t.Fatal("after saving, the new form did not open")
	}
}

func TestRegistryChangedElsewhereWhileEditing(t *testing.T) {
	svc := newTestService(t)
	addApp(t, svc, "Shared", nil)
	w := openWindow(t, svc)
	w.selectID(w.sidebar.shown[0].ID)

	// Without edits, a change made by the command line just appears.
	if _, err := svc.Edit(t.Context(), "Shared", func(a *core.App) error { a.ClientID = "from-cli"; return nil }, core.KeepSecret()); err != nil {
		t.Fatal(err)
	}
	bumpRegistry(t, svc)
	w.registry.check()
	if w.form.clientID.Text != "from-cli" {
		t.Fatalf("the form did not reload: %q", w.form.clientID.Text)
	}

	// With edits, the window asks instead of overwriting either side.
	w.form.clientID.SetText("typed here")
	if _, err := svc.Edit(t.Context(), "Shared", func(a *core.App) error { a.ClientID = "from-cli-2"; return nil }, core.KeepSecret()); err != nil {
		t.Fatal(err)
	}
	bumpRegistry(t, svc)
	w.registry.check()
	if !w.changed.Visible() || w.form.clientID.Text != "typed here" {
		t.Fatal("a change elsewhere overwrote the edits or went unnoticed")
	}
	test.Tap(findButton(t, w, "Reload now"))
	if w.form.clientID.Text != "from-cli-2" || w.changed.Visible() {
		t.Fatalf("Reload now: %q", w.form.clientID.Text)
	}
}

func TestDeleteConfirmsAndRemoves(t *testing.T) {
	svc := newTestService(t)
	addApp(t, svc, "Doomed", nil)
	w := openWindow(t, svc)
	w.selectID(w.sidebar.shown[0].ID)
	test.Tap(w.form.deleteButton)
	if w.form.pendingDelete == nil || w.win.Canvas().Overlays().Top() == nil {
		t.Fatal("Delete did not ask")
	}
	tapDialogButton(t, w, "Delete")
	if apps, _ := svc.List(); len(apps) != 0 {
		t.Fatal("not deleted")
	}
	if w.detail.Visible() {
		t.Fatal("the deleted app is still shown")
	}
}

func TestNewFromPresetFillsTheForm(t *testing.T) {
	svc := newTestService(t)
	w := openWindow(t, svc)
	items := w.presets.items()
	if len(items) < 10 {
		t.Fatalf("%d presets in the menu, want every provider", len(items))
	}
	presets, _ := core.Presets()
	var keycloak core.Preset
	for _, p := range presets {
		if p.ID == "keycloak" {
			keycloak = p
		}
	}
	w.presets.openPreset(keycloak, map[string]string{"site": "https://sso.example.com", "realm": "staff"})
	f := w.form
	if !strings.HasPrefix(f.discovery.Text, "https://sso.example.com/realms/staff") || f.name.Text == "" {
		t.Fatalf("the Keycloak preset did not fill the form: name %q discovery %q", f.name.Text, f.discovery.Text)
	}
	if got := presetChecklist(t, w).Items[0].Title; !strings.HasPrefix(got, "Keycloak preset: ") {
		t.Errorf("the preset checklist is titled %q", got)
	}
	test.Type(f.clientID, "cli")
	test.Tap(f.save)
	if _, err := svc.Get(f.name.Text); err != nil {
		t.Fatalf("the preset app was not saved: %v (%s)", err, f.status.Text)
	}

	// A preset that needs a value refuses to go on without it.
	var ms core.Preset
	for _, p := range presets {
		if p.ID == "okta" {
			ms = p
		}
	}
	w.presets.openPreset(ms, nil)
	if w.selectedID == newAppID && strings.Contains(w.form.discovery.Text, "{") {
		t.Fatal("a preset with an unfilled field opened with a template in the form")
	}
}

func TestImportADroppedGoogleClientFile(t *testing.T) {
	svc := newTestService(t)
	w := openWindow(t, svc)
	file := t.TempDir() + "/client_secret_123.json"
	google := `{"installed":{"client_id":"123.apps.googleusercontent.com","project_id":"p","auth_uri":"https://accounts.google.com/o/oauth2/auth",
		"token_uri":"https://oauth2.googleapis.com/token","client_secret":"GOCSPX-dropped","redirect_uris":["http://localhost"]}}`
	if err := os.WriteFile(file, []byte(google), 0o600); err != nil {
		t.Fatal(err)
	}
	w.imports.onDropped(fyne.NewPos(10, 10), []fyne.URI{storage.NewFileURI(file)})
	apps, _ := svc.List()
	if len(apps) != 1 || apps[0].ClientID != "123.apps.googleusercontent.com" || !apps[0].HasClientSecret {
		t.Fatalf("dropped file not imported: %+v", apps)
	}
	if w.selectedID != apps[0].ID {
		t.Fatal("the imported app is not selected")
	}
	// The same file again: the name is taken, so the window asks for another one.
	w.imports.onDropped(fyne.NewPos(10, 10), []fyne.URI{storage.NewFileURI(file)})
	assertDialogShows(t, w, "already in use", `An app named "Google" is already registered`)
	tapDialogButton(t, w, "Import") // disabled: nothing happens
	if apps, _ := svc.List(); len(apps) != 1 {
		t.Fatalf("imported under a taken name: %d apps", len(apps))
	}
	entries := dialogEntries(w)
	if len(entries) != 1 {
		t.Fatalf("the import table has %d name fields; want 1", len(entries))
	}
	entries[0].SetText("Google, second")
	tapDialogButton(t, w, "Import")
	if apps, _ := svc.List(); len(apps) != 2 {
		t.Fatalf("the renamed import: %d apps", len(apps))
	}
	data, err := svc.Export()
	if err != nil || strings.Contains(string(data), "GOCSPX-dropped") {
		t.Fatalf("export: %v, or it carries the secret", err)
	}
}

func TestGrantTypeIsPartOfTheForm(t *testing.T) {
	svc := newTestService(t)
	addApp(t, svc, "Machine", nil)
	w := openWindow(t, svc)
	w.selectID(w.sidebar.shown[0].ID)
	w.form.grantType.SetSelected(choiceLabel(grantTypes(), core.GrantClientCredentials))
	test.Tap(w.form.save)
	// client credentials needs a client secret: refused beside the field, nothing saved.
	if got, _ := svc.Get("Machine"); got.GrantType != core.GrantAuthorizationCode {
		t.Fatalf("saved without a secret: %q", got.GrantType)
	}
	if !strings.Contains(w.form.status.Text, "Not saved") {
		t.Fatalf("status: %q", w.form.status.Text)
	}
	w.form.secret.SetText("machine-secret")
	test.Tap(w.form.save)
	if got, _ := svc.Get("Machine"); got.GrantType != core.GrantClientCredentials || !got.HasClientSecret {
		t.Fatalf("grant type not saved: %+v (status %q)", got, w.form.status.Text)
	}
}

// The form edits the hosts git-credential may give the token to: the GitHub preset fills its
// own, one is added and one refused as it is typed, and Save keeps the list.
func TestFormEditsGitHosts(t *testing.T) {
	svc := newTestService(t)
	w := openWindow(t, svc)
	github, err := core.PresetByID("github")
	if err != nil {
		t.Fatal(err)
	}
	w.presets.openPreset(github, nil)
	f := w.form
	if strings.Join(f.gitHosts, " ") != "github.com" || len(f.gitHostList.Objects) != 1 {
		t.Fatalf("the GitHub preset's git hosts: %v", f.gitHosts)
	}
	f.gitHostInput.SetText("https://evil.example/x")
	test.Tap(f.addGitHost)
	if msg := f.errors["git_hosts"]; !strings.Contains(msg.Text, "scheme") || len(f.gitHosts) != 1 {
		t.Fatalf("a URL as git host: error %q, hosts %v", msg.Text, f.gitHosts)
	}
	f.gitHostInput.SetText("GHE.Example.com:8443")
	test.Tap(f.addGitHost)
	if strings.Join(f.gitHosts, " ") != "github.com ghe.example.com:8443" || f.errors["git_hosts"].Text != "" {
		t.Fatalf("after adding a host: %v (error %q)", f.gitHosts, f.errors["git_hosts"].Text)
	}
	test.Type(f.clientID, "gh-client")
	test.Tap(f.save)
	saved, err := svc.Get(f.name.Text)
	if err != nil {
		t.Fatalf("not saved: %v (%s)", err, f.status.Text)
	}
	if strings.Join(saved.GitHosts, " ") != "github.com ghe.example.com:8443" {
		t.Fatalf("saved git hosts: %v", saved.GitHosts)
	}
	// Removing one is an edit that Save keeps.
	f.removeGitHost("github.com")
	if !f.isDirty() {
		t.Fatal("removing a git host is not an edit")
	}
	test.Tap(f.save)
	if saved, _ = svc.Get(f.name.Text); strings.Join(saved.GitHosts, " ") != "ghe.example.com:8443" {
		t.Fatalf("after removing github.com: %v", saved.GitHosts)
	}
}

// The on-event command is a field under Advanced: saved as typed (trimmed), refused beside
// the field when its quotes do not close, shown again when the app is opened.
func TestFormEditsTheOnEventCommand(t *testing.T) {
	svc := newTestService(t)
	w := openWindow(t, svc)
	github, err := core.PresetByID("github")
	if err != nil {
		t.Fatal(err)
	}
	w.presets.openPreset(github, nil)
	f := w.form
	test.Type(f.clientID, "gh-client")
	f.onEvent.SetText("notify-send 'GitHub needs you")
	test.Tap(f.save)
	if _, err := svc.Get(f.name.Text); err == nil {
		t.Fatal("a command with an unclosed quote was saved")
	}
	if msg := f.errors[core.FieldOnEvent]; !strings.Contains(msg.Text, "never closed") {
		t.Fatalf("error beside the field: %q (status %q)", msg.Text, f.status.Text)
	}
	f.onEvent.SetText("  notify-send 'GitHub needs you'  ")
	test.Tap(f.save)
	saved, err := svc.Get(f.name.Text)
	if err != nil {
		t.Fatalf("not saved: %v (%s)", err, f.status.Text)
	}
	if saved.OnEvent != "notify-send 'GitHub needs you'" {
		t.Fatalf("saved on_event %q", saved.OnEvent)
	}
	f.load(&saved)
	if f.onEvent.Text != saved.OnEvent {
		t.Fatalf("the form shows %q for %q", f.onEvent.Text, saved.OnEvent)
	}
}
