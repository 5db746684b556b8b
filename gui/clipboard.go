package gui

import (
	"time"

	"fyne.io/fyne/v2"
)

// Preference keys the Settings screen writes and the clipboard guard reads.
const (
	clipboardClearKey   = "clipboard.clear"   // bool, default true
	clipboardSecondsKey = "clipboard.seconds" // int, default defaultClipboardSeconds
)

const defaultClipboardSeconds = 60

// clipboardGuard puts a secret on the clipboard and takes it off again after a while, but
// only if the clipboard still holds it: whatever the person copied meanwhile is theirs.
// Touched only on the UI goroutine (the system clipboard must be used there too).
type clipboardGuard struct {
	clipboard func() fyne.Clipboard
	prefs     fyne.Preferences
	// after runs f on the UI goroutine once d has passed, unless stop is called first.
	// Tests replace it to fire the timer themselves.
	after func(d time.Duration, f func()) (stop func())

	gen  int    // each put gets a number, so a timer left over from an earlier put does nothing
	held string // what we put there and have yet to clear
	stop func()
}

func newClipboardGuard(a fyne.App) *clipboardGuard {
	return &clipboardGuard{clipboard: a.Clipboard, prefs: a.Preferences(), after: afterOnUI}
}

func afterOnUI(d time.Duration, f func()) (stop func()) {
	t := time.AfterFunc(d, func() { fyne.Do(f) })
	return func() { t.Stop() }
}

// clearAfter is how long a secret stays on the clipboard; 0 means it is never cleared.
func (g *clipboardGuard) clearAfter() time.Duration {
	if !g.prefs.BoolWithFallback(clipboardClearKey, true) {
		return 0
	}
	s := g.prefs.IntWithFallback(clipboardSecondsKey, defaultClipboardSeconds)
	if s <= 0 {
		s = defaultClipboardSeconds
	}
	return time.Duration(s) * time.Second
}

// put places secret on the clipboard and returns how long it will stay there (0: until the
// person replaces it, as the settings ask).
func (g *clipboardGuard) put(secret string) time.Duration {
	g.cancel()
	g.clipboard().SetContent(secret)
	d := g.clearAfter()
	if d == 0 {
		return 0
	}
	g.gen++
	gen := g.gen
	g.held = secret
	g.stop = g.after(d, func() {
		if gen == g.gen {
			g.clearNow()
		}
	})
	return d
}

// clearNow takes our secret off the clipboard if it is still there. The window calls it on
// quit too, so no token outlives the app on the clipboard.
func (g *clipboardGuard) clearNow() {
	held := g.held
	g.cancel()
	if held == "" {
		return
	}
	if c := g.clipboard(); c.Content() == held {
		c.SetContent("")
	}
}

// cancel forgets the pending clear without touching the clipboard.
func (g *clipboardGuard) cancel() {
	if g.stop != nil {
		g.stop()
	}
	g.gen++
	g.held, g.stop = "", nil
}
