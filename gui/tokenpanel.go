package gui

import (
	"context"
	"encoding/json"
	"fmt"
	"fyne.io/fyne/v2/lang"
	"slices"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"connectedapps/core"
	"connectedapps/core/fail"
)

// panelCallTimeout bounds one refresh, test or disconnect: the provider and the keyring get
// time to answer, but a hung one never leaves the buttons disabled for good.
const panelCallTimeout = 2 * time.Minute

// maskedToken stands in for a token nobody asked to see.
const maskedToken = "••••••••••••••••••••••••"

// tickEverySecond calls f on the UI goroutine once a second until stop is called: the
// countdown's ticker (env.everySecond).
func tickEverySecond(f func()) (stop func()) {
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				fyne.Do(f)
			}
		}
	}()
	var once sync.Once
	return func() { once.Do(func() { close(done) }) }
}

// tokenPanel is the Connection tab: the selected app's connection and what can be done
// with its tokens. Tokens are fetched only for an action and shown only on Reveal.
type tokenPanel struct {
	env     *env
	dialogs *windowDialogs
	clip    *clipboardGuard
	panelHooks

	app *core.App // nil: nothing saved is selected; else the app seen as the chosen account (asAccount)
	// orig is the app as saved (its real default); account is the chosen account's ID ("":
	// the default). Every wording and action below the list is for that account.
	orig    *core.App
	account string

	busyID     string // the app a refresh, test or disconnect is running for
	revealed   string // the token shown after Reveal; "" while masked
	revealSeq  int    // a Reveal answer arriving after Hide or a switch is dropped
	stopTick   func()
	tickingFor string // the app the countdown runs for
	hidden     bool   // the window is in the tray: no countdown ticker (setHidden)
	shownConn  string // fingerprint of the connection shown; a new sign-in or refresh masks the token

	hint       *widget.Label // no app saved yet, or not connected
	lastError  *widget.Label
	reconnect  *widget.Label
	details    *fyne.Container
	state      *widget.Label
	countdown  *widget.Label
	identity   *widget.Label
	since      *widget.Label
	requested  *widget.Label
	granted    *widget.Label
	notGranted *widget.Label
	refreshTok *widget.Label
	health     *widget.Label // the refresh token against its provider's known limit
	token      *widget.Label
	reveal     *widget.Button
	copyToken  *widget.Button
	copyHeader *widget.Button
	refresh    *widget.Button
	test       *widget.Button
	inspect    *widget.Button
	disconnect *widget.Button
	actions    *fyne.Container
	box        *fyne.Container
	notice     *widget.Label // the outcome of the last action, for the app it was done to
	// The accounts: one line each (choosing one shows it below), Make default, Add another.
	accounts    *fyne.Container
	accountList *widget.RadioGroup
	accountIDs  []string // accountList's options' accounts, in order
	makeDefault *widget.Button
	addAccount  *widget.Button
	filling     bool // accountList is being filled: its OnChanged is not the person's
	scroll      *container.Scroll

	// dialog is the dialog this panel showed last, kept so tests can press its buttons.
	dialog dialog.Dialog
	// inspected is the Inspect dialog's content shown last, for tests.
	inspected *inspectView
}

// panelHooks is what the Connection tab asks of the window around it and tells it.
type panelHooks struct {
	// onChanged runs after an action that may have changed the connection.
	onChanged func()
	// onStateChanged runs when the state's words changed with the clock, not with a reload.
	onStateChanged func()
	// inView says the Connection tab is the one shown, where its status line is seen.
	inView func() bool
	// addAccount signs another account in (the header's Connect).
	addAccount func()
}

func newTokenPanel(e *env, dialogs *windowDialogs, hooks panelHooks) *tokenPanel {
	return &tokenPanel{env: e, dialogs: dialogs, clip: newClipboardGuard(e.app), panelHooks: hooks}
}

