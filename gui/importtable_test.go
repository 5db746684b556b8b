package gui

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"connectedapps/core"
)

// narrowImportFile is a Frappe export of three apps, the second named as an app the tests
// register first.
const narrowImportFile = `[
 {"doctype":"Connected App","provider_name":"Alpha","client_id":"a","authorization_uri":"https://a.example/auth","token_uri":"https://a.example/token","scopes":[],"query_parameters":[]},
 {"doctype":"Connected App","provider_name":"A provider with a rather long name indeed","client_id":"p","authorization_uri":"https://p.example/auth","token_uri":"https://p.example/token","scopes":[],"query_parameters":[]},
 {"doctype":"Connected App","provider_name":"Gamma","client_id":"g","authorization_uri":"https://g.example/auth","token_uri":"https://g.example/token","scopes":[],"query_parameters":[]}]`

// dialogEntries are the enabled text entries of the topmost dialog, in order.
func dialogEntries(w *mainWindow) []*widget.Entry {
	var out []*widget.Entry
	visit(w.win.Canvas().Overlays().Top(), func(o fyne.CanvasObject) {
		switch e := o.(type) {
		case *widget.Entry:
			out = append(out, e)
		case *dialogEntry:
			out = append(out, &e.Entry)
		}
	})
	return out
}

func registeredNames(t *testing.T, svc *core.Service) string {
	t.Helper()
	apps, err := svc.List()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, a := range apps {
		names = append(names, a.ProviderName)
	}
	return strings.Join(names, ", ")
}

func TestImportTableRenamesAndSkipsPerApp(t *testing.T) {
	svc := newTestService(t)
	addApp(t, svc, "A provider with a rather long name indeed", nil)
	w := openWindow(t, svc)
	w.imports.importData("apps.json", []byte(narrowImportFile))

	assertDialogShows(t, w, "apps.json holds 3 apps", "Alpha", "Gamma",
		`An app named "A provider with a rather long name indeed" is already registered: give this one another name, or skip it.`)
	assertNoCommandLine(t, overlayTexts(w))
	entries := dialogEntries(w)
	if len(entries) != 3 {
		t.Fatalf("%d name fields; want one per app", len(entries))
	}
	// The conflict left as it is: Import does nothing.
	tapDialogButton(t, w, "Import")
	if got := registeredNames(t, svc); got != "A provider with a rather long name indeed" {
		t.Fatalf("imported with a conflict unresolved: %s", got)
	}

	// Renamed to a name another row of the file takes: still a conflict, said beside it.
	entries[1].SetText("Alpha")
	assertDialogShows(t, w, `Another app in this file is also to be named "Alpha"`)
	tapDialogButton(t, w, "Import")
	if got := registeredNames(t, svc); got != "A provider with a rather long name indeed" {
		t.Fatalf("imported with two apps of one name: %s", got)
	}
	// An empty name falls back to the file's, which is taken.
	entries[1].SetText("")
	assertDialogShows(t, w, "is already registered")

	// Renamed, and the third skipped.
	test.Type(entries[1], "Partner, second")
	skips := dialogChecks(w)
	if len(skips) != 3 {
		t.Fatalf("%d Skip boxes; want one per app", len(skips))
	}
	skips[2].SetChecked(true) // test.Tap misses a box in a row taller than it
	if !entries[2].Disabled() {
		t.Error("a skipped app's name can still be edited")
	}
	for _, s := range overlayTexts(w) {
		if strings.Contains(s, "already registered") || strings.Contains(s, "Another app") {
			t.Errorf("a resolved conflict is still said: %q", s)
		}
	}
	tapDialogButton(t, w, "Import")
	if got := registeredNames(t, svc); got != "A provider with a rather long name indeed, Alpha, Partner, second" {
		t.Fatalf("registered: %s", got)
	}
	assertDialogShows(t, w, "Imported Alpha.", "Imported Partner, second.")
	assertNoCommandLine(t, overlayTexts(w))
	if sel, ok := w.selectedApp(); !ok || sel.ProviderName != "Alpha" {
		t.Errorf("selected after import: %+v", sel)
	}
}

func TestImportTableWithEverythingSkippedImportsNothing(t *testing.T) {
	svc := newTestService(t)
	w := openWindow(t, svc)
	w.imports.importData("apps.json", []byte(narrowImportFile)) // no conflict, but several apps: the table
	assertDialogShows(t, w, "apps.json holds 3 apps")
	for _, c := range dialogChecks(w) {
		c.SetChecked(true)
	}
	tapDialogButton(t, w, "Import")
	if got := registeredNames(t, svc); got != "" {
		t.Fatalf("everything skipped, yet registered: %s", got)
	}
	for _, c := range dialogChecks(w)[:2] {
		c.SetChecked(false) // Alpha and the second after all
	}
	tapDialogButton(t, w, "Import")
	if got := registeredNames(t, svc); got != "A provider with a rather long name indeed, Alpha" {
		t.Fatalf("registered: %s", got)
	}
}

func dialogChecks(w *mainWindow) []*widget.Check {
	var out []*widget.Check
	visit(w.win.Canvas().Overlays().Top(), func(o fyne.CanvasObject) {
		if c, ok := o.(*widget.Check); ok {
			out = append(out, c)
		}
	})
	return out
}

// core's notes end with the command that fixes the app; the window points to the form.
func TestImportNotesPointToTheFormNotACommand(t *testing.T) {
	svc := newTestService(t)
	w := openWindow(t, svc)
	machine := `{"doctype":"Connected App","provider_name":"Machine","client_id":"m","grant_type":"client_credentials",
		"token_uri":"https://m.example/token","scopes":[],"query_parameters":[]}`
	w.imports.importData("machine.json", []byte(machine))
	assertDialogShows(t, w, "Imported Machine.", "the file holds no client secret, which the client credentials grant needs: see the app's Registration tab before connecting")
	assertNoCommandLine(t, overlayTexts(w))
}

// importData and runImport on the window are words_test.go's way in (that file belongs to the
// wording work and is left as it is); they only hand over to the window's importExport.
func (w *mainWindow) importData(fileName string, data []byte) { w.imports.importData(fileName, data) }

func (w *mainWindow) runImport(fileName string, data []byte, choices []core.ImportChoice) {
	w.imports.runImport(fileName, data, choices)
}
