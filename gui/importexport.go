package gui

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/widget"
)

// maxImportSize bounds what is read from a chosen or dropped file: client files are small,
// and a wrong drop (a video) must not be read whole.
const maxImportSize = 1 << 20

// onImport asks for a Google client_secret_*.json or a Frappe Connected App export.
func (w *mainWindow) onImport() {
	d := dialog.NewFileOpen(func(r fyne.URIReadCloser, err error) {
		if err != nil {
			w.showError("Import failed", err)
			return
		}
		if r == nil {
			return // cancelled
		}
		name := r.URI().Name()
		runAsync(func() {
			defer r.Close()
			data, err := io.ReadAll(io.LimitReader(r, maxImportSize))
			fyne.Do(func() {
				if err != nil {
					w.showError("Import failed", fmt.Errorf("cannot read %s: %w", name, err))
					return
				}
				w.importData(name, data, "")
			})
		})
	}, w.win)
	d.SetFilter(storage.NewExtensionFileFilter([]string{".json"}))
	w.pendingDialog = d
	d.Show()
}

// onDropped imports every file dropped on the window.
func (w *mainWindow) onDropped(_ fyne.Position, uris []fyne.URI) {
	for _, u := range uris {
		if u.Scheme() != "file" {
			continue
		}
		path, name := u.Path(), u.Name()
		runAsync(func() {
			data, err := readSmallFile(path)
			fyne.Do(func() {
				if err != nil {
					w.showError("Import failed", err)
					return
				}
				w.importData(name, data, "")
			})
		})
	}
}

func readSmallFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %w", path, err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %w", path, err)
	}
	if info.Size() > maxImportSize {
		return nil, fmt.Errorf("%s is %d KiB: that is not a client file (expected a Google client_secret_*.json or a Frappe export)", path, info.Size()>>10)
	}
	return io.ReadAll(f)
}

// importData registers the file's apps. A name already taken asks for another one (for a
// file with a single app), and nothing is registered until the names are free.
func (w *mainWindow) importData(fileName string, data []byte, as string) {
	runAsync(func() {
		res, err := w.env.svc.Import(context.Background(), data, as)
		fyne.Do(func() {
			if err != nil && len(res) == 0 && strings.Contains(err.Error(), "already exists") {
				w.askImportName(fileName, data, err)
				return
			}
			if len(res) > 0 {
				w.selectedID = res[0].App.ID
				w.reload()
			}
			var b strings.Builder
			for _, r := range res {
				fmt.Fprintf(&b, "Imported %s. Register its redirect URI with the provider: %s\n", r.App.ProviderName, r.App.RedirectURI())
				for _, n := range r.Notes {
					b.WriteString("  Note: " + n + "\n")
				}
			}
			if err != nil {
				b.WriteString(windowWords(err.Error()))
				w.showError("Import of "+fileName+" failed", fmt.Errorf("%s", strings.TrimSpace(b.String())))
				return
			}
			w.showInfo("Imported "+fileName, strings.TrimSpace(b.String()))
		})
	})
}

func (w *mainWindow) askImportName(fileName string, data []byte, cause error) {
	entry := &widget.Entry{PlaceHolder: "a new name"}
	d := dialog.NewForm("Name taken", "Import", "Cancel",
		[]*widget.FormItem{widget.NewFormItem("New name", withHint(entry, windowWords(cause.Error())))},
		func(ok bool) {
			if ok && strings.TrimSpace(entry.Text) != "" {
				w.importData(fileName, data, strings.TrimSpace(entry.Text))
			}
		}, w.win)
	w.pendingDialog = d
	d.Resize(fyne.NewSize(520, 0))
	d.Show()
}

// onExport writes the apps (all, or the selected one) as Frappe Connected App JSON. The
// export never carries a secret or a token.
func (w *mainWindow) onExport(onlySelected bool) {
	var names []string
	suggested := "connected-apps.json"
	if onlySelected {
		app, ok := w.selectedApp()
		if !ok {
			w.showError("Nothing to export", fmt.Errorf("select a saved app first"))
			return
		}
		names = []string{app.ID}
		suggested = strings.ToLower(strings.ReplaceAll(app.ProviderName, " ", "-")) + ".json"
	}
	d := dialog.NewFileSave(func(wr fyne.URIWriteCloser, err error) {
		if err != nil {
			w.showError("Export failed", err)
			return
		}
		if wr == nil {
			return
		}
		runAsync(func() {
			defer wr.Close()
			data, err := w.env.svc.Export(names...)
			if err == nil {
				_, err = wr.Write(append(data, '\n'))
			}
			fyne.Do(func() {
				if err != nil {
					w.showError("Export failed", err)
					return
				}
				w.showInfo("Exported", "Written to "+wr.URI().Path()+" (no secrets or tokens are in it).")
			})
		})
	}, w.win)
	d.SetFileName(suggested)
	w.pendingDialog = d
	d.Show()
}

// showInfo is a plain message dialog kept for tests.
func (w *mainWindow) showInfo(title, msg string) {
	d := showMessage(w.win, title, &widget.Label{Text: msg, Wrapping: fyne.TextWrapWord})
	w.pendingDialog = d
	d.Resize(fyne.NewSize(520, 240))
}
