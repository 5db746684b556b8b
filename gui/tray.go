package gui

import (
	"context"
	"fmt"
	"fyne.io/fyne/v2/lang"
	"slices"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"github.com/godbus/dbus/v5"

	"connectedapps/core"
)

// statusNotifierWatcher is the D-Bus name of the tray host registry: when something owns it
// (KDE, GNOME with the AppIndicator extension, XFCE, waybar…) a tray icon will be shown.
// Without it Fyne's tray icon would go nowhere, and hiding the window would lose it.
const statusNotifierWatcher = "org.kde.StatusNotifierWatcher"

// trayCallTimeout bounds a copy from the tray: the lock wait, keyring and a refresh.
const trayCallTimeout = 2 * time.Minute

// trayPoll is how often the tray looks whether apps.json changed, to rebuild its menu.
const trayPoll = 2 * time.Second

// hasStatusNotifierWatcher asks the session bus whether the watcher name has an owner. It
// never starts a bus (dbus-launch would leave one behind) and gives up after two seconds.
func hasStatusNotifierWatcher() bool {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	conn, err := dbus.SessionBusPrivateNoAutoStartup(dbus.WithContext(ctx))
	if err != nil {
		return false
	}
	defer conn.Close()
	if err := conn.Auth(nil); err != nil {
		return false
	}
	if err := conn.Hello(); err != nil {
		return false
	}
	var owned bool
	err = conn.BusObject().CallWithContext(ctx, "org.freedesktop.DBus.NameHasOwner", 0, statusNotifierWatcher).Store(&owned)
	return err == nil && owned
}

// tray is the system tray icon's menu: "Copy token: <App>" for each connected app, Show and
// Quit. While it exists, closing the window hides it instead of quitting.
type tray struct {
	env  *env
	desk desktop.App
	win  fyne.Window     // shown, hidden and brought to the front from the tray
	clip *clipboardGuard // the Connection tab's: one pending clear for both
	// quit ends the app (unsaved edits asked about first); onChanged runs when a copy
	// refreshed a token or found the app's state changed.
	quit, onChanged func()
	// setHidden is mainWindow.setHidden: told when the window goes to the tray and back.
	setHidden func(hidden bool)

	// Touched only on the UI goroutine.
	// menu is the one menu object handed to the tray, changed in place: Fyne re-applies the
	// menu it was first given when the tray comes up, after the loop has started, which
	// would undo a newer menu object set before then.
	menu       *fyne.Menu
	labels     []string // the copy items in the menu now, to rebuild only on change
	toldHidden bool     // the "still running in the tray" notice was given
}

// startTray installs the tray when the desktop has one. It must run before the app's event
// loop starts: Fyne starts its tray only if a menu was set by then (set later, no icon
// appears, and quitting crashes in fyne.io/systray). So the D-Bus question is asked here, on
// the way up, bounded by hasStatusNotifierWatcher's two-second timeout.
func (w *mainWindow) startTray() {
	desk, ok := w.env.app.(desktop.App)
	if !ok || !w.env.hasTray() {
		return
	}
	t := w.installTray(desk)
	go func() {
		// The window's first read of the registry may not have answered yet: read at once.
		stamp := t.poll(time.Time{})
		for range time.Tick(trayPoll) {
			stamp = t.poll(stamp)
		}
	}()
}

// installTray puts the tray's menu on desk and makes closing the window hide it.
func (w *mainWindow) installTray(desk desktop.App) *tray {
	t := &tray{env: w.env, desk: desk, win: w.win, clip: w.tokens.clip, quit: w.quit, onChanged: w.registry.reload, setHidden: w.setHidden}
	t.setApps(w.sidebar.apps)
	// A click on the icon shows the window. Fyne then makes closing hide the window without
	// asking; ours is put back, so unsaved edits are still asked about first.
	desk.SetSystemTrayWindow(w.win)
	w.win.SetCloseIntercept(w.onClose)
	w.closeHook = t.hideWindow
	return t
}

// poll runs off the UI goroutine: when apps.json changed since last (its modification time
// then), it reads the apps and has the menu rebuilt if the connected ones changed. It returns
// the modification time it has seen.
func (t *tray) poll(last time.Time) time.Time {
	stamp := registryStamp(t.env.svc.RegistryPath())
	if stamp.Equal(last) {
		return last
	}
	apps, err := t.env.svc.List()
	if err != nil {
		return last // the window shows the error; keep the menu as it was
	}
	fyne.Do(func() { t.setApps(apps) })
	return stamp
}

