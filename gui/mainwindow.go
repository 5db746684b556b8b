// Package gui is the Fyne window over core. It never imports fyne.io/fyne/v2/app: main
// creates the fyne.App, so this package and its tests need no display and no OpenGL.
package gui

import (
	"fmt"
	"fyne.io/fyne/v2/lang"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"connectedapps/assets"
	"connectedapps/core"
)

// Preference keys.
const (
	prefWidth       = "window.width"
	prefHeight      = "window.height"
	prefSelectedApp = "window.selected_app_id"
)

// mainWindow is the app list on the left and the selected app on the right.
type mainWindow struct {
	env *env
	win fyne.Window

	// Touched only on the UI goroutine.
	selectedID string // "" with nothing selected; newAppID while creating one

	registry *registryWatch
	// hidden: the window is in the tray. Nobody can see it, so the shared tick and the
	// countdown stop until it comes back (setHidden), which brings everything up to date.
	hidden bool

	sidebar   *appSidebar
	newButton *widget.Button
	presets   *presetMenu

	top        *appHeader
	tabs       *container.AppTabs
	detail     *fyne.Container // header + tabs, shown with an app selected or being created
	detailBox  *fyne.Container // detail with its padding; in rightSide from its first showing
	welcome    fyne.CanvasObject
	changed    *fyne.Container // banner: apps.json changed while the form has edits
	form       *appForm
	tokens     *tokenPanel
	imports    *importExport
	background *backgroundRefresh
	rightSide  *fyne.Container

	menu *windowMenu // set by startServices

	// The window's own dialogs, and the one shown last (pendingDialog), kept for tests.
	*windowDialogs

	// closeHook, when set, is what closing does instead of quitting: the tray (tray.go) sets
	// it to hide the window.
	closeHook func()
}

// mainWindowTitle is the title newMainWindow gives the window; Raise finds it by that. It is
// the product's name, the same in every language.
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

// newAppID marks the unsaved document being created in the form.
const newAppID = "\x00new"

func newMainWindow(e *env) *mainWindow {
	w := &mainWindow{env: e, win: e.app.NewWindow(mainWindowTitle)}
	w.windowDialogs = &windowDialogs{parent: w.win}
	w.registry = &registryWatch{env: e, onRead: w.showApps,
		hasEdits:            func() bool { return w.form.isDirty() },
		onChangedUnderEdits: func() { w.changed.Show() },
	}
	w.form = newAppForm(e, w.windowDialogs, formHooks{
		open:      func() bool { return w.selectedID != "" },
		onEdited:  w.updateMenu,
		onSaved:   w.appSaved,
		onRemoved: w.appRemoved,
	})
	w.tokens = newTokenPanel(e, w.windowDialogs, panelHooks{
		onChanged: w.registry.reload,
		// The header and the list row say the state in the same words: they change with it.
		onStateChanged: func() { w.updateBadge(); w.sidebar.list.Refresh() },
		inView:         func() bool { return w.tabs.SelectedIndex() == 1 },
		// Another account is another sign-in: Connect, which asks the provider to let the
		// person choose the account once the app has one.
		addAccount: func() { w.onConnect() },
	})
	w.imports = &importExport{env: e, dialogs: w.windowDialogs, selected: w.selectedApp,
		onImported: func(first core.App) { w.selectedID = first.ID; w.registry.reload() }}
	w.background = &backgroundRefresh{env: e, onChanged: w.registry.reload}
	w.remedies = &remedyActions{
		connect: func(name string) { w.showAppNamed(name, w.onConnect) },
		openField: func(name, field string) {
			w.showAppNamed(name, func() { w.tabs.SelectIndex(0); w.form.focusField(field) })
		},
		discover:  func(name string) { w.showAppNamed(name, func() { w.tabs.SelectIndex(0); w.form.discoverOrAsk() }) },
		copyToken: func(name string) { w.showAppNamed(name, w.tokens.onCopyToken) },
	}
	w.win.SetContent(w.buildUI())
	prefs := e.app.Preferences()
	w.win.Resize(fyne.NewSize(float32(prefs.FloatWithFallback(prefWidth, 1000)), float32(prefs.FloatWithFallback(prefHeight, 680))))
	w.win.SetCloseIntercept(w.onClose)
	w.addShortcuts()
	return w
}

