package gui

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"connectedapps/core"
	"connectedapps/core/fail"
)

// typeKey delivers a key as the window's driver does: to the focused widget, or to the
// canvas's handler when nothing is focused.
func typeKey(w *mainWindow, key fyne.KeyName) {
	ev := &fyne.KeyEvent{Name: key}
	c := w.win.Canvas()
	if f := c.Focused(); f != nil {
		f.TypedKey(ev)
		return
	}
	if h := c.OnTypedKey(); h != nil {
		h(ev)
	}
}

// dialogButtons is the text of each button of the topmost dialog, in order.
func dialogButtons(t *testing.T, w *mainWindow) []string {
	t.Helper()
	top := w.win.Canvas().Overlays().Top()
	if top == nil {
		t.Fatal("no dialog is shown")
	}
	var got []string
	visit(top, func(o fyne.CanvasObject) {
		if b, ok := asButton(o); ok && b.Visible() && b.Text != "" {
			got = append(got, b.Text)
		}
	})
	return got
}

func dialogShown(w *mainWindow) bool { return w.win.Canvas().Overlays().Top() != nil }

// Connect (or Reconnect) comes before the form, and so before Delete, in the Tab order:
// right after the sidebar. The form came first, so Shift+Tab from the search, the way to
// Connect, could land on Delete.
func TestConnectComesBeforeDeleteInTheTabOrder(t *testing.T) {
	svc := newTestService(t)
	addApp(t, svc, "Alpha", nil)
	w := openWindow(t, svc)
	selectApp(t, w, "Alpha")
	c := w.win.Canvas()
	c.Focus(w.sidebar.search)
	connectAt, deleteAt := -1, -1
	for i := 1; i <= 80 && deleteAt < 0; i++ {
		c.FocusNext()
		switch c.Focused() {
		case w.top.connect:
			connectAt = i
		case w.form.deleteButton:
			deleteAt = i
		}
	}
	// Search, then New, New from preset, the list, Settings: Connect is the fifth Tab.
	if connectAt != 5 || deleteAt <= connectAt {
		t.Fatalf("from the search Connect is Tab %d and Delete Tab %d; want Connect 5th, before Delete", connectAt, deleteAt)
	}
}

