package gui

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/widget"

	"connectedapps/core"
)

// appSidebar is the list of apps on the left: the search, the apps matching it with their
// state, and what stands in the list's place when it has nothing to show (an unreadable
// registry, no apps yet, no match). The window lays it out and says which app is selected.
type appSidebar struct {
	win   fyne.Window
	clock func() time.Time
	// selected is the app shown on the right: "" with none, newAppID while creating one.
	selected func() string
	// onPick runs when the person chooses another app in the list.
	onPick func(id string)

	// Touched only on the UI goroutine.
	apps  []core.App // everything in the registry, sorted by name
	shown []core.App // apps matching the search
	// tickStates is what the clock makes each shown row say ("expires in 4 min"), as of the
	// last refreshStates; nil after the rows changed, so the next tick draws them.
	tickStates []string

	search    *searchEntry
	list      *appList
	listError *widget.Label
	emptyList *widget.Label
}

func newAppSidebar(win fyne.Window, clock func() time.Time, selected func() string, onPick func(id string)) *appSidebar {
	s := &appSidebar{win: win, clock: clock, selected: selected, onPick: onPick}
	s.search = newSearchEntry()
	s.search.PlaceHolder = lang.L("Search apps (Ctrl+F)")
	s.search.OnChanged = func(string) { s.applyFilter() }
	s.search.onEscape, s.search.onDown = s.onSearchEscape, s.onSearchDown
	s.search.OnSubmitted = func(string) { s.onSearchDown() }
	s.listError = &widget.Label{Importance: widget.DangerImportance, Wrapping: fyne.TextWrapWord, Selectable: true}
	s.listError.Hide()
	s.emptyList = &widget.Label{Wrapping: fyne.TextWrapWord, Alignment: fyne.TextAlignCenter}
	s.emptyList.Hide()
	s.list = newAppList(
		func() int { return len(s.shown) },
		func() fyne.CanvasObject { return newAppRow() },
		s.updateRow,
	)
	s.list.OnSelected = s.onListSelected
	return s
}

// setApps shows what the registry holds now.
func (s *appSidebar) setApps(apps []core.App) {
	s.listError.Hide()
	s.apps = apps
	s.applyFilter()
}

// showError says the registry could not be read; the list keeps what it showed.
func (s *appSidebar) showError(err error) {
	s.listError.SetText(fmt.Sprintf(lang.L("Your apps could not be read: %s"), errorWords(err)))
	s.listError.Show()
}

// app is the registered app id, if the list holds it.
func (s *appSidebar) app(id string) (core.App, bool) {
	i := slices.IndexFunc(s.apps, func(a core.App) bool { return a.ID == id })
	if i < 0 {
		return core.App{}, false
	}
	return s.apps[i], true
}

// refreshStates redraws the list on the window's tick when the clock changed what a row
// says, and only then: every change of the apps themselves redraws it on its own way in, and
// redrawing every row on every tick cost an idle window about a point of one core.
func (s *appSidebar) refreshStates() {
	now := s.clock()
	states := make([]string, len(s.shown))
	for i := range s.shown {
		text, importance := listStateText(&s.shown[i], now)
		states[i] = fmt.Sprint(importance) + " " + text
	}
	if s.tickStates != nil && slices.Equal(states, s.tickStates) {
		return
	}
	s.tickStates = states
	s.list.Refresh()
}

// applyFilter shows the apps whose name, provider or signed-in identity matches the search.
func (s *appSidebar) applyFilter() {
	q := strings.ToLower(strings.TrimSpace(s.search.Text))
	s.shown = s.shown[:0]
	s.tickStates = nil
	for _, a := range s.apps {
		if q == "" || strings.Contains(strings.ToLower(a.ProviderName+" "+detailText(&a)), q) {
			s.shown = append(s.shown, a)
		}
	}
	switch {
	case len(s.apps) == 0:
		s.emptyList.SetText(lang.L("No apps yet. Press New to register one."))
		s.emptyList.Show()
	case len(s.shown) == 0:
		s.emptyList.SetText(fmt.Sprintf(lang.L("No app matches “%s”."), s.search.Text))
		s.emptyList.Show()
	default:
		s.emptyList.Hide()
	}
	s.list.Refresh()
	s.syncSelection()
}

// syncSelection highlights the selected app without re-triggering onListSelected.
func (s *appSidebar) syncSelection() {
	id := s.selected()
	i := slices.IndexFunc(s.shown, func(a core.App) bool { return a.ID == id })
	handler := s.list.OnSelected
	s.list.OnSelected = nil
	if i >= 0 {
		s.list.Select(i)
	} else {
		s.list.UnselectAll()
	}
	s.list.OnSelected = handler
}

func (s *appSidebar) onListSelected(i widget.ListItemID) {
	if i < 0 || i >= len(s.shown) {
		return
	}
	if id := s.shown[i].ID; id != s.selected() {
		s.onPick(id)
	}
}

func (s *appSidebar) updateRow(id widget.ListItemID, o fyne.CanvasObject) {
	if id < 0 || id >= len(s.shown) {
		return
	}
	o.(*appRow).set(&s.shown[id], s.clock())
}

func (s *appSidebar) focusSearch() { s.win.Canvas().Focus(s.search) }

// onSearchEscape clears the search; with nothing to clear it leaves the field.
func (s *appSidebar) onSearchEscape() {
	if s.search.Text != "" {
		s.search.SetText("")
		return
	}
	s.win.Canvas().Unfocus()
}

// onSearchDown moves the keyboard into the results, on the first one.
func (s *appSidebar) onSearchDown() {
	if len(s.shown) == 0 {
		return
	}
	s.win.Canvas().Focus(s.list)
}
