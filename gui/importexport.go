package gui

import (
	"context"
	"fmt"
	"fyne.io/fyne/v2/lang"
	"io"
	"os"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/widget"

	"connectedapps/core"
)

// maxImportSize bounds what is read from a chosen or dropped file: client files are small,
// and a wrong drop (a video) must not be read whole.
const maxImportSize = 1 << 20

// importExport reads client files into the registry (a chosen file, or files dropped on the
// window) and writes apps out as Frappe Connected App JSON.
type importExport struct {
	env     *env
	dialogs *windowDialogs
	// selected is the saved app shown, for "Export this app".
	selected func() (core.App, bool)
	// onImported runs after an import registered apps, with the first of them.
	onImported func(first core.App)
}

// onImport asks for a Google client_secret_*.json or a Frappe Connected App export.
func (x *importExport) onImport() {
	d := dialog.NewFileOpen(func(r fyne.URIReadCloser, err error) {
		if err != nil {
			x.dialogs.showError(lang.L("Import failed"), err)
			return
		}
		if r == nil {
			return // cancelled
		}
		name := r.URI().Name()
		x.env.runAsync(func() {
			defer r.Close()
			data, err := io.ReadAll(io.LimitReader(r, maxImportSize))
			fyne.Do(func() {
				if err != nil {
					x.dialogs.showError(lang.L("Import failed"), fmt.Errorf(lang.L("cannot read %s: %w"), name, err))
					return
				}
				x.importData(name, data)
			})
		})
	}, x.dialogs.parent)
	d.SetFilter(storage.NewExtensionFileFilter([]string{".json"}))
	x.dialogs.keep(d)
	showFileDialog(x.dialogs.parent, d) // Escape cancels: dialogs.go
}

// onDropped imports every file dropped on the window.
func (x *importExport) onDropped(_ fyne.Position, uris []fyne.URI) {
	for _, u := range uris {
		if u.Scheme() != "file" {
			continue
		}
		path, name := u.Path(), u.Name()
		x.env.runAsync(func() {
			data, err := readSmallFile(path)
			fyne.Do(func() {
				if err != nil {
					x.dialogs.showError(lang.L("Import failed"), err)
					return
				}
				x.importData(name, data)
			})
		})
	}
}

func readSmallFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf(lang.L("cannot read %s: %w"), path, err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf(lang.L("cannot read %s: %w"), path, err)
	}
	if info.Size() > maxImportSize {
		return nil, fmt.Errorf(lang.L("%s is %s: that is not a client file (expected a Google client_secret_*.json or a Frappe export)"), path, kibText(info.Size()))
	}
	return io.ReadAll(f)
}

// importData registers the file's apps. A file with several apps, or with a name already
// taken, opens the import table first (importTable); a single app whose name is free is
// registered at once.
func (x *importExport) importData(fileName string, data []byte) {
	x.env.runAsync(func() {
		parsed, err := core.ParseImport(data)
		var existing []core.App
		if err == nil {
			existing, err = x.env.svc.List()
		}
		fyne.Do(func() {
			if err != nil {
				x.dialogs.showError(fmt.Sprintf(lang.L("Import of %s failed"), fileName), err)
				return
			}
			if len(parsed) == 1 && !nameTaken(existing, parsed[0].App.ProviderName) {
				x.runImport(fileName, data, nil)
				return
			}
			x.showImportTable(fileName, data, parsed, existing)
		})
	})
}