// Every dialog of the window, in one style and with the same keys: the button that leaves
// first ("Cancel", or "Close" for a message), the confirming one last; Escape leaves without
// acting, Enter confirms. This is also the list of the window's dialog kinds.
func TestEveryDialogHasOneStyleAndAnswersEnterAndEscape(t *testing.T) {
	type dialogKind struct {
		name    string
		buttons []string
		// open shows the dialog and returns a check that the confirming action happened
		// (a message has none: Enter closes it).
		open func(t *testing.T, w *mainWindow, svc *scriptedService) (confirmed func() bool)
	}
	// The confirming button of these destroys something, so Enter leaves instead.
	enterLeaves := map[string]bool{"Delete": true}
	message := func(show func(w *mainWindow)) func(*testing.T, *mainWindow, *scriptedService) func() bool {
		return func(_ *testing.T, w *mainWindow, _ *scriptedService) func() bool {
			show(w)
			return nil
		}
	}
	kinds := []dialogKind{
		{"an error", []string{"Close"}, message(func(w *mainWindow) { w.showError("Export failed", errors.New("the disk is full")) })},
		{"an error with a remedy", []string{"Close", connectAgainButton()}, func(t *testing.T, w *mainWindow, svc *scriptedService) func() bool {
			svc.connects = nil
			svc.connect = func(context.Context, string, core.ConnectOptions) (*core.ConnectResult, error) {
				return nil, errors.New("the provider is down")
			}
			w.showError("No token", fail.Failf(core.ErrNotConnected, "Alpha is not connected").With(fail.ReconnectApp("Alpha")))
			return func() bool { return len(svc.connects) == 1 } // Connect again signs in
		}},
		{"a notice", []string{"Close"}, message(func(w *mainWindow) { w.showInfo("Exported", "Written to /tmp/x.json") })},
		{"About", []string{"Close"}, message(func(w *mainWindow) { w.showAbout() })},
		{"the token test", []string{"Close"}, message(func(w *mainWindow) {
			w.tokens.showTestAnswers(core.App{ProviderName: "Alpha"}, nil)
		})},
		{"Delete", []string{"Cancel", "Delete"}, func(t *testing.T, w *mainWindow, svc *scriptedService) func() bool {
			selectApp(t, w, "Alpha")
			test.Tap(w.form.deleteButton)
			return func() bool { apps, _ := svc.List(); return len(apps) == 0 }
		}},
		{"Unsaved changes", []string{"Cancel", "Discard changes", "Save"}, func(t *testing.T, w *mainWindow, svc *scriptedService) func() bool {
			selectApp(t, w, "Alpha")
			w.form.clientID.SetText("c-edited")
			w.onNew()
			return func() bool { a, _ := svc.Get("Alpha"); return a.ClientID == "c-edited" }
		}},
		{"a preset's values", []string{"Cancel", "Continue"}, func(t *testing.T, w *mainWindow, _ *scriptedService) func() bool {
			w.presets.newFromPreset(presetByID(t, "keycloak"))
			c := w.win.Canvas()
			test.Type(c.Focused().(*dialogEntry), "https://sso.example.com")
			c.FocusNext()
			test.Type(c.Focused().(*dialogEntry), "staff")
			return func() bool { return w.selectedID == newAppID }
		}},
		{"a failed sign-in", []string{"Close", "Try again"}, func(t *testing.T, w *mainWindow, svc *scriptedService) func() bool {
			app := selectApp(t, w, "Alpha")
			svc.connects = nil
			svc.connect = func(context.Context, string, core.ConnectOptions) (*core.ConnectResult, error) {
				return nil, errors.New("the provider is down")
			}
			w.connectDialog(app).start()
			return func() bool { return len(svc.connects) == 2 } // Try again signs in again
		}},
	}
	for _, k := range kinds {
		t.Run(k.name, func(t *testing.T) {
			svc := &scriptedService{Service: newTestService(t)}
			addApp(t, svc.Service, "Alpha", nil)
			w := openWindowOn(t, svc)
			before := w.win.Canvas().OnTypedKey()

			confirmed := k.open(t, w, svc)
			if got := dialogButtons(t, w); !slices.Equal(got, k.buttons) {
				t.Errorf("buttons %q, want %q", got, k.buttons)
			}
			typeKey(w, fyne.KeyEscape)
			if dialogShown(w) {
				t.Fatalf("Escape left the dialog open: %q", overlayTexts(w))
			}
			if confirmed != nil && confirmed() {
				t.Fatal("Escape did what confirming does")
			}
			if fmt.Sprintf("%p", w.win.Canvas().OnTypedKey()) != fmt.Sprintf("%p", before) {
				t.Error("the window's own key handler was not put back after the dialog")
			}

			confirmed = k.open(t, w, svc)
			typeKey(w, fyne.KeyReturn)
			if enterLeaves[k.name] {
				if dialogShown(w) || confirmed() {
					t.Fatalf("Enter on a destructive dialog: still shown %v, confirmed %v; want it left, nothing done", dialogShown(w), confirmed())
				}
				return
			}
			if confirmed != nil && !confirmed() {
				t.Fatalf("Enter did not confirm; the dialog shows %q", overlayTexts(w))
			}
			if confirmed == nil && dialogShown(w) {
				t.Fatalf("Enter left the message open: %q", overlayTexts(w))
			}
		})
	}
}

