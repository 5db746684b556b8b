// Package gui is the Fyne window over core. It never imports fyne.io/fyne/v2/app: main
// creates the fyne.App, so this package and its tests need no display and no OpenGL.
package gui

import (
	"fmt"
	"net/url"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"connectedapps/assets"
	"connectedapps/core"
)

// runAsync runs work that may block (file and keyring reads) off the UI goroutine. Tests
// replace it with a direct call, because Fyne's test driver runs fyne.Do on the calling
// goroutine and a real background goroutine would race with the test's assertions.
var runAsync = func(f func()) { go f() }

// emptyCommand is what the empty state tells a person to run.
const emptyCommand = "connectedapps add NAME --discovery URL --client-id ID"

// mainWindow lists the registered apps and their connection state.
type mainWindow struct {
	app fyne.App
	win fyne.Window
	svc *core.Service

	// Touched only on the UI goroutine.
	apps    []core.App
	loadSeq int // answers to older reloads are dropped, so the newest read always wins

	heading   *widget.Label
	reload    *widget.Button
	errorText *widget.Label
	list      *widget.List
	empty     fyne.CanvasObject
	emptyText []*widget.Label
}

func newMainWindow(a fyne.App, svc *core.Service) *mainWindow {
	w := &mainWindow{app: a, svc: svc, win: a.NewWindow("Connected Apps")}
	w.win.SetContent(w.buildUI())
	w.win.Resize(fyne.NewSize(900, 600))
	return w
}

// Run shows the main window and blocks until the app quits.
func Run(a fyne.App, svc *core.Service) {
	a.SetIcon(assets.Icon)
	w := newMainWindow(a, svc)
	w.win.SetMaster()
	// The command line may change apps.json while the window is open: read it again
	// whenever the person comes back to the window.
	a.Lifecycle().SetOnEnteredForeground(w.onReload)
	// "expires in N min" is computed from the clock, so redraw it now and then.
	go func() {
		for range time.Tick(30 * time.Second) {
			fyne.Do(w.list.Refresh)
		}
	}()
	w.onReload()
	w.win.ShowAndRun()
}

func (w *mainWindow) buildUI() fyne.CanvasObject {
	w.heading = &widget.Label{Text: "Registered apps", TextStyle: fyne.TextStyle{Bold: true}, SizeName: theme.SizeNameSubHeadingText}
	w.reload = &widget.Button{Text: "Reload", Icon: theme.ViewRefreshIcon(), OnTapped: w.onReload}
	w.errorText = &widget.Label{Importance: widget.DangerImportance, Wrapping: fyne.TextWrapWord, Selectable: true}
	w.errorText.Hide()

	w.list = widget.NewList(
		func() int { return len(w.apps) },
		func() fyne.CanvasObject { return newAppRow() },
		w.updateRow,
	)
	w.list.Hide() // until the first read answers, so the empty state never flashes

	w.emptyText = []*widget.Label{
		{Text: "No apps yet.", Alignment: fyne.TextAlignCenter, TextStyle: fyne.TextStyle{Bold: true}},
		{Text: "Register one from a terminal:", Alignment: fyne.TextAlignCenter},
		{Text: emptyCommand, Alignment: fyne.TextAlignCenter, TextStyle: fyne.TextStyle{Monospace: true}, Selectable: true},
	}
	box := container.NewVBox()
	for _, l := range w.emptyText {
		box.Add(l)
	}
	w.empty = container.NewCenter(box)
	w.empty.Hide()

	top := container.NewVBox(
		container.NewBorder(nil, nil, w.heading, w.reload),
		w.errorText,
		widget.NewSeparator(),
	)
	return container.NewBorder(top, nil, nil, nil, container.NewStack(w.list, w.empty))
}

// onReload reads the registry off the UI goroutine and shows the answer.
func (w *mainWindow) onReload() {
	w.loadSeq++
	seq := w.loadSeq
	w.reload.Disable()
	runAsync(func() {
		apps, err := w.svc.List()
		fyne.Do(func() { w.showApps(seq, apps, err) })
	})
}