// runImport registers the apps with the person's choices (nil: every app as it is named).
func (x *importExport) runImport(fileName string, data []byte, choices []core.ImportChoice) {
	x.env.runAsync(func() {
		res, err := x.env.svc.ImportWith(context.Background(), data, choices)
		fyne.Do(func() {
			if len(res) > 0 {
				x.onImported(res[0].App)
			}
			var b strings.Builder
			for _, r := range res {
				fmt.Fprintf(&b, lang.L("Imported %s. Register its redirect URI with the provider: %s\n"), r.App.ProviderName, r.App.RedirectURI())
				for i := range r.Notes {
					b.WriteString(fmt.Sprintf(lang.L("  Note: %s\n"), noteWords(r, i)))
				}
			}
			if err != nil {
				x.dialogs.showFailure(fmt.Sprintf(lang.L("Import of %s failed"), fileName), strings.TrimSpace(b.String()), err)
				return
			}
			if len(res) == 0 {
				b.WriteString(lang.L("Every app in the file was skipped: nothing was imported."))
			}
			x.dialogs.showInfo(fmt.Sprintf(lang.L("Imported %s"), fileName), strings.TrimSpace(b.String()))
		})
	})
}

func nameTaken(apps []core.App, name string) bool {
	for _, a := range apps {
		if strings.EqualFold(a.ProviderName, name) {
			return true
		}
	}
	return false
}

// importTable is the import dialog for a file with several apps or a taken name: one row per
// app, with the name it is registered under and Skip. Each row says beside it what stops it;
// Import waits until nothing does.
type importTable struct {
	owner    *importExport
	fileName string
	data     []byte
	existing []core.App
	rows     []*importRow
	importB  *dialogButton
	dialog   dialog.Dialog
}

type importRow struct {
	fileName string // the app's name in the file
	name     *dialogEntry
	skip     *widget.Check
	problem  *widget.Label
}

func (x *importExport) showImportTable(fileName string, data []byte, parsed []core.ImportedApp, existing []core.App) *importTable {
	t := &importTable{owner: x, fileName: fileName, data: data, existing: existing}
	rows := container.NewVBox(container.NewGridWithColumns(2,
		&widget.Label{Text: lang.L("In the file"), TextStyle: fyne.TextStyle{Bold: true}},
		&widget.Label{Text: lang.L("Register as"), TextStyle: fyne.TextStyle{Bold: true}}))
	for _, imp := range parsed {
		r := &importRow{fileName: imp.App.ProviderName}
		r.name = newDialogEntry()
		r.name.Text, r.name.PlaceHolder = imp.App.ProviderName, imp.App.ProviderName
		r.name.OnChanged = func(string) { t.check() }
		r.name.OnSubmitted = func(string) { t.importB.Tapped(nil) } // Enter imports, as in every dialog
		r.name.onEscape = func() { t.dialog.Hide() }
		r.skip = &widget.Check{Text: lang.L("Skip"), OnChanged: func(bool) { t.check() }}
		r.problem = &widget.Label{Wrapping: fyne.TextWrapWord, Importance: widget.DangerImportance}
		r.problem.Hide()
		t.rows = append(t.rows, r)
		rows.Add(container.NewGridWithColumns(2,
			&widget.Label{Text: imp.App.ProviderName, Wrapping: fyne.TextWrapWord},
			container.NewBorder(nil, nil, nil, r.skip, r.name)))
		rows.Add(r.problem)
	}
	scroll := container.NewVScroll(rows)
	scroll.SetMinSize(fyne.NewSize(0, min(rows.MinSize().Height+float32(len(parsed))*40, 360)))
	leave := func() { t.dialog.Hide() }
	cancel := newDialogButton(lang.L("Cancel"), nil, widget.MediumImportance, leave)
	t.importB = newDialogButton(lang.L("Import"), nil, widget.HighImportance, t.onImport)
	cancel.onEscape, t.importB.onEscape = leave, leave
	intro := fmt.Sprintf(lang.L("%s holds %d apps. Give each a name not yet in use, or skip it."), fileName, len(parsed))
	if len(parsed) == 1 {
		intro = fmt.Sprintf(lang.L("%s holds an app whose name is already in use: give it another name."), fileName)
	}
	content := container.NewBorder(
		&widget.Label{Text: intro, Wrapping: fyne.TextWrapWord},
		nil,
		nil, nil, scroll)
	d := dialog.NewCustomWithoutButtons(fmt.Sprintf(lang.L("Import %s"), fileName), content, x.dialogs.parent)
	d.SetButtons([]fyne.CanvasObject{cancel, t.importB}) // the style of every dialog: dialogs.go
	t.dialog = d
	x.dialogs.keep(t.dialog)
	t.check()
	t.dialog.Resize(fyne.NewSize(560, content.MinSize().Height+80))
	// Enter imports (a disabled Import does nothing), Escape leaves.
	showModal(x.dialogs.parent, t.dialog, func() { t.importB.Tapped(nil) }, leave)
	return t
}