func (p *tokenPanel) content() fyne.CanvasObject {
	wrap := func(l *widget.Label) *widget.Label { l.Wrapping = fyne.TextWrapWord; return l }
	p.hint = wrap(&widget.Label{})
	p.lastError = wrap(&widget.Label{Importance: widget.DangerImportance, Selectable: true})
	p.reconnect = wrap(&widget.Label{Importance: widget.WarningImportance})
	p.state = &widget.Label{}
	p.countdown = &widget.Label{}
	p.identity = wrap(&widget.Label{Selectable: true})
	p.since = wrap(&widget.Label{})
	p.requested = wrap(&widget.Label{})
	p.granted = wrap(&widget.Label{})
	p.notGranted = wrap(&widget.Label{Importance: widget.WarningImportance})
	p.refreshTok = wrap(&widget.Label{})
	p.health = wrap(&widget.Label{})
	p.token = &widget.Label{Text: maskedToken, TextStyle: fyne.TextStyle{Monospace: true}, Wrapping: fyne.TextWrapBreak, Selectable: true}
	p.reveal = &widget.Button{Text: lang.L("Reveal"), Icon: theme.VisibilityIcon(), OnTapped: p.onReveal}
	p.copyToken = &widget.Button{Text: lang.L("Copy access token"), Icon: theme.ContentCopyIcon(), Importance: widget.HighImportance, OnTapped: func() { p.onCopy(false) }}
	p.copyHeader = &widget.Button{Text: lang.L("Copy “Authorization: Bearer …” header"), Icon: theme.ContentCopyIcon(), OnTapped: func() { p.onCopy(true) }}
	p.refresh = &widget.Button{Text: lang.L("Refresh now"), Icon: theme.ViewRefreshIcon(), OnTapped: p.onRefresh}
	p.test = &widget.Button{Text: lang.L("Test"), Icon: theme.MediaPlayIcon(), OnTapped: p.onTest}
	p.inspect = &widget.Button{Text: lang.L("Inspect"), Icon: theme.SearchIcon(), OnTapped: p.onInspect}
	p.disconnect = &widget.Button{Text: lang.L("Disconnect"), Icon: theme.LogoutIcon(), Importance: widget.DangerImportance, OnTapped: p.onDisconnect}
	p.notice = wrap(&widget.Label{})
	p.accountList = &widget.RadioGroup{OnChanged: p.onChooseAccount}
	p.makeDefault = &widget.Button{Text: lang.L("Make default"), Icon: theme.ConfirmIcon(), OnTapped: p.onMakeDefault}
	p.addAccount = &widget.Button{Text: lang.L("Add another account"), Icon: theme.ContentAddIcon(), OnTapped: func() {
		if p.panelHooks.addAccount != nil {
			p.panelHooks.addAccount()
		}
	}}
	p.accounts = container.NewVBox(&widget.Label{Text: lang.L("Accounts"), TextStyle: fyne.TextStyle{Bold: true}},
		p.accountList, container.NewHBox(p.makeDefault, p.addAccount))

	key := func(s string) *widget.Label { return &widget.Label{Text: s, TextStyle: fyne.TextStyle{Bold: true}} }
	p.details = container.New(layout.NewFormLayout(),
		key(lang.L("Status")), p.state,
		key(lang.L("Access token")), p.countdown,
		key(lang.L("Signed in as")), p.identity,
		key(lang.L("Since")), p.since,
		key(lang.L("Requested scopes")), p.requested,
		key(lang.L("Granted scopes")), container.NewVBox(p.granted, p.notGranted),
		key(lang.L("Refresh token")), container.NewVBox(p.refreshTok, p.health),
		key(lang.L("Token")), container.NewBorder(nil, nil, nil, container.NewVBox(p.reveal), p.token),
	)
	p.actions = container.NewVBox(
		container.NewHBox(p.copyToken, p.copyHeader),
		container.NewHBox(p.refresh, p.test, p.inspect, layout.NewSpacer(), p.disconnect),
	)
	p.box = container.NewVBox(p.hint, p.lastError, p.reconnect, p.accounts, p.details, p.actions, p.notice)
	p.show(nil)
	p.scroll = wheelScroll(p.box)
	return p.scroll
}

