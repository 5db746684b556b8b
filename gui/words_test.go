package gui

import (
	"context"
	"errors"
	"strings"
	"testing"

	"connectedapps/core"
)

func TestWindowWordsDropCommandLineAdvice(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"port 8765 on 127.0.0.1 is already in use (another program, or another connect): close it, or pick another port with `connectedapps edit NAME --redirect-port N` and register the new redirect URI with the provider (0 = any free port, where the provider allows it)",
			"port 8765 on 127.0.0.1 is already in use (another program, or another connect)"},
		{`an app named "Google" already exists: nothing was imported; import it under another name with --as NEW`,
			`an app named "Google" already exists: nothing was imported`},
		{"Google: the access token has run out and the provider gave no refresh token: run `connectedapps connect \"Google\"` to sign in again",
			"Google: the access token has run out and the provider gave no refresh token"},
		{"the token URI is required: use discovery or give it by hand", "the token URI is required: use discovery or give it by hand"},
		{"run `connectedapps keyring unlock`", "run `connectedapps keyring unlock`"},
	} {
		if got := windowWords(c.in); got != c.want {
			t.Errorf("windowWords(%q)\n = %q\nwant %q", c.in, got, c.want)
		}
	}
}

// The real core's refusals, as the window shows them: no command, no flag.
func TestNoCommandLineWordingInTheWindow(t *testing.T) {
	svc := newTestService(t)
	addApp(t, svc, "Google", nil)
	w := openWindow(t, svc)
	data, err := svc.Export()
	if err != nil {
		t.Fatal(err)
	}
	// Importing an app whose name is taken: the import table asks for another name.
	w.importData("apps.json", data)
	assertNoCommandLine(t, overlayTexts(w))
	if !slices_containsSubstring(overlayTexts(w), "already registered") {
		t.Errorf("the name-taken dialog says %q", overlayTexts(w))
	}
	// Taken meanwhile by another program: core's refusal, without its --as advice.
	addApp(t, svc, "Google 2", nil)
	dialogEntries(w)[0].SetText("Google 2")
	w.win.Canvas().Overlays().Top().Hide()
	w.runImport("apps.json", data, []core.ImportChoice{{Name: "Google 2"}})
	assertDialogShows(t, w, "already exists")
	assertNoCommandLine(t, overlayTexts(w))
	w.win.Canvas().Overlays().Top().Hide()

	// Settings, with the secret store's controls.
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	s := newSettingsScreen(w.env, w.win)
	s.show()
	assertDialogShows(t, w, "Secret store")
	assertNoCommandLine(t, overlayTexts(w))
	s.dialog.Hide()

	// A core error shown in a dialog.
	_, err = svc.Token(context.Background(), "Google", 0)
	if err == nil || !errors.Is(err, core.ErrNotConnected) {
		t.Fatalf("token of an unconnected app: %v", err)
	}
	w.showError("No token", err)
	assertNoCommandLine(t, overlayTexts(w))
}

func slices_containsSubstring(texts []string, s string) bool {
	for _, x := range texts {
		if strings.Contains(x, s) {
			return true
		}
	}
	return false
}

func assertNoCommandLine(t *testing.T, texts []string) {
	t.Helper()
	for _, s := range texts {
		if mentionsCommandLine(s) {
			t.Errorf("the window shows command-line wording: %q", s)
		}
	}
}