// check says beside each row what stops it (a name in use, twice in the file, or not a
// valid name) and lets Import go only when nothing does and something is left to import.
func (t *importTable) check() {
	seen := map[string]int{}
	for _, r := range t.rows {
		if !r.skip.Checked {
			seen[strings.ToLower(t.nameOf(r))]++
		}
	}
	ok, left := true, false
	for _, r := range t.rows {
		if r.skip.Checked {
			r.name.Disable()
		} else {
			r.name.Enable()
		}
		msg := ""
		name := t.nameOf(r)
		switch {
		case r.skip.Checked:
		case core.ValidateName(name) != nil:
			msg = errorWords(core.ValidateName(name))
		case nameTaken(t.existing, name):
			msg = fmt.Sprintf(lang.L("An app named %q is already registered: give this one another name, or skip it."), name)
		case seen[strings.ToLower(name)] > 1:
			msg = fmt.Sprintf(lang.L("Another app in this file is also to be named %q: give one of them another name."), name)
		}
		if !r.skip.Checked {
			left = true
		}
		if msg != "" {
			ok = false
			r.problem.SetText(msg)
			r.problem.Show()
		} else {
			r.problem.Hide()
		}
	}
	if ok && left {
		t.importB.Enable()
	} else {
		t.importB.Disable()
	}
}

func (t *importTable) nameOf(r *importRow) string {
	if n := strings.TrimSpace(r.name.Text); n != "" {
		return n
	}
	return r.fileName
}

func (t *importTable) onImport() {
	if t.importB.Disabled() {
		return
	}
	choices := make([]core.ImportChoice, len(t.rows))
	for i, r := range t.rows {
		choices[i] = core.ImportChoice{Name: t.nameOf(r), Skip: r.skip.Checked}
	}
	t.dialog.Hide()
	t.owner.runImport(t.fileName, t.data, choices)
}

// onExport writes the apps (all, or the selected one) as Frappe Connected App JSON. The
// export never carries a secret or a token.
func (x *importExport) onExport(onlySelected bool) {
	var names []string
	suggested := "connected-apps.json"
	if onlySelected {
		app, ok := x.selected()
		if !ok {
			x.dialogs.showError(lang.L("Nothing to export"), fmt.Errorf("%s", lang.L("select a saved app first")))
			return
		}
		names = []string{app.ID}
		suggested = strings.ToLower(strings.ReplaceAll(app.ProviderName, " ", "-")) + ".json"
	}
	d := dialog.NewFileSave(func(wr fyne.URIWriteCloser, err error) {
		if err != nil {
			x.dialogs.showError(lang.L("Export failed"), err)
			return
		}
		if wr == nil {
			return
		}
		x.env.runAsync(func() {
			defer wr.Close()
			data, err := x.env.svc.Export(names...)
			if err == nil {
				_, err = wr.Write(append(data, '\n'))
			}
			fyne.Do(func() {
				if err != nil {
					x.dialogs.showError(lang.L("Export failed"), err)
					return
				}
				x.dialogs.showInfo(lang.L("Exported"), fmt.Sprintf(lang.L("Written to %s (no secrets or tokens are in it)."), wr.URI().Path()))
			})
		})
	}, x.dialogs.parent)
	d.SetFileName(suggested)
	x.dialogs.keep(d)
	showFileDialog(x.dialogs.parent, d) // Escape cancels: dialogs.go
}
