package gui

import (
	"cmp"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"

	"connectedapps/core"
)

// The window works from 800×600 and never resizes itself: a real window grows to its
// content's MinSize, so every form, preset, section and tab must fit in 800×600. (An unwrapped
// hint made the first form 1185 px wide, and opening it widened the window from 1000 px.)
// The sidebar keeps one width through all of it.
func TestWindowFitsIn800x600AndNeverResizesItself(t *testing.T) {
	svc := newTestService(t)
	addConnectedApp(t, svc, "A provider with a rather long name indeed", nil, connectedFor(42*time.Minute))
	w := openWindow(t, svc)
	small := fyne.NewSize(800, 600)
	w.win.Resize(small)

	sidebar := float32(-1)
	check := func(what string) {
		t.Helper()
		// The sidebar keeps its width whatever the right side shows.
		left := w.win.Content().(*container.Split).Leading.Size().Width
		if sidebar < 0 {
			sidebar = left
		} else if left != sidebar {
			t.Errorf("%s: the sidebar is %.0f px wide, was %.0f", what, left, sidebar)
		}
		if got := w.win.Canvas().Size(); got != small {
			t.Errorf("%s: the window is %v, want it kept at %v", what, got, small)
		}
		if min := w.win.Content().MinSize(); min.Width > small.Width || min.Height > small.Height {
			t.Errorf("%s: the content needs %v, more than %v: a real window would grow", what, min, small)
		}
		for _, o := range w.win.Canvas().Overlays().List() {
			if min := o.MinSize(); min.Width > small.Width || min.Height > small.Height {
				t.Errorf("%s: a dialog needs %v, more than the %v window: it would be cut off", what, min, small)
			}
		}
	}
	check("empty window")
	w.onNew()
	check("new app form")
	w.form.endpoints.Open(0)
	w.form.endpoints.Open(1)
	check("new app form, every section open")
	test14ShowAllErrors(w)
	check("new app form, every error line shown")

	presets, err := core.Presets()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range presets {
		values := map[string]string{}
		for _, f := range p.Fields {
			values[f.Name] = f.Example
			if values[f.Name] == "" {
				values[f.Name] = "example"
			}
		}
		w.presets.newFromPreset(p)
		check("the values dialog of preset " + p.Name)
		if w.pendingDialog != nil {
			w.pendingDialog.Hide()
			w.pendingDialog = nil
		}
		w.presets.openPreset(p, values)
		w.form.endpoints.Open(0)
		w.form.endpoints.Open(1)
		check("preset " + p.Name)
	}

	w.form.discard()
	selectApp(t, w, "A provider with a rather long name indeed")
	check("saved app, Registration tab")
	w.showTab(1)
	check("saved app, Connection tab")

	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	settings := newSettingsScreen(w.env, w.win)
	settings.show()
	check("Settings")
	settings.dialog.Hide()
	parsed, _ := core.ParseImport([]byte(narrowImportFile))
	w.imports.showImportTable("apps.json", []byte(narrowImportFile), parsed, []core.App{{ProviderName: "A provider with a rather long name indeed"}})
	check("import: name taken")
}

// test14ShowAllErrors shows every field's error line with a long message.
func test14ShowAllErrors(w *mainWindow) {
	for field := range w.form.errors {
		w.form.setError(field, "this value is refused by the provider because it does not match what was registered there")
	}
}

// Every preset, opened from the "New from preset" menu as a person does, leaves the window at
// the size it opens with and needs no more room than that: the Google preset's hint once made
// the content 1185 px wide, and a real window grew from 1000 px to fit it.
func TestEveryPresetKeepsTheWindowSize(t *testing.T) {
	w := openWindowOn(t, newTestService(t)) // at the first start's size, 1000×680
	want := w.win.Canvas().Size()
	presets, err := core.Presets()
	if err != nil {
		t.Fatal(err)
	}
	items := w.presets.items()
	if len(items) != len(presets) {
		t.Fatalf("the preset menu has %d items, want one per preset (%d)", len(items), len(presets))
	}
	check := func(what string) {
		t.Helper()
		if got := w.win.Canvas().Size(); got != want {
			t.Errorf("%s: the window is %v, want it kept at %v", what, got, want)
		}
		if min := w.win.Content().MinSize(); min.Width > want.Width || min.Height > want.Height {
			t.Errorf("%s: the content needs %v, more than the %v window: a real window would grow", what, min, want)
		}
	}
	for i, p := range presets {
		items[i].Action()
		if len(p.Fields) > 0 { // its values are asked first; fill them as the examples say
			check("the values dialog of preset " + p.Name)
			w.pendingDialog.Hide()
			values := map[string]string{}
			for _, f := range p.Fields {
				values[f.Name] = cmp.Or(f.Example, "example")
			}
			w.presets.openPreset(p, values)
		}
		if w.top.name.Text != "New app" || w.form.name.Text == "" {
			t.Fatalf("preset %s did not open the form on a new app (header %q, name %q)", p.Name, w.top.name.Text, w.form.name.Text)
		}
		w.form.endpoints.Open(0)
		w.form.endpoints.Open(1)
		check("preset " + p.Name)
	}
}