// setApps rebuilds the menu if the apps that can give a token changed.
func (t *tray) setApps(apps []core.App) {
	now := t.env.svc.Clock()
	// One line per account holding tokens; an app with one account reads as before.
	var copyable []trayItem
	var labels []string
	for i := range apps {
		a := &apps[i]
		for j := range a.Accounts {
			acct := &a.Accounts[j]
			if !acct.StateAt(now).HasTokens() {
				continue
			}
			copyable = append(copyable, trayItem{appID: a.ID, accountID: acct.ID})
			if len(a.Accounts) > 1 {
				labels = append(labels, fmt.Sprintf(lang.L("Copy token: %s as %s"), a.ProviderName, acct.Label()))
			} else {
				labels = append(labels, fmt.Sprintf(lang.L("Copy token: %s"), a.ProviderName))
			}
		}
	}
	if t.labels != nil && slices.Equal(labels, t.labels) {
		return
	}
	t.labels = labels
	if t.menu == nil {
		t.menu = fyne.NewMenu(lang.L("Connected Apps"))
	}
	t.menu.Items = t.menuItems(copyable, labels)
	t.desk.SetSystemTrayMenu(t.menu)
}

// trayItem is one account whose token the tray's menu copies.
type trayItem struct{ appID, accountID string }

func (t *tray) menuItems(apps []trayItem, labels []string) []*fyne.MenuItem {
	var items []*fyne.MenuItem
	for i, a := range apps {
		items = append(items, &fyne.MenuItem{Label: labels[i], Action: func() { t.copyTokenOf(a.appID, a.accountID) }})
	}
	if len(items) == 0 {
		items = append(items, &fyne.MenuItem{Label: lang.L("No connected apps"), Disabled: true})
	}
	items = append(items,
		fyne.NewMenuItemSeparator(),
		&fyne.MenuItem{Label: lang.L("Show Connected Apps"), Action: t.showWindow},
		&fyne.MenuItem{Label: lang.L("Quit"), IsQuit: true, Action: t.quit},
	)
	return items
}

func (t *tray) showWindow() {
	t.win.Show()
	t.win.RequestFocus()
	t.setHidden(false)
}

// hideWindow is what closing the window does while the tray exists. The first time, a
// notification says where the app went, so nobody thinks it quit.
func (t *tray) hideWindow() {
	t.win.Hide()
	t.setHidden(true)
	if !t.toldHidden {
		t.toldHidden = true
		notifier := t.env.notifier
		t.env.runAsync(func() {
			notifier.Notify(lang.L("Connected Apps is still running"),
				lang.L("It keeps your tokens fresh in the background. Open it again from its tray icon; choose Quit there to stop it."))
		})
	}
}

// copyToken copies app id's access token (refreshed first when about to run out) through the
// token panel's clipboard guard, so it is cleared after the same delay and a copy from the
// panel and one from the tray share one pending clear. The window may be hidden, so the
// outcome is told by a notification rather than in the panel.
func (t *tray) copyToken(id string) { t.copyTokenOf(id, "") }

// copyTokenOf is copyToken for one account of the app ("" its default).
func (t *tray) copyTokenOf(id, account string) {
	t.env.runAsync(func() {
		ctx, cancel := context.WithTimeout(context.Background(), trayCallTimeout)
		defer cancel()
		app, err := t.env.svc.Get(id)
		var ts *core.TokenSet
		if err == nil {
			ts, err = t.env.svc.TokenFor(ctx, id, account, core.DefaultMinValid)
		}
		name := app.ProviderName
		if name == "" {
			name = lang.L("The app")
		}
		if err != nil {
			t.env.notifier.Notify(lang.L("Could not copy the token"), errorWords(err))
			fyne.Do(t.onChanged)
			return
		}
		fyne.Do(func() {
			msg := lang.L("It is on the clipboard.")
			if d := t.clip.put(ts.AccessToken); d > 0 {
				msg = fmt.Sprintf(lang.L("It is on the clipboard for %s, unless you copy something else."), secondsText(d))
			}
			notifier := t.env.notifier
			t.env.runAsync(func() { notifier.Notify(fmt.Sprintf(lang.L("%s access token copied"), name), msg) })
			if view := asAccount(&app, account); view.Connection() == nil || !equalTimes(ts.Expiry, view.Connection().ExpiresAt) {
				t.onChanged() // refreshed on the way
			}
		})
	})
}
