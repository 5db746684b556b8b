package gui

import (
	"context"
	"fmt"
	"fyne.io/fyne/v2/lang"
	"os"
	"time"

	"fyne.io/fyne/v2"

	"connectedapps/core"
)

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

// onEvent runs on the refresher's goroutine. A desktop notification says when an app
// needs the person, or its refresh token nears or passed its provider's limit (the Refresher
// reports each such change once, not on every tick); a
// temporary failure says nothing, because the next tick retries and the tokens were kept.
func (b *backgroundRefresh) onEvent(ev core.RefreshEvent) {
	name := ev.App.ProviderName
	if len(ev.App.Accounts) > 1 {
		// Which of the app's accounts: the others may be fine.
		if acct := ev.App.FindAccount(ev.Account); acct != nil {
			name = fmt.Sprintf(lang.L("%s as %s"), name, acct.Label())
		}
	}
	switch ev.Outcome {
	case core.RefreshNeedsReauth:
		b.env.notifier.Notify(fmt.Sprintf(lang.L("%s needs you to sign in again"), name),
			fmt.Sprintf(lang.L("Open Connected Apps, select %s and press “Reconnect”. Until then programs using it get no token."), name))
	case core.RefreshClientRejected:
		b.env.notifier.Notify(fmt.Sprintf(lang.L("%s: the provider rejected this app"), name),
			fmt.Sprintf(lang.L("Open Connected Apps, check %s’s client ID and secret under Registration, then press “Reconnect”."), name))
	case core.RefreshTokenEnding:
		// The Refresher tells of each limit once (and once more when it has passed), so
		// this is not repeated on every tick.
		title, body := healthNote(name, ev.Health, b.env.svc.Clock())
		b.env.notifier.Notify(title, body)
	case core.RefreshDone:
	default:
		return
	}
	fyne.Do(b.onChanged)
}