func (w *mainWindow) showApps(seq int, apps []core.App, err error) {
	if seq != w.loadSeq {
		return
	}
	w.reload.Enable()
	if err != nil {
		w.apps = nil
		w.heading.SetText("Registered apps")
		w.errorText.SetText("Your apps could not be read: " + err.Error())
		w.errorText.Show()
		w.list.Hide()
		w.empty.Hide()
		return
	}
	w.errorText.Hide()
	w.apps = apps
	if len(apps) == 0 {
		w.heading.SetText("Registered apps")
	} else {
		w.heading.SetText(fmt.Sprintf("Registered apps (%d)", len(apps)))
	}
	w.list.Refresh()
	if len(apps) == 0 {
		w.list.Hide()
		w.empty.Show()
		return
	}
	w.empty.Hide()
	w.list.Show()
}

func (w *mainWindow) updateRow(id widget.ListItemID, o fyne.CanvasObject) {
	if id < 0 || id >= len(w.apps) {
		return
	}
	o.(*appRow).set(&w.apps[id], w.svc.Now())
}

// appRow is one line of the list: name and provider on the left, connection state on the right.
type appRow struct {
	widget.BaseWidget
	name, detail, state *widget.Label
}

func newAppRow() *appRow {
	r := &appRow{
		name:   &widget.Label{TextStyle: fyne.TextStyle{Bold: true}, Truncation: fyne.TextTruncateEllipsis},
		detail: &widget.Label{SizeName: theme.SizeNameCaptionText, Truncation: fyne.TextTruncateEllipsis},
		state:  &widget.Label{Alignment: fyne.TextAlignTrailing},
	}
	r.ExtendBaseWidget(r)
	return r
}

func (r *appRow) CreateRenderer() fyne.WidgetRenderer {
	// Labels carry their own padding; none between them keeps name and detail together.
	lines := container.New(layout.NewCustomPaddedVBoxLayout(0), r.name, r.detail)
	return widget.NewSimpleRenderer(container.NewBorder(nil, nil, nil, container.NewCenter(r.state), lines))
}

func (r *appRow) set(app *core.App, now time.Time) {
	r.name.SetText(app.ProviderName)
	r.detail.SetText(detailText(app))
	text, importance := stateText(app, now)
	r.state.Text, r.state.Importance = text, importance
	r.state.Refresh()
}

// stateText is the connection state in a person's words, and how loudly to show it.
func stateText(app *core.App, now time.Time) (string, widget.Importance) {
	switch s := app.State(now); s {
	case core.StateConnected:
		if app.Connection.ExpiresAt == nil {
			return "Connected", widget.SuccessImportance
		}
		return "Connected · expires in " + humanDuration(app.Connection.ExpiresAt.Sub(now)), widget.SuccessImportance
	case core.StateExpired:
		return "Expired", widget.WarningImportance
	case core.StateNeedsReauth:
		return "Needs re-authorization", widget.DangerImportance
	case core.StateClientRejected:
		return "Client rejected", widget.DangerImportance
	case core.StateNotConnected:
		return "Not connected", widget.MediumImportance
	default: // a state a newer version wrote: show it rather than hide it
		return s, widget.MediumImportance
	}
}

// humanDuration rounds down, so "expires in 42 min" is never later than the truth.
func humanDuration(d time.Duration) string {
	switch {
	case d < time.Minute:
		return "less than a minute"
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d/time.Minute))
	case d < 48*time.Hour:
		h, m := int(d/time.Hour), int(d%time.Hour/time.Minute)
		if m == 0 {
			return fmt.Sprintf("%d h", h)
		}
		return fmt.Sprintf("%d h %d min", h, m)
	default:
		return fmt.Sprintf("%d days", int(d/(24*time.Hour)))
	}
}

// detailText names the provider (its host) and, when known, who signed in.
func detailText(app *core.App) string {
	host := app.Issuer
	if host == "" {
		host = app.AuthorizationURI
	}
	if u, err := url.Parse(host); err == nil && u.Host != "" {
		host = u.Host
	}
	if c := app.Connection; c != nil {
		switch {
		case c.Email != "":
			return host + " · " + c.Email
		case c.Name != "":
			return host + " · " + c.Name
		}
	}
	return host
}