// show fills the panel for app (nil: an unsaved new app). The window calls it on every
// reload; only a switch to another app, or a changed connection, masks the token again.
func (p *tokenPanel) show(app *core.App) {
	prevID := ""
	if p.app != nil {
		prevID = p.app.ID
	}
	if app == nil || app.ID != prevID || app.FindAccount(p.account) == nil {
		p.account = "" // another app, or the account chosen was disconnected: its default
	}
	p.orig = app
	if app != nil {
		view := asAccount(app, p.account)
		app = &view
	}
	p.app = app
	p.showAccounts()
	id, fp := "", ""
	if app != nil {
		id, fp = app.ID, connFingerprint(app.Connection())
	}
	if id != prevID {
		p.notice.SetText("")
		p.notice.Hide()
	}
	if id != prevID || fp != p.shownConn {
		p.mask()
	}
	p.shownConn = fp
	p.syncTicker()

	conn := (*core.Connection)(nil)
	if app != nil {
		conn = app.Connection()
	}
	switch {
	case app == nil:
		p.hint.SetText(lang.L("Save this app on the Registration tab first; then connect to it, and its tokens appear here."))
	case conn == nil:
		p.hint.SetText(fmt.Sprintf(lang.L("Not connected. Press “Connect” above to sign in to %s; the connection and its tokens then appear here."), app.ProviderName))
	}
	if conn == nil {
		p.hint.Show()
		p.lastError.Hide()
		p.reconnect.Hide()
		p.details.Hide()
		p.actions.Hide()
		p.relayout()
		return
	}
	p.hint.Hide()
	p.details.Show()
	p.actions.Show()

	text, importance := stateText(app, p.env.svc.Clock())
	p.state.Text, p.state.Importance = text, importance
	p.state.Refresh()
	p.updateCountdown()
	machine := !app.GrantType.SignsIn()
	if machine {
		p.identity.SetText(lang.L("nobody: with client credentials the client acts for itself"))
	} else {
		p.identity.SetText(identityText(conn))
	}
	p.since.SetText(sinceText(conn))
	p.requested.SetText(scopeList(app.Scopes, "none"))
	p.granted.SetText(scopeList(conn.GrantedScopes, lang.L("none reported")))
	if missing := notGranted(app.Scopes, conn.GrantedScopes); len(missing) > 0 {
		p.notGranted.SetText(fmt.Sprintf(lang.L("Requested but not granted: %s"), strings.Join(missing, " ")))
		p.notGranted.Show()
	} else {
		p.notGranted.Hide()
	}
	switch {
	case machine:
		p.refreshTok.SetText(lang.L("not needed: a new access token is fetched with the client credentials"))
	case conn.HasRefreshToken:
		p.refreshTok.SetText(lang.L("held: the access token is renewed before it runs out"))
	default:
		p.refreshTok.SetText(lang.L("none: when the access token runs out, connect again"))
	}
	p.updateHealth()
	if conn.ReconnectToApply {
		p.reconnect.SetText(lang.L("The scopes changed since you signed in: press “Reconnect” above to apply them."))
		p.reconnect.Show()
	} else {
		p.reconnect.Hide()
	}
	if conn.LastError != "" {
		p.lastError.SetText(fmt.Sprintf(lang.L("Last error: %s"), conn.LastError))
		p.lastError.Show()
	} else {
		p.lastError.Hide()
	}
	p.updateButtons()
	p.relayout()
}

// showAccounts fills the accounts list: shown for an app people sign in to, once it has an
// account (so "Add another account" is there from the first).
func (p *tokenPanel) showAccounts() {
	app := p.orig
	if app == nil || len(app.Accounts) == 0 || !app.GrantType.SignsIn() {
		p.accounts.Hide()
		return
	}
	now := p.env.svc.Clock()
	var options []string
	p.accountIDs = p.accountIDs[:0]
	selected := ""
	for i := range app.Accounts {
		acct := &app.Accounts[i]
		view := asAccount(app, acct.ID)
		state, _ := stateText(&view, now)
		options = append(options, accountLabel(app, acct)+" · "+state)
		p.accountIDs = append(p.accountIDs, acct.ID)
		if acct.ID == p.app.Default().ID {
			selected = options[len(options)-1]
		}
	}
	p.filling = true
	p.accountList.Options = options
	p.accountList.Selected = selected
	p.accountList.Refresh()
	p.filling = false
	if p.app.Default().ID == app.Default().ID {
		p.makeDefault.Disable()
	} else {
		p.makeDefault.Enable()
	}
	p.accounts.Show()
}