// Run shows the main window and blocks until the app quits.
func Run(a fyne.App, svc *core.Service) {
	a.SetIcon(assets.Icon)
	useLanguage(chosenLanguage(a)) // before anything is built: language.go
	applyTheme(a)
	e := &env{app: a, svc: svc, browser: svc.Browser, notifier: fyneNotifier{a}}
	w := newMainWindow(e)
	w.win.SetMaster()
	// Focus is also how a window shown by a click on the tray icon (Fyne's own handler, not
	// ours) says it is back.
	a.Lifecycle().SetOnEnteredForeground(func() { w.setHidden(false); w.registry.check() })
	go func() {
		// One tick drives both: the "expires in N min" texts and noticing apps.json changes.
		for range time.Tick(registryPoll) {
			fyne.Do(w.onPollTick)
		}
	}()
	// A copied token must not outlive the app on the clipboard, whichever way it quits.
	a.Lifecycle().SetOnStopped(w.tokens.clip.clearNow)
	w.registry.reload()
	setupVault(e, w.win, svc.Secrets) // the vault's passphrase first, before any secret is read: vault.go
	w.startServices()                 // main menu (menu.go), background refresh (background.go), tray (tray.go)
	w.win.ShowAndRun()
}

// onPollTick is the shared tick's work, on the UI goroutine: none while the window is in the
// tray (the tray watches apps.json for its own menu, and setHidden catches up on return).
func (w *mainWindow) onPollTick() {
	if w.hidden {
		return
	}
	w.sidebar.refreshStates()
	w.updateBadge()
	w.registry.check()
}

// setHidden is told when the window goes to the tray and when it comes back. Back, the list's
// badges, the countdown and the state are brought up to date at once and apps.json is checked
// for changes made meanwhile, before the next tick.
func (w *mainWindow) setHidden(hidden bool) {
	if w.hidden == hidden {
		return
	}
	w.hidden = hidden
	w.tokens.setHidden(hidden)
	if !hidden {
		w.sidebar.list.Refresh()
		w.updateBadge()
		w.registry.check()
	}
}

func (w *mainWindow) buildUI() fyne.CanvasObject {
	w.sidebar = newAppSidebar(w.win, w.env.svc.Clock, func() string { return w.selectedID }, func(id string) {
		w.confirmDiscard(func() { w.selectID(id) }, w.sidebar.syncSelection)
	})
	w.newButton = &widget.Button{Text: lang.L("New"), Icon: theme.ContentAddIcon(), OnTapped: w.onNew}
	w.presets = newPresetMenu(w.windowDialogs, w.confirmDiscard, func(doc *core.App, p core.Preset, regURL string) {
		w.onNewWith(doc)
		w.form.showPreset(p, regURL)
	})
	settings := &widget.Button{Text: lang.L("Settings"), Icon: theme.SettingsIcon(), Importance: widget.LowImportance, OnTapped: w.openSettings}
	// New keeps its own width and the preset button takes the rest: two equal columns
	// made the sidebar twice the preset button wide (318 px), more than an 800 px
	// window gives it, and "New from preset" spilled out of its button.
	newRow := container.New(layout.NewBorderLayout(nil, nil, w.newButton, nil), w.newButton, w.presets.button)
	s := w.sidebar
	leftTop := container.NewVBox(s.search, newRow, s.listError)
	leftBottom := container.NewHBox(settings)
	// Laid out as a border, but in reading order: Tab follows the objects' order, and
	// container.NewBorder puts the centre (the list) first, before the search above it.
	left := container.New(layout.NewBorderLayout(leftTop, leftBottom, nil, nil),
		leftTop, container.NewStack(s.list, container.NewPadded(s.emptyList)), leftBottom)

	w.top = newAppHeader(w.env.svc.Clock, w.onConnect)
	w.tabs = container.NewAppTabs(
		container.NewTabItemWithIcon(lang.L("Registration"), theme.DocumentIcon(), w.form.content()),
		container.NewTabItemWithIcon(lang.L("Connection"), theme.AccountIcon(), w.tokens.content()),
	)
	reload := &widget.Button{Text: lang.L("Reload now"), OnTapped: w.reloadDiscardingEdits}
	w.changed = container.NewBorder(nil, nil, nil, reload,
		&widget.Label{Text: lang.L("Another program changed your apps. Reloading discards the edits in this form."), Wrapping: fyne.TextWrapWord, Importance: widget.WarningImportance})
	w.changed.Hide()
	top := container.NewVBox(
		container.NewBorder(nil, nil, nil, container.NewCenter(w.top.connect), container.NewVBox(w.top.name, w.top.badge)),
		w.changed,
	)
	// In reading order, like the sidebar: container.NewBorder puts the centre first, which put
	// the form (and its Delete) before Connect in the Tab order.
	w.detail = container.New(layout.NewBorderLayout(top, nil, nil, nil), top, w.tabs)
	w.detail.Hide()
	w.welcome = container.NewCenter(container.NewVBox(
		&widget.Label{Text: lang.L("Connected Apps"), TextStyle: fyne.TextStyle{Bold: true}, SizeName: theme.SizeNameHeadingText, Alignment: fyne.TextAlignCenter},
		&widget.Label{Text: lang.L("Register an OAuth 2.0 / OpenID Connect client once, sign in once,\nand hand valid tokens to your programs."), Alignment: fyne.TextAlignCenter},
		container.NewCenter(&widget.Button{Text: lang.L("Register an app"), Icon: theme.ContentAddIcon(), Importance: widget.HighImportance, OnTapped: w.onNew}),
	))
	// The detail joins the window when it is first shown (showDetail). In the window from the
	// start, hidden, it was laid out with the window all the same: its form and Connection tab
	// were measured, and a font loaded for them, before the window could appear
	// (docs/PERFORMANCE.md). In Fyne's test driver the form's empty list of scopes even kept
	// the height it had then, 0, its "No scopes yet." overlapping the row below.
	w.detailBox = container.NewPadded(w.detail)
	w.rightSide = container.NewStack(w.welcome)
	split := container.NewHSplit(left, w.rightSide)
	split.Offset = 0.3
	return split
}

