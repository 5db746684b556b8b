package gui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/lang"
)

// windowMenu is the main menu: every command with its keyboard shortcut, and the items that
// are greyed out when they cannot act (update). (On Linux and Windows Fyne draws it as a bar
// at the top of the window; on macOS it is the system menu bar.) Shortcuts live here rather
// than on the canvas because Fyne offers main-menu shortcuts before the focused widget: on
// the canvas, Ctrl+S pressed in a text field would be swallowed by the field.
type windowMenu struct {
	main                  *fyne.MainMenu
	save, exportOne, copy *fyne.MenuItem
	tabs                  []*fyne.MenuItem
}

// menuCommands is what the menu's items run. Every command but quit is wrapped in
// unlessModal: the menu's shortcuts reach the window even while a dialog is shown.
type menuCommands struct {
	newApp, save, importFile, exportAll, exportOne, settings, quit func()
	search, copyToken, about                                       func()
	showTab                                                        func(i int)
	unlessModal                                                    func(func()) func()
}

func newWindowMenu(c menuCommands) *windowMenu {
	key := func(k fyne.KeyName, mod fyne.KeyModifier) fyne.Shortcut {
		return &desktop.CustomShortcut{KeyName: k, Modifier: mod}
	}
	ctrl, ctrlShift := fyne.KeyModifierShortcutDefault, fyne.KeyModifierShortcutDefault|fyne.KeyModifierShift
	do := c.unlessModal
	m := &windowMenu{}
	m.save = &fyne.MenuItem{Label: lang.L("Save"), Action: do(c.save), Shortcut: key(fyne.KeyS, ctrl)}
	m.exportOne = &fyne.MenuItem{Label: lang.L("Export this app…"), Action: do(c.exportOne)}
	m.copy = &fyne.MenuItem{Label: lang.L("Copy access token"), Action: do(c.copyToken), Shortcut: key(fyne.KeyC, ctrlShift)}
	m.tabs = []*fyne.MenuItem{
		{Label: lang.L("Registration"), Action: do(func() { c.showTab(0) }), Shortcut: key(fyne.Key1, ctrl)},
		{Label: lang.L("Connection"), Action: do(func() { c.showTab(1) }), Shortcut: key(fyne.Key2, ctrl)},
	}
	file := fyne.NewMenu(lang.L("File"),
		&fyne.MenuItem{Label: lang.L("New app"), Action: do(c.newApp), Shortcut: key(fyne.KeyN, ctrl)},
		m.save,
		fyne.NewMenuItemSeparator(),
		&fyne.MenuItem{Label: lang.L("Import…"), Action: do(c.importFile)},
		&fyne.MenuItem{Label: lang.L("Export all…"), Action: do(c.exportAll)},
		m.exportOne,
		fyne.NewMenuItemSeparator(),
		&fyne.MenuItem{Label: lang.L("Settings…"), Action: do(c.settings), Shortcut: key(fyne.KeyComma, ctrl)},
		fyne.NewMenuItemSeparator(),
		&fyne.MenuItem{Label: lang.L("Quit"), IsQuit: true, Action: c.quit})
	edit := fyne.NewMenu(lang.L("Edit"),
		&fyne.MenuItem{Label: lang.L("Search apps"), Action: do(c.search), Shortcut: key(fyne.KeyF, ctrl)},
		m.copy)
	view := fyne.NewMenu(lang.L("View"), m.tabs...)
	help := fyne.NewMenu(lang.L("Help"), &fyne.MenuItem{Label: lang.L("About Connected Apps"), Action: do(c.about)})
	m.main = fyne.NewMainMenu(file, edit, view, help)
	return m
}

// menuState is what the window can do now, for update.
type menuState struct {
	canSave   bool // the form holds something to save
	saved     bool // a saved app is selected
	connected bool // ... and it is connected
	shown     bool // an app is selected or being created
}

// update greys out the commands that cannot act now: Save with nothing to save, Export this
// app and the tabs with no app shown, Copy access token when it is not connected.
func (m *windowMenu) update(s menuState) {
	want := map[*fyne.MenuItem]bool{ // item: disabled
		m.save:      !s.canSave,
		m.exportOne: !s.saved,
		m.copy:      !s.saved || !s.connected,
		m.tabs[0]:   !s.shown,
		m.tabs[1]:   !s.shown,
	}
	changed := false
	for it, disabled := range want {
		if it.Disabled != disabled {
			it.Disabled, changed = disabled, true
		}
	}
	if changed {
		m.main.Refresh()
	}
}