// onChooseAccount shows the chosen account below the list; every action acts on it.
func (p *tokenPanel) onChooseAccount(option string) {
	if p.filling || p.orig == nil {
		return
	}
	i := slices.Index(p.accountList.Options, option)
	if i < 0 { // a radio group's option tapped again is unselected: keep the one shown
		p.showAccounts()
		return
	}
	p.account = p.accountIDs[i]
	p.show(p.orig)
}

// onMakeDefault makes the chosen account the app's default: the one programs get.
func (p *tokenPanel) onMakeDefault() {
	app, ok := p.connected()
	if !ok {
		return
	}
	account := selectedAccount(app)
	svc := p.env.svc
	p.env.runAsync(func() {
		_, err := svc.SetDefaultAccount(app.ID, account)
		fyne.Do(func() {
			if err != nil {
				p.report(app.ID, lang.L("Could not change the default account"), err)
			} else {
				p.setNotice(app.ID, fmt.Sprintf(lang.L("%s is now the account programs get."), app.Default().Label()), widget.SuccessImportance)
			}
			p.onChanged()
		})
	})
}

// selectedAccount is the ID of the account app (the panel's view) is seen as.
func selectedAccount(app core.App) string {
	if d := app.Default(); d != nil {
		return d.ID
	}
	return ""
}

// relayout lays the panel out again after rows were shown or hidden: a wrapping label
// hidden during the last layout would otherwise keep its old width.
func (p *tokenPanel) relayout() {
	// Not before the panel is on a canvas: the window lays it out when it is first shown, and
	// measuring its bold and monospace text while the window is being built loaded two more
	// fonts before the window could appear (docs/PERFORMANCE.md).
	if p.box != nil && fyne.CurrentApp().Driver().CanvasForObject(p.box) != nil {
		p.box.Refresh()
	}
}

// connFingerprint changes whenever the tokens behind a connection may have changed.
func connFingerprint(c *core.Connection) string {
	if c == nil {
		return ""
	}
	s := c.ConnectedAt.String()
	if c.RefreshedAt != nil {
		s += "|" + c.RefreshedAt.String()
	}
	if c.ExpiresAt != nil {
		s += "|" + c.ExpiresAt.String()
	}
	return s
}

// syncTicker keeps exactly one countdown ticker, for the shown app, and only while its
// expiry is known: switching apps stops the old one.
func (p *tokenPanel) syncTicker() {
	want := ""
	if !p.hidden && p.app != nil && p.app.Connection() != nil && p.app.Connection().ExpiresAt != nil {
		want = p.app.ID
	}
	if want == p.tickingFor { // stopTick is nil exactly when tickingFor is ""
		return
	}
	if p.stopTick != nil {
		p.stopTick()
		p.stopTick = nil
	}
	p.tickingFor = want
	if want != "" {
		p.stopTick = p.env.everySecond(p.onTick)
	}
}

// setHidden stops the countdown while the window is in the tray and, when it is back, restarts
// it and shows the countdown and state for now, not for when it was hidden.
func (p *tokenPanel) setHidden(hidden bool) {
	p.hidden = hidden
	p.syncTicker()
	if !hidden {
		p.onTick()
	}
}

func (p *tokenPanel) onTick() {
	if p.app == nil || p.app.Connection() == nil {
		return
	}
	p.updateCountdown()
	p.updateHealth()
	text, importance := stateText(p.app, p.env.svc.Clock())
	if p.state.Text != text || p.state.Importance != importance {
		p.state.Text, p.state.Importance = text, importance
		p.state.Refresh()
		// The header and the list row say the same words: they change with it, not at
		// the next reload (the header used to keep "1 h" while this said "59 min").
		p.onStateChanged()
	}
}

// updateHealth says how the refresh token stands against its provider's limit (hidden when
// nothing is known); the clock moves it, so the tick calls it too.
func (p *tokenPanel) updateHealth() {
	if p.app == nil || p.app.Connection() == nil {
		return
	}
	now := p.env.svc.Clock()
	text, importance := healthText(p.app.RefreshHealth(now), now)
	if text == "" {
		p.health.Hide()
		return
	}
	if p.health.Text != text || p.health.Importance != importance {
		p.health.Text, p.health.Importance = text, importance
		p.health.Refresh()
	}
	p.health.Show()
}