// startServices starts, once, from Run, what lives beside the window: the main menu, the
// background refresher and, when the desktop offers one, the tray.
func (w *mainWindow) startServices() {
	w.menu = w.newMenu()
	w.win.SetMainMenu(w.menu.main)
	w.updateMenu()
	w.win.SetOnDropped(w.imports.onDropped) // a client file dropped on the window is imported
	// The refresher's first pass reads and parses all of apps.json. Begun with the event loop
	// instead of at once, it no longer competes with building the window, which with 1,000
	// apps on two cores showed in the time to the window's appearance (docs/PERFORMANCE.md).
	w.env.app.Lifecycle().SetOnStarted(w.background.start)
	w.startTray()
}

// newMenu is the main menu, wired to the window's screens.
func (w *mainWindow) newMenu() *windowMenu {
	return newWindowMenu(menuCommands{
		newApp:      w.onNew,
		save:        w.form.onSave,
		importFile:  w.imports.onImport,
		exportAll:   func() { w.imports.onExport(false) },
		exportOne:   func() { w.imports.onExport(true) },
		settings:    w.openSettings,
		quit:        w.quit,
		search:      w.sidebar.focusSearch,
		copyToken:   w.tokens.onCopyToken,
		about:       w.showAbout,
		showTab:     w.showTab,
		unlessModal: w.unlessModal,
	})
}

// updateMenu greys out the menu's commands that cannot act now.
func (w *mainWindow) updateMenu() {
	if w.menu == nil {
		return
	}
	app, saved := w.selectedApp()
	w.menu.update(menuState{canSave: w.form.isDirty(), saved: saved, connected: saved && app.Connection() != nil, shown: w.selectedID != ""})
}

// showAbout says what the program is, its version, and where it keeps the apps.
func (w *mainWindow) showAbout() {
	version := w.env.app.Metadata().Version
	if version == "" {
		version = lang.L("a development build")
	}
	text := fmt.Sprintf(lang.L("Connected Apps %s\n\nRegisters OAuth 2.0 and OpenID Connect clients, signs in once through your browser, keeps the tokens in the system keyring and hands valid ones to your programs.\n\nYour apps are kept in %s"),
		version, w.env.svc.RegistryPath())
	msg := &widget.Label{Text: text, Wrapping: fyne.TextWrapWord, Selectable: true}
	d := showMessage(w.win, lang.L("About Connected Apps"), msg)
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
		w.rememberSize()
		w.env.app.Quit()
	}, nil)
}

