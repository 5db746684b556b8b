package gui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"
)

// searchEntry is the search field: Escape clears it, Down moves into the results.
type searchEntry struct {
	widget.Entry
	onEscape, onDown func()
}

func newSearchEntry() *searchEntry {
	e := &searchEntry{}
	e.ExtendBaseWidget(e)
	return e
}

func (e *searchEntry) TypedKey(ev *fyne.KeyEvent) {
	switch ev.Name {
	case fyne.KeyEscape:
		if e.onEscape != nil {
			e.onEscape()
		}
	case fyne.KeyDown:
		if e.onDown != nil {
			e.onDown()
		}
	default:
		e.Entry.TypedKey(ev)
	}
}

// appList is the list of apps: Enter and Return open the focused app, as Space does.
type appList struct{ widget.List }

func newAppList(length func() int, create func() fyne.CanvasObject, update func(widget.ListItemID, fyne.CanvasObject)) *appList {
	l := &appList{}
	l.Length, l.CreateItem, l.UpdateItem = length, create, update
	l.ExtendBaseWidget(l)
	return l
}

func (l *appList) TypedKey(ev *fyne.KeyEvent) {
	if ev.Name == fyne.KeyReturn || ev.Name == fyne.KeyEnter {
		ev = &fyne.KeyEvent{Name: fyne.KeySpace}
	}
	l.List.TypedKey(ev)
}

// unlessModal runs f only while no dialog is over the window: a shortcut must not act
// behind a modal dialog (Ctrl+N behind "Unsaved changes" opened a new form under it).
func (w *mainWindow) unlessModal(f func()) func() {
	return func() {
		if w.win.Canvas().Overlays().Top() != nil {
			return
		}
		f()
	}
}