// A dialog's keys work after Tab moved onto one of its buttons: Enter presses the focused
// button (here Cancel, not the default Delete), Escape leaves.
func TestDialogKeysOnAFocusedButton(t *testing.T) {
	svc := newTestService(t)
	addApp(t, svc, "Alpha", nil)
	w := openWindow(t, svc)
	selectApp(t, w, "Alpha")
	test.Tap(w.form.deleteButton)
	c := w.win.Canvas()
	c.FocusNext()
	if b, ok := c.Focused().(*dialogButton); !ok || b.Text != "Cancel" {
		t.Fatalf("Tab in the dialog focused %T, want its Cancel button", c.Focused())
	}
	typeKey(w, fyne.KeyReturn)
	if apps, _ := svc.List(); len(apps) != 1 || dialogShown(w) {
		t.Fatalf("Enter on Cancel: %d apps, dialog shown %v", len(apps), dialogShown(w))
	}

	test.Tap(w.form.deleteButton)
	c.FocusNext()
	c.FocusNext() // Delete
	typeKey(w, fyne.KeyEscape)
	if apps, _ := svc.List(); len(apps) != 1 || dialogShown(w) {
		t.Fatalf("Escape on Delete: %d apps, dialog shown %v", len(apps), dialogShown(w))
	}
}

// In a dialog with text fields, Enter in a field confirms and Escape in it leaves.
func TestDialogKeysInATextField(t *testing.T) {
	svc := newTestService(t)
	w := openWindow(t, svc)
	keycloak := presetByID(t, "keycloak")

	w.presets.newFromPreset(keycloak)
	if _, ok := w.win.Canvas().Focused().(*dialogEntry); !ok {
		t.Fatalf("the preset's first field is not focused: %T", w.win.Canvas().Focused())
	}
	typeKey(w, fyne.KeyEscape)
	if dialogShown(w) || w.selectedID == newAppID {
		t.Fatalf("Escape in the field: dialog shown %v, selected %q", dialogShown(w), w.selectedID)
	}

	w.presets.newFromPreset(keycloak)
	test.Type(w.win.Canvas().Focused().(*dialogEntry), "https://sso.example.com")
	w.win.Canvas().FocusNext()
	test.Type(w.win.Canvas().Focused().(*dialogEntry), "staff")
	typeKey(w, fyne.KeyReturn)
	if dialogShown(w) || w.selectedID != newAppID || w.form.discovery.Text == "" {
		t.Fatalf("Enter in the field: dialog shown %v, selected %q, discovery %q", dialogShown(w), w.selectedID, w.form.discovery.Text)
	}
}

// Dialogs over dialogs: the keys go to the topmost, and closing it gives them back to the one
// below (Settings, then an error over it).
func TestDialogKeysGoToTheTopmostDialog(t *testing.T) {
	svc := newTestService(t)
	w, s := openSettingsOn(t, svc)
	w.showError("Not saved", errors.New("the disk is full"))
	typeKey(w, fyne.KeyEscape)
	if top := w.win.Canvas().Overlays().Top(); top == nil || len(w.win.Canvas().Overlays().List()) != 1 || !s.scroll.Visible() {
		t.Fatal("Escape over Settings closed Settings too, or nothing")
	}
	typeKey(w, fyne.KeyEscape)
	if dialogShown(w) {
		t.Fatalf("the second Escape left %q open", overlayTexts(w))
	}
	if w.win.Canvas().OnTypedKey() != nil {
		t.Error("the window's key handler is not back to none")
	}
}

