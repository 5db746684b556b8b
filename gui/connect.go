package gui

import "connectedapps/core"

// connectDialog runs one sign-in. (Being built.)
type connectDialog struct {
	w   *mainWindow
	app core.App
}

func newConnectDialog(w *mainWindow, app core.App) *connectDialog {
	return &connectDialog{w: w, app: app}
}

func (c *connectDialog) start() {}
