package gui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"

	"connectedapps/core"
)

// appForm is the Connected App document as a form. (Being built.)
type appForm struct {
	w    *mainWindow
	orig *core.App
}

func newAppForm(w *mainWindow) *appForm { return &appForm{w: w} }

func (f *appForm) content() fyne.CanvasObject { return widget.NewLabel("form") }
func (f *appForm) load(app *core.App)         { f.orig = app }
func (f *appForm) loadNew(preset *core.App)   { f.orig = nil }
func (f *appForm) isDirty() bool              { return false }
func (f *appForm) discard()                   {}
func (f *appForm) name() string               { return "" }
func (f *appForm) onSave()                    {}
func (f *appForm) saveThen(next func())       { next() }