// The Registration page is several forms (split by section headers, hints and the folding
// Endpoints and Advanced sections) with one label column: every field starts at the same x.
// Each form used to size its labels to its own widest: three indents down one page.
func TestRegistrationFormsShareOneLabelColumn(t *testing.T) {
	svc := newTestService(t)
	addApp(t, svc, "Alpha", nil)
	w := openWindow(t, svc)
	w.win.Resize(fyne.NewSize(1000, 680))
	selectApp(t, w, "Alpha")
	f := w.form
	f.endpoints.Open(0)
	f.endpoints.Open(1)
	w.win.Canvas().Refresh(w.win.Content())
	d := fyne.CurrentApp().Driver()
	fields := map[string]fyne.CanvasObject{"Provider Name": f.name, "Client ID": f.clientID, "Authorization URI": f.urls["authorization_uri"],
		"Revocation URI": f.urls["revocation_uri"], "Redirect host": f.redirectHost, "Redirect port": f.redirectPort}
	want := d.AbsolutePositionForObject(f.name).X
	for name, o := range fields {
		if x := d.AbsolutePositionForObject(o).X; x != want {
			t.Errorf("the %s field starts at x %.0f, Provider Name at %.0f", name, x, want)
		}
	}
}

// Escape in the connect dialog's paste field cancels the sign-in, as Escape anywhere in it does.
func TestEscapeInTheConnectPasteFieldCancels(t *testing.T) {
	svc := &scriptedService{Service: newTestService(t)}
	addApp(t, svc.Service, "Alpha", nil)
	w := openWindowOn(t, svc)
	app := selectApp(t, w, "Alpha")
	svc.connect = func(ctx context.Context, _ string, _ core.ConnectOptions) (*core.ConnectResult, error) {
		<-ctx.Done() // a sign-in waiting for the browser, until it is canceled
		return nil, ctx.Err()
	}
	// Connect waits, so it runs on a goroutine of its own here; the test joins it.
	var signIn sync.WaitGroup
	w.env.goAsync = func(f func()) { signIn.Add(1); go func() { defer signIn.Done(); f() }() }

	c := w.connectDialog(app)
	c.start()
	w.win.Canvas().Focus(c.pasteEntry)
	typeKey(w, fyne.KeyEscape)
	signIn.Wait() // returns only once the sign-in's context was canceled
	if dialogShown(w) {
		t.Fatalf("Escape in the paste field left the dialog open: %q", overlayTexts(w))
	}
}

// The dialogs built around their own fields (the vault's passphrase, the import table) have
// the same style and keys as the rest: buttons in the row, Cancel first; Escape leaves even
// from a focused field; Enter confirms.
func TestFieldDialogsAnswerEnterAndEscape(t *testing.T) {
	t.Run("the vault passphrase", func(t *testing.T) {
		svc, store := lockedVaultService(t)
		w := openWindowOn(t, svc)
		u := setupVault(w.env, w.win, svc.Secrets)
		if got := dialogButtons(t, w); !slices.Equal(got, []string{"Not now", "Unlock"}) {
			t.Errorf("buttons %q, want Not now, Unlock", got)
		}
		if w.win.Canvas().Focused() != u.pass {
			t.Fatal("the passphrase field is not focused")
		}
		typeKey(w, fyne.KeyEscape) // from the focused field
		if dialogShown(w) || store.Unlocked() {
			t.Fatalf("Escape in the passphrase field: dialog shown %v, unlocked %v; want it left, locked", dialogShown(w), store.Unlocked())
		}
		svc, store = lockedVaultService(t) // a fresh start: "Not now" stands for this run
		w = openWindowOn(t, svc)
		u = setupVault(w.env, w.win, svc.Secrets)
		test.Type(u.pass, guiVaultPass)
		typeKey(w, fyne.KeyReturn)
		for deadline := time.Now().Add(5 * time.Second); !store.Unlocked() && time.Now().Before(deadline); {
			time.Sleep(10 * time.Millisecond) // the key derivation runs off the UI goroutine
		}
		if !store.Unlocked() || dialogShown(w) {
			t.Fatalf("Enter in the passphrase field: unlocked %v, dialog shown %v", store.Unlocked(), dialogShown(w))
		}
	})
	t.Run("the import table", func(t *testing.T) {
		svc := newTestService(t)
		addApp(t, svc, "Alpha", nil)
		w := openWindow(t, svc)
		file := []byte(`[{"doctype":"Connected App","provider_name":"Alpha","client_id":"a","authorization_uri":"https://a.example/auth","token_uri":"https://a.example/token","scopes":[],"query_parameters":[]},
 {"doctype":"Connected App","provider_name":"Beta","client_id":"b","authorization_uri":"https://b.example/auth","token_uri":"https://b.example/token","scopes":[],"query_parameters":[]}]`)
		w.imports.importData("apps.json", file)
		if got := dialogButtons(t, w); !slices.Equal(got, []string{"Cancel", "Import"}) {
			t.Errorf("buttons %q, want Cancel, Import", got)
		}
		typeKey(w, fyne.KeyEscape)
		if dialogShown(w) || registeredNames(t, svc) != "Alpha" {
			t.Fatalf("Escape: dialog shown %v, registered %s; want it left, nothing imported", dialogShown(w), registeredNames(t, svc))
		}
		w.imports.importData("apps.json", file)
		typeKey(w, fyne.KeyReturn) // Alpha's name is taken: Import is disabled, Enter does nothing
		if !dialogShown(w) || registeredNames(t, svc) != "Alpha" {
			t.Fatalf("Enter with a conflict left: dialog shown %v, registered %s", dialogShown(w), registeredNames(t, svc))
		}
		entries := dialogEntries(w)
		entries[0].SetText("Alpha at work")
		w.win.Canvas().Focus(entries[0])
		typeKey(w, fyne.KeyReturn) // Enter in a name field imports
		if got := registeredNames(t, svc); got != "Alpha, Alpha at work, Beta" {
			t.Fatalf("after Enter: registered %s", got)
		}
	})
}

