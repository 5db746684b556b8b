package gui

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"connectedapps/core"
	"connectedapps/core/secret"
)

// openSettingsOn opens the Settings screen over a test window; autostart entries go to a
// private XDG_CONFIG_HOME, so the person's own are never touched.
func openSettingsOn(t *testing.T, svc appService) (*mainWindow, *settingsScreen) {
	t.Helper()
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	w := openWindowOn(t, svc)
	s := newSettingsScreen(w.env, w.win)
	s.exe = func() (string, error) { return "/usr/local/bin/connectedapps", nil }
	s.show()
	w.pendingDialog = s.dialog
	return w, s
}

func TestSettingsShowsTheDefaults(t *testing.T) {
	svc := newTestService(t)
	w, s := openSettingsOn(t, svc)

	if !s.clearCheck.Checked || s.seconds.Text != "60" || s.seconds.Disabled() {
		t.Errorf("clipboard: clear %v, %q seconds (disabled %v); want on, 60", s.clearCheck.Checked, s.seconds.Text, s.seconds.Disabled())
	}
	if s.startCheck.Checked {
		t.Error("start at login is on with no autostart entry")
	}
	assertDialogShows(t, w,
		"Clipboard", "Clipboard-history tools",
		"Start at login",
		"Secret store", "Memory only", "Works: it is unlocked and answering.",
		"Your apps are kept in", filepath.Dir(svc.RegistryPath()))
}

func TestSettingsClipboardPreferences(t *testing.T) {
	_, s := openSettingsOn(t, newTestService(t))
	prefs := fyne.CurrentApp().Preferences()

	test.Tap(s.clearCheck)
	if prefs.BoolWithFallback(clipboardClearKey, true) || !s.seconds.Disabled() {
		t.Errorf("after unticking: pref %v, seconds disabled %v; want false, true", prefs.BoolWithFallback(clipboardClearKey, true), s.seconds.Disabled())
	}
	test.Tap(s.clearCheck)
	if !prefs.BoolWithFallback(clipboardClearKey, false) || s.seconds.Disabled() {
		t.Error("ticking again did not switch clearing back on")
	}

	s.seconds.SetText("")
	test.Type(s.seconds, "20")
	if got := prefs.IntWithFallback(clipboardSecondsKey, 0); got != 20 {
		t.Errorf("seconds pref = %d; want 20", got)
	}
	// What the token panel's guard reads.
	if d := newClipboardGuard(fyne.CurrentApp()).clearAfter(); d.Seconds() != 20 {
		t.Errorf("the clipboard guard clears after %v; want 20 s", d)
	}
	if s.secondsError.Visible() {
		t.Errorf("an error is shown for 20: %q", s.secondsError.Text)
	}

	for _, bad := range []string{"2", "abc", "99999"} {
		s.seconds.SetText(bad)
		if !s.secondsError.Visible() || !strings.Contains(s.secondsError.Text, "from 5 to 3600") {
			t.Errorf("%q: error %q (shown %v)", bad, s.secondsError.Text, s.secondsError.Visible())
		}
		if got := prefs.IntWithFallback(clipboardSecondsKey, 0); got != 20 {
			t.Errorf("%q was stored as %d", bad, got)
		}
	}
}

func TestSettingsStartAtLogin(t *testing.T) {
	_, s := openSettingsOn(t, newTestService(t))
	entry := filepath.Join(os.Getenv("XDG_CONFIG_HOME"), "autostart", "io.connectedapps.desktop.desktop")

	test.Tap(s.startCheck)
	data, err := os.ReadFile(entry)
	if err != nil {
		t.Fatalf("ticking start at login wrote no entry: %v", err)
	}
	if !strings.Contains(string(data), "\nExec=/usr/local/bin/connectedapps\n") {
		t.Errorf("entry:\n%s", data)
	}
	if !strings.Contains(s.startNote.Text, entry) {
		t.Errorf("note %q does not name the entry", s.startNote.Text)
	}

	// Reopened, the screen shows what is on disk.
	again := newSettingsScreen(s.env, s.parent)
	again.buildUI()
	if !again.startCheck.Checked {
		t.Error("a new Settings screen does not show start at login as on")
	}

	test.Tap(s.startCheck)
	if _, err := os.Stat(entry); !os.IsNotExist(err) {
		t.Errorf("unticking left the entry: %v", err)
	}
}

func TestSettingsStartAtLoginFailureSaysWhy(t *testing.T) {
	_, s := openSettingsOn(t, newTestService(t))
	// A file where the autostart folder should be.
	if err := os.WriteFile(filepath.Join(os.Getenv("XDG_CONFIG_HOME"), "autostart"), nil, 0o600); err != nil {
		t.Fatal(err)
	}

	test.Tap(s.startCheck)

	if s.startCheck.Checked {
		t.Error("the box stays ticked though nothing was written")
	}
	if s.startNote.Importance != widget.DangerImportance || !strings.Contains(s.startNote.Text, "autostart") {
		t.Errorf("note = %q (%v); want the failure", s.startNote.Text, s.startNote.Importance)
	}
}

func TestSettingsSecretStoreProblems(t *testing.T) {
	tests := []struct {
		fail error
		want string
	}{
		{core.Failf(core.ErrKeyringUnavailable, "the system keyring is locked and could not be unlocked for a read: unlock it"), "Locked: the system keyring is locked"},
		{errors.New("the system keyring cannot be reached for a read (no bus)"), "Not reachable: the system keyring cannot be reached"},
	}
	for _, tc := range tests {
		svc := newTestService(t)
		mem := svc.Secrets.(*secret.MemoryStore)
		mem.Fail = tc.fail
		w, s := openSettingsOn(t, svc)
		assertDialogShows(t, w, tc.want)
		mem.Fail = nil
		test.Tap(s.recheck)
		assertDialogShows(t, w, "Works")
	}
}

func TestSettingsCopiesTheRegistryFolder(t *testing.T) {
	svc := newTestService(t)
	_, s := openSettingsOn(t, svc)
	test.Tap(s.copyFolder)
	if got := fyne.CurrentApp().Clipboard().Content(); got != filepath.Dir(svc.RegistryPath()) {
		t.Errorf("clipboard = %q; want the registry folder", got)
	}
}