func (p *tokenPanel) updateCountdown() {
	if p.app == nil || p.app.Connection() == nil {
		return
	}
	text := countdownText(p.app.Connection().ExpiresAt, p.env.svc.Clock())
	if p.countdown.Text != text {
		p.countdown.SetText(text)
	}
}

func (p *tokenPanel) updateButtons() {
	if p.app == nil || p.app.Connection() == nil {
		return
	}
	busy := p.busyID == p.app.ID
	set := func(b *widget.Button, on bool) {
		if on {
			b.Enable()
		} else {
			b.Disable()
		}
	}
	set(p.copyToken, !busy)
	set(p.copyHeader, !busy)
	set(p.reveal, !busy || p.revealed != "")
	set(p.refresh, !busy && (p.app.Connection().HasRefreshToken || !p.app.GrantType.SignsIn()))
	set(p.test, !busy)
	set(p.inspect, !busy)
	set(p.disconnect, !busy)
}

// setNotice reports the outcome of an action, if the person still looks at that app.
func (p *tokenPanel) setNotice(appID, text string, importance widget.Importance) {
	if p.app == nil || p.app.ID != appID {
		return
	}
	p.notice.Text, p.notice.Importance = text, importance
	p.notice.Show()
	p.relayout()
}

// report says what failed in the panel's one status line, where its successes are said too,
// rather than in a dialog of its own. Asked from elsewhere (a shortcut on the Registration
// tab), where that line is out of sight, it is a dialog.
func (p *tokenPanel) report(appID, what string, err error) {
	if !p.inView() {
		p.clearNotice(appID)
		p.dialogs.showError(what, err)
		return
	}
	p.setNotice(appID, what+": "+errorWords(err), widget.DangerImportance)
}

func (p *tokenPanel) clearNotice(appID string) {
	if p.app != nil && p.app.ID == appID {
		p.notice.Hide()
		p.relayout()
	}
}

func (p *tokenPanel) setBusy(appID string, busy bool) {
	if busy {
		p.busyID = appID
	} else if p.busyID == appID {
		p.busyID = ""
	}
	p.updateButtons()
}

// connected is the shown app when it has a connection to act on.
func (p *tokenPanel) connected() (core.App, bool) {
	if p.app == nil || p.app.Connection() == nil {
		return core.App{}, false
	}
	return *p.app, true
}

// --- Reveal ---

func (p *tokenPanel) mask() {
	p.revealSeq++
	p.revealed = ""
	p.token.SetText(maskedToken)
	p.reveal.SetText(lang.L("Reveal"))
	p.reveal.SetIcon(theme.VisibilityIcon())
	p.updateButtons()
}

func (p *tokenPanel) onReveal() {
	if p.revealed != "" {
		p.mask()
		return
	}
	app, ok := p.connected()
	if !ok {
		return
	}
	p.revealSeq++
	seq := p.revealSeq
	p.reveal.Disable()
	svc := p.env.svc
	p.env.runAsync(func() {
		ctx, cancel := context.WithTimeout(context.Background(), panelCallTimeout)
		defer cancel()
		ts, err := svc.TokenFor(ctx, app.ID, selectedAccount(app), core.DefaultMinValid)
		fyne.Do(func() {
			p.reveal.Enable()
			if err != nil {
				p.report(app.ID, lang.L("Could not show the token"), err)
				p.onChanged() // a failed refresh may have changed the state
				return
			}
			if seq != p.revealSeq || p.app == nil || p.app.ID != app.ID {
				return // hidden again, or another app shown, while the token was read
			}
			p.revealed = ts.AccessToken
			p.token.SetText(ts.AccessToken)
			p.reveal.SetText(lang.L("Hide"))
			p.reveal.SetIcon(theme.VisibilityOffIcon())
		})
	})
}

// --- Copy ---

// onCopyToken is Ctrl+Shift+C: copy the selected app's access token.
func (p *tokenPanel) onCopyToken() {
	if p.app == nil {
		return
	}
	if p.app.Connection() == nil {
		p.report(p.app.ID, lang.L("Nothing to copy"), fmt.Errorf(lang.L("%s is not connected: select it and press “Connect” first"), p.app.ProviderName))
		return
	}
	p.onCopy(false)
}

