package gui

import (
	"context"
	"errors"
	"strings"
	"testing"

	"connectedapps/core"
	"connectedapps/core/fail"
)

// core's messages with their remedies, as the window says them: core's line, then the step in
// the window's words (no command, no flag). The window once rewrote strings that named
// commands (windowWords); core's messages name none now, so the step is the remedy's.
func TestErrorWordsSayTheStepWithoutTheCommandLine(t *testing.T) {
	for _, c := range []struct {
		err  error
		want string
	}{
		{fail.Failf(core.ErrPortInUse, "port 8765 on 127.0.0.1 is already in use (another program, or another connect)").With(fail.ChoosePortFor("Google")),
			"port 8765 on 127.0.0.1 is already in use (another program, or another connect): close what holds it, or choose another redirect port under Advanced on the Registration tab"},
		{fail.Failf(core.ErrInvalid, `an app named "Google" already exists: nothing was imported`).With(fail.ImportUnderAnotherName("Google")),
			`an app named "Google" already exists: nothing was imported: import it under another name`},
		{fail.Failf(core.ErrNeedsReauth, "Google: the access token has run out and the provider gave no refresh token").With(fail.ReconnectApp("Google")),
			"Google: the access token has run out and the provider gave no refresh token: sign in again with Connect"},
		{errors.New("the token URI is required"), "the token URI is required"},
	} {
		got := errorWords(c.err)
		if !strings.HasPrefix(got, c.want) {
			t.Errorf("errorWords(%q)\n = %q\nwant it to begin %q", c.err, got, c.want)
		}
		assertNoCommandLine(t, []string{got})
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
		if commandLine.MatchString(s) {
			t.Errorf("the window shows command-line wording: %q", s)
		}
	}
}
