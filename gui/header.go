package gui

import (
	"fyne.io/fyne/v2/lang"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"connectedapps/core"
)

// appHeader is the top of the right side: the app's name, its state in the words the list
// and the Connection tab use, and Connect.
type appHeader struct {
	clock   func() time.Time
	name    *widget.Label
	badge   *widget.Label
	connect *widget.Button
}

func newAppHeader(clock func() time.Time, onConnect func()) *appHeader {
	return &appHeader{
		clock:   clock,
		name:    &widget.Label{TextStyle: fyne.TextStyle{Bold: true}, SizeName: theme.SizeNameSubHeadingText, Truncation: fyne.TextTruncateEllipsis},
		badge:   &widget.Label{},
		connect: &widget.Button{Text: lang.L("Connect"), Importance: widget.HighImportance, Icon: theme.LoginIcon(), OnTapped: onConnect},
	}
}

// showApp shows a saved app.
func (h *appHeader) showApp(app *core.App) {
	h.name.SetText(app.ProviderName)
	h.showState(app)
	h.setConnectButton(app)
	h.connect.Enable()
}

// showNew shows the unsaved document being created: nothing to connect to yet.
func (h *appHeader) showNew() {
	h.name.SetText(lang.L("New app"))
	h.badge.Text, h.badge.Importance = lang.L("Not saved yet"), widget.MediumImportance
	h.badge.Refresh()
	h.connect.Text, h.connect.Importance = lang.L("Connect"), widget.HighImportance
	h.connect.Refresh()
	h.connect.Disable()
}

// showState says app's state under its name; the ticks call it too, so it never goes stale.
func (h *appHeader) showState(app *core.App) {
	text, importance := stateText(app, h.clock())
	if h.badge.Text != text || h.badge.Importance != importance {
		h.badge.Text, h.badge.Importance = text, importance
		h.badge.Refresh()
	}
}

// setConnectButton names the button by what it does for this app: "Connect" first, then a
// secondary "Reconnect" while the connection works, and a loud "Reconnect" when it needs one.
// It no longer carries the app's name (the header says it): "Connect to <a long name>" made
// the window wider than 800 px.
func (h *appHeader) setConnectButton(app *core.App) {
	text, importance := lang.L("Connect"), widget.HighImportance
	if app.Connection() != nil {
		text = lang.L("Reconnect")
		if app.State(h.clock()) == core.StateConnected {
			importance = widget.MediumImportance
		}
	}
	if h.connect.Text != text || h.connect.Importance != importance {
		h.connect.Text, h.connect.Importance = text, importance
		h.connect.Refresh()
	}
}