func (p *tokenPanel) onCopy(header bool) {
	app, ok := p.connected()
	if !ok {
		return
	}
	p.copyFor(app, header)
}

// copyFor fetches app's access token off the UI goroutine (refreshing it when it is about
// to run out) and puts it, or an Authorization header line, on the clipboard.
func (p *tokenPanel) copyFor(app core.App, header bool) {
	svc := p.env.svc
	p.env.runAsync(func() {
		ctx, cancel := context.WithTimeout(context.Background(), panelCallTimeout)
		defer cancel()
		ts, err := svc.TokenFor(ctx, app.ID, selectedAccount(app), core.DefaultMinValid)
		fyne.Do(func() {
			if err != nil {
				p.report(app.ID, lang.L("Could not copy the token"), err)
				p.onChanged()
				return
			}
			what, text := lang.L("The access token"), ts.AccessToken
			if header {
				what, text = lang.L("The Authorization header"), "Authorization: "+ts.Type()+" "+ts.AccessToken
			}
			msg := fmt.Sprintf(lang.L("%s is on the clipboard."), what)
			if d := p.clip.put(text); d > 0 {
				msg = fmt.Sprintf(lang.L("%s is on the clipboard. It is cleared in %s, if the clipboard still holds it."), what, secondsText(d))
			}
			p.setNotice(app.ID, msg, widget.SuccessImportance)
			if app.Connection() == nil || !equalTimes(ts.Expiry, app.Connection().ExpiresAt) {
				p.onChanged() // the token was refreshed on the way
			}
		})
	})
}

func equalTimes(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(*b)
}

// --- Refresh ---

func (p *tokenPanel) onRefresh() {
	app, ok := p.connected()
	if !ok {
		return
	}
	svc := p.env.svc
	var ts *core.TokenSet
	var err error
	var now time.Time
	p.busyCall(app.ID, lang.L("Refreshing…"), func(ctx context.Context) {
		ts, err = svc.RefreshFor(ctx, app.ID, selectedAccount(app))
		now = svc.Clock()
	}, func() {
		if err != nil {
			p.report(app.ID, lang.L("Refresh failed"), err)
		} else {
			p.setNotice(app.ID, fmt.Sprintf(lang.L("Refreshed: the new access token %s."), countdownText(ts.Expiry, now)), widget.SuccessImportance)
		}
		p.onChanged()
	})
}

// busyCall runs work off the UI goroutine, within panelCallTimeout, while the panel shows
// app busy with notice, then done on the UI goroutine once the panel is no longer busy.
// What work finds, it leaves in the caller's variables for done: work's writes happen
// before done runs (fyne.Do after work returns).
func (p *tokenPanel) busyCall(appID, notice string, work func(ctx context.Context), done func()) {
	p.setBusy(appID, true)
	p.setNotice(appID, notice, widget.MediumImportance)
	p.env.runAsync(func() {
		ctx, cancel := context.WithTimeout(context.Background(), panelCallTimeout)
		defer cancel()
		work(ctx)
		fyne.Do(func() {
			p.setBusy(appID, false)
			done()
		})
	})
}

// --- Test ---

func (p *tokenPanel) onTest() {
	app, ok := p.connected()
	if !ok {
		return
	}
	if app.UserinfoURI == "" && app.IntrospectionURI == "" {
		p.report(app.ID, lang.L("Nothing to test"), fmt.Errorf(lang.L("%s has neither a userinfo nor an introspection URI: add one under Endpoints on the Registration tab, save, and test again"), app.ProviderName))
		return
	}
	svc := p.env.svc
	var answers []testAnswer
	p.busyCall(app.ID, lang.L("Testing…"), func(ctx context.Context) {
		if app.UserinfoURI != "" {
			raw, err := svc.UserinfoFor(ctx, app.ID, selectedAccount(app))
			answers = append(answers, testAnswer{name: lang.L("Userinfo"), uri: app.UserinfoURI, raw: raw, err: err})
		}
		if app.IntrospectionURI != "" {
			raw, err := svc.IntrospectFor(ctx, app.ID, selectedAccount(app))
			answers = append(answers, testAnswer{name: lang.L("Introspection"), uri: app.IntrospectionURI, introspection: true, raw: raw, err: err})
		}
	}, func() {
		p.clearNotice(app.ID)
		p.showTestAnswers(app, answers)
		p.onChanged() // userinfo may have refreshed the token
	})
}