// addShortcuts puts the main menu's shortcuts on the canvas too, for Fyne's test driver,
// which has no main menu; in the real window the menu answers them first (menu.go).
func (w *mainWindow) addShortcuts() {
	c := w.win.Canvas()
	add := func(key fyne.KeyName, mod fyne.KeyModifier, f func()) {
		f = w.unlessModal(f)
		c.AddShortcut(&desktop.CustomShortcut{KeyName: key, Modifier: mod}, func(fyne.Shortcut) { f() })
	}
	add(fyne.KeyN, fyne.KeyModifierShortcutDefault, w.onNew)
	add(fyne.KeyS, fyne.KeyModifierShortcutDefault, w.form.onSave)
	add(fyne.KeyF, fyne.KeyModifierShortcutDefault, w.sidebar.focusSearch)
	add(fyne.KeyC, fyne.KeyModifierShortcutDefault|fyne.KeyModifierShift, w.tokens.onCopyToken)
	add(fyne.KeyComma, fyne.KeyModifierShortcutDefault, w.openSettings)
}

// showTab switches between Registration (0) and Connection (1) when an app is shown.
func (w *mainWindow) showTab(i int) {
	if w.detail.Visible() {
		w.tabs.SelectIndex(i)
	}
}

func (w *mainWindow) reloadDiscardingEdits() {
	w.changed.Hide()
	w.form.discard()
	w.registry.reload()
}

// showApps shows what a read of the registry found.
func (w *mainWindow) showApps(apps []core.App, err error) {
	if err != nil {
		w.sidebar.showError(err)
		return
	}
	if w.selectedID == "" {
		// First load: reopen the app selected last time.
		w.selectedID = w.env.app.Preferences().String(prefSelectedApp)
	}
	w.sidebar.setApps(apps)
	w.showSelected()
}

func (w *mainWindow) selectedApp() (core.App, bool) { return w.sidebar.app(w.selectedID) }

// showSelected fills the right side for the selected app (or the welcome page). The form
// keeps its edits: only a clean form is refilled from the registry.
func (w *mainWindow) showSelected() {
	if w.selectedID == newAppID {
		w.welcome.Hide()
		w.showDetail()
		w.updateMenu()
		return
	}
	app, ok := w.selectedApp()
	if !ok {
		w.selectedID = ""
		w.detail.Hide()
		w.welcome.Show()
		w.updateMenu()
		return
	}
	w.welcome.Hide()
	w.showDetail()
	w.top.showApp(&app)
	if !w.form.isDirty() {
		w.form.load(&app)
	}
	w.tokens.show(&app)
	w.updateMenu()
}

// updateBadge says the selected app's state in the header, as the clock moves on.
func (w *mainWindow) updateBadge() {
	if app, ok := w.selectedApp(); ok && w.selectedID != newAppID {
		w.top.showState(&app)
	}
}

func (w *mainWindow) showDetail() {
	if len(w.rightSide.Objects) < 2 {
		w.rightSide.Add(w.detailBox)
	}
	w.detail.Show()
}

// selectID shows app id, dropping any edits (the caller asked first).
func (w *mainWindow) selectID(id string) {
	w.form.discard()
	w.changed.Hide()
	w.selectedID = id
	w.env.app.Preferences().SetString(prefSelectedApp, id)
	w.sidebar.syncSelection()
	w.showSelected()
	if app, ok := w.selectedApp(); ok {
		w.form.load(&app)
	}
}

func (w *mainWindow) onNew() {
	w.confirmDiscard(func() { w.onNewWith(nil) }, nil)
}

// onNewWith opens the form on a new document: the defaults, or a preset's (the caller has
// already asked about unsaved edits).
func (w *mainWindow) onNewWith(doc *core.App) {
	w.form.discard()
	w.selectedID = newAppID
	w.sidebar.syncSelection()
	w.top.showNew()
	w.form.loadNew(doc)
	w.tokens.show(nil)
	w.tabs.SelectIndex(0)
	w.showSelected()
	w.win.Canvas().Focus(w.form.name) // after showSelected: Fyne ignores focus on hidden widgets
}

// confirmDiscard runs next at once when the form has no edits; otherwise it asks whether
// to save, discard, or stay. cancel (may be nil) runs when the person stays.
func (w *mainWindow) confirmDiscard(next, cancel func()) {
	if !w.form.isDirty() {
		next()
		return
	}
	name := w.form.displayName()
	w.pendingDialog = showChoice(w.win, lang.L("Unsaved changes"), widget.NewLabel(fmt.Sprintf(lang.L("%s has changes that are not saved."), name)), lang.L("Cancel"), cancel,
		dialogChoice{text: lang.L("Discard changes"), importance: widget.DangerImportance, run: next},
		dialogChoice{text: lang.L("Save"), importance: widget.HighImportance, run: func() { w.form.saveThen(next) }})
}