// Settings answers Escape and Enter whichever of its controls has the focus: a focused widget
// gets the keys before the dialog, so each control passes them on (but a focused button, which
// Enter presses, as in every dialog).
func TestSettingsAnswersEscapeAndEnterFromEveryControl(t *testing.T) {
	for _, key := range []fyne.KeyName{fyne.KeyEscape, fyne.KeyReturn} {
		controls := map[string]func(s *settingsScreen) fyne.Focusable{
			"the clipboard check":  func(s *settingsScreen) fyne.Focusable { return s.clearCheck },
			"the seconds":          func(s *settingsScreen) fyne.Focusable { return s.seconds },
			"the start-at-login":   func(s *settingsScreen) fyne.Focusable { return s.startCheck },
			"the Check again":      func(s *settingsScreen) fyne.Focusable { return s.recheck },
			"no control (nothing)": func(*settingsScreen) fyne.Focusable { return nil },
		}
		for name, control := range controls {
			if key == fyne.KeyReturn && name == "the Check again" {
				continue // Enter presses the focused button: TestDialogKeysOnAFocusedButton
			}
			t.Run(string(key)+" from "+name, func(t *testing.T) {
				w, s := openSettingsOn(t, newTestService(t))
				if c := control(s); c != nil {
					w.win.Canvas().Focus(c)
				}
				typeKey(w, key)
				if dialogShown(w) {
					t.Fatalf("%s from %s left Settings open", key, name)
				}
			})
		}
	}
}

// Fyne's file chooser has no keys of its own: Escape cancels the import's (and nothing is
// imported), and the window's own key handler comes back.
func TestEscapeCancelsTheFileChooser(t *testing.T) {
	svc := newTestService(t)
	w := openWindow(t, svc)
	before := w.win.Canvas().OnTypedKey()
	w.imports.onImport()
	if !dialogShown(w) {
		t.Fatal("no file chooser is shown")
	}
	typeKey(w, fyne.KeyEscape)
	if dialogShown(w) {
		t.Fatalf("Escape left the file chooser open: %q", overlayTexts(w))
	}
	if fmt.Sprintf("%p", w.win.Canvas().OnTypedKey()) != fmt.Sprintf("%p", before) {
		t.Error("the window's own key handler was not put back after the file chooser")
	}
}