type testAnswer struct {
	name, uri     string // name: the endpoint in the window's words
	introspection bool   // its answer says whether the token is active
	raw           json.RawMessage
	err           error
}

func (p *tokenPanel) showTestAnswers(app core.App, answers []testAnswer) {
	now := p.env.svc.Clock()
	text, importance := testVerdict(answers)
	box := container.NewVBox(&widget.Label{Text: text, Importance: importance, TextStyle: fyne.TextStyle{Bold: true}, Wrapping: fyne.TextWrapWord})
	for _, a := range answers {
		box.Add(widget.NewSeparator())
		box.Add(&widget.Label{Text: a.name + " · " + a.uri, TextStyle: fyne.TextStyle{Bold: true}, Truncation: fyne.TextTruncateEllipsis})
		if a.err != nil {
			box.Add(&widget.Label{Text: errorWords(a.err), Importance: widget.DangerImportance, Wrapping: fyne.TextWrapWord, Selectable: true})
			continue
		}
		if facts := answerFacts(a.raw, now); facts != "" {
			box.Add(&widget.Label{Text: facts, Wrapping: fyne.TextWrapWord, Selectable: true})
		}
		// The whole answer, folded: the facts above are what a person reads first.
		raw := &widget.Label{Text: prettyJSON(a.raw), TextStyle: fyne.TextStyle{Monospace: true}, Wrapping: fyne.TextWrapBreak, Selectable: true}
		box.Add(widget.NewAccordion(widget.NewAccordionItem(lang.L("The full answer (JSON)"), raw)))
	}
	scroll := wheelScroll(box)
	scroll.SetMinSize(fyne.NewSize(520, 320))
	p.showDialog(showMessage(p.dialogs.parent, fmt.Sprintf(lang.L("Test of %s"), app.ProviderName), scroll))
}

// testVerdict is the one line that says whether the token works.
func testVerdict(answers []testAnswer) (string, widget.Importance) {
	failed := 0
	for _, a := range answers {
		if a.err != nil {
			failed++
			continue
		}
		if a.introspection { // not by its name, which is the window's language's
			var st struct {
				Active *bool `json:"active"`
			}
			if json.Unmarshal(a.raw, &st) == nil && st.Active != nil && !*st.Active {
				return lang.L("The token does not work: the provider says it is not active. Refresh it, or connect again."), widget.DangerImportance
			}
		}
	}
	switch {
	case failed == 0:
		return lang.L("The token works: the provider accepted it."), widget.SuccessImportance
	case failed < len(answers):
		return lang.L("The token works, but not every endpoint answered: see below."), widget.WarningImportance
	default:
		return lang.L("The test failed: no endpoint accepted the token. See below."), widget.DangerImportance
	}
}

// --- Inspect ---

// onInspect shows what the tokens are (core.Service.Inspect): read from the keyring and
// checked against the JWKS off the UI goroutine, never a token shown.
func (p *tokenPanel) onInspect() {
	app, ok := p.connected()
	if !ok {
		return
	}
	svc := p.env.svc
	var in *core.Inspection
	var err error
	p.busyCall(app.ID, lang.L("Inspecting…"), func(ctx context.Context) {
		in, err = svc.InspectFor(ctx, app.ID, selectedAccount(app))
	}, func() {
		if err != nil {
			p.report(app.ID, lang.L("Could not inspect the tokens"), err)
			return
		}
		p.clearNotice(app.ID)
		p.inspected = newInspectView(in, svc.Clock())
		scroll := wheelScroll(p.inspected.content())
		scroll.SetMinSize(fyne.NewSize(560, 420))
		title := fmt.Sprintf(lang.L("Tokens of %s"), app.ProviderName)
		if len(app.Accounts) > 1 {
			title = fmt.Sprintf(lang.L("Tokens of %s as %s"), app.ProviderName, in.Account)
		}
		p.showDialog(showMessage(p.dialogs.parent, title, scroll))
	})
}

