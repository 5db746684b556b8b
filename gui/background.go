package gui

import (
	"context"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"

	"connectedapps/core"
)

// startServices starts, once, from Run, what lives beside the window: the main menu, the
// background refresher and, when the desktop offers one, the tray.
func (w *mainWindow) startServices() {
	w.win.SetMainMenu(w.mainMenu())
	w.win.Canvas().AddShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyComma, Modifier: fyne.KeyModifierShortcutDefault},
		func(fyne.Shortcut) { w.openSettings() })
	go w.newRefresher().Run(context.Background())
	startTray(w)
}

// mainMenu is File > Settings…, Quit. (On Linux and Windows Fyne draws it as a bar at the
// top of the window; on macOS it is the system menu bar.)
func (w *mainWindow) mainMenu() *fyne.MainMenu {
	settings := &fyne.MenuItem{Label: "Settings…", Action: w.openSettings,
		Shortcut: &desktop.CustomShortcut{KeyName: fyne.KeyComma, Modifier: fyne.KeyModifierShortcutDefault}}
	quit := &fyne.MenuItem{Label: "Quit", IsQuit: true, Action: w.quit}
	return fyne.NewMainMenu(fyne.NewMenu("File", settings, fyne.NewMenuItemSeparator(), quit))
}

// openSettings shows the Settings screen over the window.
func (w *mainWindow) openSettings() {
	s := newSettingsScreen(w.env, w.win)
	s.show()
	w.pendingDialog = s.dialog
}

// quit ends the app, from the menu or the tray, even when closing would only hide the
// window; unsaved edits are asked about first, with the window shown so the question is seen.
func (w *mainWindow) quit() {
	if w.form.isDirty() {
		w.win.Show()
		w.win.RequestFocus()
	}
	w.confirmDiscard(func() {
		s := w.win.Canvas().Size()
		prefs := w.env.app.Preferences()
		prefs.SetFloat(prefWidth, float64(s.Width))
		prefs.SetFloat(prefHeight, float64(s.Height))
		w.env.app.Quit()
	}, nil)
}

// newRefresher renews tokens ahead of expiry through the same locked path as the command
// line (core.Refresher) and tells the window what happened.
func (w *mainWindow) newRefresher() *core.Refresher {
	r := &core.Refresher{Source: w.env.svc, Now: w.env.svc.Clock, OnEvent: w.onRefreshEvent}
	if svc, ok := w.env.svc.(*core.Service); ok {
		r.Log = svc.Log
	}
	return r
}

// onRefreshEvent runs on the refresher's goroutine. A desktop notification says when an app
// needs the person (the Refresher reports each such change once, not on every tick); a
// temporary failure says nothing, because the next tick retries and the tokens were kept.
func (w *mainWindow) onRefreshEvent(ev core.RefreshEvent) {
	name := ev.App.ProviderName
	switch ev.Outcome {
	case core.RefreshNeedsReauth:
		w.env.notifier.Notify(name+" needs you to sign in again",
			"Open Connected Apps, select "+name+" and press “Connect to "+name+"”. Until then programs using it get no token.")
	case core.RefreshClientRejected:
		w.env.notifier.Notify(name+": the provider rejected this app",
			"Open Connected Apps, check "+name+"’s client ID and secret under Registration, then press “Connect to "+name+"”.")
	case core.RefreshDone:
	default:
		return
	}
	fyne.Do(w.appChanged)
}

// mainWindowTitle is the title newMainWindow gives the window; Raise finds it by that.
const mainWindowTitle = "Connected Apps"

// Raise brings the main window to the front (and out of the tray): a second launch asked for
// it. Safe to call from any goroutine.
func Raise(a fyne.App) {
	fyne.Do(func() {
		for _, win := range a.Driver().AllWindows() {
			if win.Title() == mainWindowTitle {
				win.Show()
				win.RequestFocus()
			}
		}
	})
}