func (w *mainWindow) onClose() {
	w.confirmDiscard(func() {
		w.rememberSize()
		w.closeWindow()
	}, nil)
}

// rememberSize keeps the window's size for the next start: the size the person gave it,
// the only one it has (it never resizes itself).
func (w *mainWindow) rememberSize() {
	s := w.win.Canvas().Size()
	prefs := w.env.app.Preferences()
	prefs.SetFloat(prefWidth, float64(s.Width))
	prefs.SetFloat(prefHeight, float64(s.Height))
}

// closeWindow is what closing does once nothing is left unsaved; the tray replaces it with
// hiding the window when the desktop offers a tray.
func (w *mainWindow) closeWindow() {
	if w.closeHook != nil {
		w.closeHook()
		return
	}
	w.win.Close()
}

// appSaved is called by the form after a save: select the app and read the registry again.
func (w *mainWindow) appSaved(app core.App) {
	w.selectedID = app.ID
	w.env.app.Preferences().SetString(prefSelectedApp, app.ID)
	w.changed.Hide()
	w.registry.reload()
}

// appRemoved is called after a delete.
func (w *mainWindow) appRemoved() {
	w.selectedID = ""
	w.env.app.Preferences().SetString(prefSelectedApp, "")
	w.registry.reload()
}

// showAppNamed shows the saved app named name ("" or a name no app has: the one shown), then
// runs next: a remedy's button acts on the app its failure is about. Edits to another app
// are asked about first; the app already shown keeps its edits.
func (w *mainWindow) showAppNamed(name string, next func()) {
	id := w.selectedID
	for _, a := range w.sidebar.apps {
		if name != "" && a.ProviderName == name {
			id = a.ID
			break
		}
	}
	if _, ok := w.sidebar.app(id); !ok {
		return // nothing saved to act on (the app was removed meanwhile)
	}
	if id == w.selectedID {
		next()
		return
	}
	w.confirmDiscard(func() { w.selectID(id); next() }, nil)
}

func (w *mainWindow) onConnect() {
	app, ok := w.selectedApp()
	if !ok {
		return
	}
	w.confirmDiscard(func() { w.connectDialog(app).start() }, nil)
}

// connectDialog is a sign-in to app over the window: what it stores is shown, and a success
// opens the Connection tab, where its tokens are.
func (w *mainWindow) connectDialog(app core.App) *connectDialog {
	return newConnectDialog(w.env, w.windowDialogs, app, w.registry.reload, func() { w.tabs.SelectIndex(1) })
}

// appRow is one entry of the list: the name, the connection state, and the provider with who
// signed in, each on a line of its own. With the state beside the name, every change of its
// text ("59 min" to "9 min") moved the name's edge and the row jumped; stacked, nothing moves,
// and a narrow sidebar truncates each line instead of squeezing the name to nothing.
type appRow struct {
	widget.BaseWidget
	name, detail, state *widget.Label
}

func newAppRow() *appRow {
	r := &appRow{
		name:   &widget.Label{TextStyle: fyne.TextStyle{Bold: true}, Truncation: fyne.TextTruncateEllipsis},
		detail: &widget.Label{SizeName: theme.SizeNameCaptionText, Truncation: fyne.TextTruncateEllipsis},
		state:  &widget.Label{SizeName: theme.SizeNameCaptionText, Truncation: fyne.TextTruncateEllipsis},
	}
	r.ExtendBaseWidget(r)
	return r
}

func (r *appRow) CreateRenderer() fyne.WidgetRenderer {
	// Labels carry their own padding above and below; overlapping it keeps the lines together.
	return widget.NewSimpleRenderer(container.New(layout.NewCustomPaddedVBoxLayout(-1.5*theme.InnerPadding()), r.name, r.state, r.detail))
}

func (r *appRow) set(app *core.App, now time.Time) {
	r.name.SetText(app.ProviderName)
	r.detail.SetText(detailText(app))
	text, importance := rowState(app, now) // the state, and a refresh token's warning
	r.state.Text, r.state.Importance = text, importance
	r.state.Refresh()
}