// showDialog keeps d, shown (through dialogs.go), for tests.
func (p *tokenPanel) showDialog(d dialog.Dialog) {
	p.dialog = d
	p.dialogs.keep(d)
}

// --- Disconnect ---

func (p *tokenPanel) onDisconnect() {
	app, ok := p.connected()
	if !ok {
		return
	}
	text := fmt.Sprintf(lang.L("The tokens are revoked at %s and deleted from this computer. Programs using them lose access."), app.ProviderName)
	if app.RevocationURI == "" {
		text = fmt.Sprintf(lang.L("%s has no revocation endpoint: the tokens are deleted from this computer but stay valid at the provider until they expire."), app.ProviderName)
	}
	title := fmt.Sprintf(lang.L("Disconnect %s?"), app.ProviderName)
	if p.orig != nil && len(p.orig.Accounts) > 1 { // one account goes; the others stay
		title = fmt.Sprintf(lang.L("Disconnect %s from %s?"), app.Default().Label(), app.ProviderName)
	}
	d := showChoice(p.dialogs.parent, title, &widget.Label{Text: text, Wrapping: fyne.TextWrapWord}, lang.L("Cancel"), nil,
		dialogChoice{text: lang.L("Forget locally only"), run: func() { p.runDisconnect(app, true) }},
		dialogChoice{text: lang.L("Disconnect"), importance: widget.DangerImportance, run: func() { p.runDisconnect(app, false) }})
	p.showDialog(d)
	fitDialog(d, 520)
}

func (p *tokenPanel) runDisconnect(app core.App, localOnly bool) {
	svc := p.env.svc
	var res core.DisconnectResult
	var err error
	p.busyCall(app.ID, lang.L("Disconnecting…"), func(ctx context.Context) {
		res, err = svc.DisconnectFor(ctx, app.ID, selectedAccount(app), localOnly)
	}, func() {
		switch {
		case err != nil && !localOnly:
			p.clearNotice(app.ID)
			p.offerLocalOnly(app, err)
		case err != nil:
			p.report(app.ID, lang.L("Disconnect failed"), err)
		case res.Revoked:
			p.setNotice(app.ID, lang.L("Disconnected: the provider revoked the tokens and they were deleted here."), widget.SuccessImportance)
		case localOnly:
			p.setNotice(app.ID, lang.L("Disconnected here only: the tokens were deleted from this computer but stay valid at the provider until they expire."), widget.WarningImportance)
		default:
			p.setNotice(app.ID, fmt.Sprintf(lang.L("Disconnected here, but not revoked at the provider: %s."), coreText(res.NotRevokedAs)), widget.WarningImportance)
		}
		p.onChanged()
	})
}

// offerLocalOnly follows a failed revocation: nothing was deleted, and the person may keep
// the connection or forget it here anyway. core's remedy for that (fail.ForgetLocally) is
// this dialog's own button, so its words are left out above it; any other remedy (a moved
// revocation endpoint) gets its button too.
func (p *tokenPanel) offerLocalOnly(app core.App, cause error) {
	rs := without(fail.Remedies(cause), fail.ForgetLocally)
	choices := append(p.dialogs.remedies.choices(rs),
		dialogChoice{text: forgetHereButton(), importance: widget.DangerImportance, run: func() { p.runDisconnect(app, true) }})
	d := showChoice(p.dialogs.parent, lang.L("Revocation failed"),
		container.NewVBox(
			&widget.Label{Text: errorWordsWith(cause, rs), Wrapping: fyne.TextWrapWord, Selectable: true},
			&widget.Label{Text: fmt.Sprintf(lang.L("Nothing was deleted. “%s” deletes the tokens from this computer; they stay valid at the provider until they expire."), forgetHereButton()), Wrapping: fyne.TextWrapWord}),
		lang.L("Cancel"), nil, choices...)
	p.showDialog(d)
	fitDialog(d, 520)
}

// fitDialog gives d the width asked and the height its content needs at that width
// (wrapping labels have no width of their own, so the height can only be measured after).
func fitDialog(d dialog.Dialog, width float32) {
	d.Resize(fyne.NewSize(width, 1))
	d.Resize(fyne.NewSize(width, d.MinSize().Height))
}
