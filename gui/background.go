package gui

import (
	"context"
	"os"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/widget"

	"connectedapps/core"
)

// startServices starts, once, from Run, what lives beside the window: the main menu, the
// background refresher and, when the desktop offers one, the tray.
func (w *mainWindow) startServices() {
	w.menu = w.mainMenu()
	w.win.SetMainMenu(w.menu)
	w.updateMenu()
	w.win.SetOnDropped(w.imports.onDropped) // a client file dropped on the window is imported
	// The refresher's first pass reads and parses all of apps.json. Begun with the event loop
	// instead of at once, it no longer competes with building the window, which with 1,000
	// apps on two cores showed in the time to the window's appearance (docs/PERFORMANCE.md).
	w.env.app.Lifecycle().SetOnStarted(w.background.start)
	w.startTray()
}

// mainMenu holds every command with its keyboard shortcut. (On Linux and Windows Fyne draws
// it as a bar at the top of the window; on macOS it is the system menu bar.) Shortcuts live
// here rather than on the canvas because Fyne offers main-menu shortcuts before the focused
// widget: on the canvas, Ctrl+S pressed in a text field would be swallowed by the field.
func (w *mainWindow) mainMenu() *fyne.MainMenu {
	key := func(k fyne.KeyName, mod fyne.KeyModifier) fyne.Shortcut {
		return &desktop.CustomShortcut{KeyName: k, Modifier: mod}
	}
	ctrl, ctrlShift := fyne.KeyModifierShortcutDefault, fyne.KeyModifierShortcutDefault|fyne.KeyModifierShift
	// Every command but Quit waits for a modal dialog to be answered: the menu's shortcuts
	// reach the window even while one is shown.
	do := w.unlessModal
	w.menuSave = &fyne.MenuItem{Label: "Save", Action: do(w.form.onSave), Shortcut: key(fyne.KeyS, ctrl)}
	w.menuExportOne = &fyne.MenuItem{Label: "Export this app…", Action: do(func() { w.imports.onExport(true) })}
	w.menuCopy = &fyne.MenuItem{Label: "Copy access token", Action: do(w.tokens.onCopyToken), Shortcut: key(fyne.KeyC, ctrlShift)}
	w.menuTabs = []*fyne.MenuItem{
		{Label: "Registration", Action: do(func() { w.showTab(0) }), Shortcut: key(fyne.Key1, ctrl)},
		{Label: "Connection", Action: do(func() { w.showTab(1) }), Shortcut: key(fyne.Key2, ctrl)},
	}
	file := fyne.NewMenu("File",
		&fyne.MenuItem{Label: "New app", Action: do(w.onNew), Shortcut: key(fyne.KeyN, ctrl)},
		w.menuSave,
		fyne.NewMenuItemSeparator(),
		&fyne.MenuItem{Label: "Import…", Action: do(w.imports.onImport)},
		&fyne.MenuItem{Label: "Export all…", Action: do(func() { w.imports.onExport(false) })},
		w.menuExportOne,
		fyne.NewMenuItemSeparator(),
		&fyne.MenuItem{Label: "Settings…", Action: do(w.openSettings), Shortcut: key(fyne.KeyComma, ctrl)},
		fyne.NewMenuItemSeparator(),
		&fyne.MenuItem{Label: "Quit", IsQuit: true, Action: w.quit})
	edit := fyne.NewMenu("Edit",
		&fyne.MenuItem{Label: "Search apps", Action: do(w.focusSearch), Shortcut: key(fyne.KeyF, ctrl)},
		w.menuCopy)
	view := fyne.NewMenu("View", w.menuTabs...)
	help := fyne.NewMenu("Help", &fyne.MenuItem{Label: "About Connected Apps", Action: do(w.showAbout)})
	return fyne.NewMainMenu(file, edit, view, help)
}

// updateMenu greys out the commands that cannot act now: Save with nothing to save, Export
// this app and the tabs with no app shown, Copy access token when it is not connected.
func (w *mainWindow) updateMenu() {
	if w.menu == nil {
		return
	}
	app, saved := w.selectedApp()
	shown := w.selectedID != ""
	want := map[*fyne.MenuItem]bool{ // item: disabled
		w.menuSave:      !w.form.isDirty(),
		w.menuExportOne: !saved,
		w.menuCopy:      !saved || app.Connection == nil,
		w.menuTabs[0]:   !shown,
		w.menuTabs[1]:   !shown,
	}
	changed := false
	for it, disabled := range want {
		if it.Disabled != disabled {
			it.Disabled, changed = disabled, true
		}
	}
	if changed {
		w.menu.Refresh()
	}
}

// showAbout says what the program is, its version, and where it keeps the apps.
func (w *mainWindow) showAbout() {
	version := w.env.app.Metadata().Version
	if version == "" {
		version = "a development build"
	}
	text := "Connected Apps " + version + "\n\nRegisters OAuth 2.0 and OpenID Connect clients, signs in once through your browser, " +
		"keeps the tokens in the system keyring and hands valid ones to your programs.\n\nYour apps are kept in " + w.env.svc.RegistryPath()
	msg := &widget.Label{Text: text, Wrapping: fyne.TextWrapWord, Selectable: true}
	d := showMessage(w.win, "About Connected Apps", msg)
	w.pendingDialog = d
	d.Resize(fyne.NewSize(480, 260))
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

// backgroundRefresh renews tokens ahead of expiry while the window runs, through the same
// locked path as the command line (core.Refresher), and tells the person what needs them.
type backgroundRefresh struct {
	env *env
	// onChanged runs on the UI goroutine after a pass changed an app.
	onChanged func()
}

// start runs the refresher until the app quits, off the UI goroutine.
func (b *backgroundRefresh) start() { go b.refresher().Run(context.Background()) }

// refresher is the core.Refresher, with its events reported to onEvent.
func (b *backgroundRefresh) refresher() *core.Refresher {
	r := &core.Refresher{Source: b.env.svc, Now: b.env.svc.Clock, OnEvent: b.onEvent}
	// The end-to-end window test shortens the tick so it need not wait 30 s for a pass.
	if d, err := time.ParseDuration(os.Getenv("CONNECTEDAPPS_REFRESH_TICK")); err == nil && d > 0 {
		r.Tick = d
	}
	if svc, ok := b.env.svc.(*core.Service); ok {
		r.Log = svc.Log
	}
	return r
}

// onRefreshEvent runs on the refresher's goroutine. A desktop notification says when an app
// needs the person (the Refresher reports each such change once, not on every tick); a
// temporary failure says nothing, because the next tick retries and the tokens were kept.
func (b *backgroundRefresh) onEvent(ev core.RefreshEvent) {
	name := ev.App.ProviderName
	switch ev.Outcome {
	case core.RefreshNeedsReauth:
		b.env.notifier.Notify(name+" needs you to sign in again",
			"Open Connected Apps, select "+name+" and press “Reconnect”. Until then programs using it get no token.")
	case core.RefreshClientRejected:
		b.env.notifier.Notify(name+": the provider rejected this app",
			"Open Connected Apps, check "+name+"’s client ID and secret under Registration, then press “Reconnect”.")
	case core.RefreshDone:
	default:
		return
	}
	fyne.Do(b.onChanged)
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
