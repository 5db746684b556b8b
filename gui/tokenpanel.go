package gui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"connectedapps/core"
)

// tokenPanel shows the selected app's connection. (Being built: status, countdown, scopes,
// identity, copy, refresh, test, disconnect.)
type tokenPanel struct {
	w   *mainWindow
	app *core.App
	box *fyne.Container
}

func newTokenPanel(w *mainWindow) *tokenPanel { return &tokenPanel{w: w} }

func (p *tokenPanel) content() fyne.CanvasObject {
	p.box = container.NewVBox(widget.NewLabel("Not connected"))
	return p.box
}

func (p *tokenPanel) show(app *core.App) { p.app = app }

func (p *tokenPanel) onCopyToken() {}
