package gui

// Every way the window puts a time, an expiry, a state, a count or a size into words is here,
// so the header, the list, the Connection tab, the dialogs and the tray say the same thing the
// same way (the header once kept "1 h" while the tab counted "59 min").

import (
	"bytes"
	"encoding/json"
	"fmt"
	"fyne.io/fyne/v2/lang"
	"net/url"
	"slices"
	"strings"
	"time"

	"fyne.io/fyne/v2/widget"

	"connectedapps/core"
)

// clockLayout is a moment of today shown to a person, in local time.
const clockLayout = "15:04"

// dateTimeLayout is a moment shown to a person, in local time, in the window's language
// ("2 Jan 2006, 15:04"; in Chinese "2006年1月2日 15:04").
func dateTimeLayout() string { return lang.L("2 Jan 2006, 15:04") }

// stateText is the connection state in a person's words, and how loudly to show it.
func stateText(app *core.App, now time.Time) (string, widget.Importance) {
	switch s := app.State(now); s {
	case core.StateConnected:
		if app.Connection().ExpiresAt == nil {
			return lang.L("Connected"), widget.SuccessImportance
		}
		return fmt.Sprintf(lang.L("Connected · %s"), countdownText(app.Connection().ExpiresAt, now)), widget.SuccessImportance
	case core.StateExpired:
		return lang.L("Expired"), widget.WarningImportance
	case core.StateNeedsReauth:
		return lang.L("Needs re-authorization"), widget.DangerImportance
	case core.StateClientRejected:
		return lang.L("Client rejected"), widget.DangerImportance
	case core.StateNotConnected:
		return lang.L("Not connected"), widget.MediumImportance
	default: // a state a newer version wrote: show it rather than hide it
		return string(s), widget.MediumImportance
	}
}

// asAccount is app seen as its account id: the same document with that account as its default,
// so every wording of the default's state, expiry and identity describes that account.
func asAccount(app *core.App, id string) core.App {
	view := *app
	if app.FindAccount(id) != nil {
		view.DefaultAccount = app.FindAccount(id).ID
	}
	return view
}

// worstAccount is the ID of the account whose state most needs a person (client rejected,
// then sign in again, then expired), else the default's: what the list row and the tray show.
func worstAccount(app *core.App, now time.Time) string {
	rank := map[core.ConnectionState]int{core.StateClientRejected: 4, core.StateNeedsReauth: 3, core.StateExpired: 2, core.StateConnected: 1}
	best, id := -1, ""
	if d := app.Default(); d != nil {
		best, id = rank[d.StateAt(now)], d.ID
	}
	for i := range app.Accounts {
		if r := rank[app.Accounts[i].StateAt(now)]; r > best {
			best, id = r, app.Accounts[i].ID
		}
	}
	return id
}

// listStateText is the list row's state: the default account's, or with several accounts the
// one most in need, and how many there are.
func listStateText(app *core.App, now time.Time) (string, widget.Importance) {
	if len(app.Accounts) < 2 {
		return stateText(app, now)
	}
	view := asAccount(app, worstAccount(app, now))
	text, importance := stateText(&view, now)
	return fmt.Sprintf(lang.L("%s · %d accounts"), text, len(app.Accounts)), importance
}

// accountLabel names an account: its email, name or subject, and whether it is the default.
func accountLabel(app *core.App, acct *core.Account) string {
	if d := app.Default(); d != nil && d.ID == acct.ID {
		return fmt.Sprintf(lang.L("%s (default)"), acct.Label())
	}
	return acct.Label()
}

// humanDuration rounds down, so "expires in 42 min" is never later than the truth.
func humanDuration(d time.Duration) string {
	switch {
	case d < time.Minute:
		return lang.L("less than a minute")
	case d < time.Hour:
		return fmt.Sprintf(lang.L("%d min"), int(d/time.Minute))
	case d < 48*time.Hour:
		h, m := int(d/time.Hour), int(d%time.Hour/time.Minute)
		if m == 0 {
			return fmt.Sprintf(lang.L("%d h"), h)
		}
		return fmt.Sprintf(lang.L("%d h %d min"), h, m)
	default:
		n := int(d / (24 * time.Hour))
		return lang.N("{{.Count}} days", n, map[string]int{"Count": n})
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
	if c := app.Connection(); c != nil {
		switch {
		case c.Email != "":
			return host + " · " + c.Email
		case c.Name != "":
			return host + " · " + c.Name
		}
	}
	return host
}

// countdownText is "expires in 4 min", "expired 3 min ago" or "expiry unknown": the one
// wording of the expiry the header, the list, the Connection tab and the dialogs all show, so
// none says "1 h" while another says "59 min".
func countdownText(expiresAt *time.Time, now time.Time) string {
	if expiresAt == nil {
		return lang.L("expiry unknown")
	}
	d := expiresAt.Sub(now)
	if d > 0 {
		return fmt.Sprintf(lang.L("expires in %s"), humanDuration(d))
	}
	if -d < time.Minute {
		return lang.L("expired just now")
	}
	return fmt.Sprintf(lang.L("expired %s ago"), humanDuration(-d))
}

func identityText(c *core.Connection) string {
	var lines []string
	if c.Name != "" {
		lines = append(lines, c.Name)
	}
	if c.Email != "" {
		lines = append(lines, c.Email)
	}
	if c.Subject != "" {
		lines = append(lines, fmt.Sprintf(lang.L("subject %s"), c.Subject))
	}
	if len(lines) == 0 {
		return lang.L("not known (the provider says who you are only with the openid scope)")
	}
	return strings.Join(lines, "\n")
}

func sinceText(c *core.Connection) string {
	if c.RefreshedAt != nil {
		return fmt.Sprintf(lang.L("signed in %s · refreshed %s"), c.ConnectedAt.Local().Format(dateTimeLayout()), c.RefreshedAt.Local().Format(dateTimeLayout()))
	}
	return fmt.Sprintf(lang.L("signed in %s"), c.ConnectedAt.Local().Format(dateTimeLayout()))
}

func scopeList(scopes []string, none string) string {
	if len(scopes) == 0 {
		return none
	}
	return strings.Join(scopes, " ")
}

// notGranted lists the requested scopes the provider did not grant.
func notGranted(requested, granted []string) []string {
	var out []string
	for _, s := range requested {
		if !slices.Contains(granted, s) {
			out = append(out, s)
		}
	}
	return out
}

// answerFacts picks the claims a person reads out of a userinfo or introspection answer,
// times as dates ("14 Mar 2026, 10:26 (in 59 min)") rather than Unix seconds.
func answerFacts(raw json.RawMessage, now time.Time) string {
	var m map[string]any
	if json.Unmarshal(raw, &m) != nil {
		return ""
	}
	var lines []string
	if v, ok := m["active"].(bool); ok {
		lines = append(lines, map[bool]string{true: lang.L("Active: yes"), false: lang.L("Active: no")}[v])
	}
	for _, k := range []struct{ key, label string }{{"name", lang.L("Name")}, {"email", lang.L("Email")}, {"preferred_username", lang.L("User name")},
		{"username", lang.L("User name")}, {"sub", lang.L("Subject")}, {"client_id", lang.L("Client")}, {"scope", lang.L("Scopes")}} {
		if v, ok := m[k.key].(string); ok && v != "" {
			lines = append(lines, fmt.Sprintf(lang.L("%s: %s"), k.label, v))
		}
	}
	for _, k := range []struct{ key, label string }{{"exp", lang.L("Expires")}, {"iat", lang.L("Issued")}, {"nbf", lang.L("Valid from")}, {"auth_time", lang.L("Signed in")}} {
		if v, ok := m[k.key].(float64); ok && v > 0 {
			at := time.Unix(int64(v), 0)
			when := fmt.Sprintf(lang.L("in %s"), humanDuration(at.Sub(now)))
			if !at.After(now) {
				when = fmt.Sprintf(lang.L("%s ago"), humanDuration(now.Sub(at)))
			}
			lines = append(lines, fmt.Sprintf(lang.L("%s: %s (%s)"), k.label, at.Local().Format(dateTimeLayout()), when))
		}
	}
	return strings.Join(lines, "\n")
}

func prettyJSON(raw json.RawMessage) string {
	if len(bytes.TrimSpace(raw)) == 0 {
		return lang.L("(an empty answer)")
	}
	var b bytes.Buffer
	if err := json.Indent(&b, raw, "", "  "); err != nil {
		return string(raw)
	}
	return b.String()
}

func secretsCount(n int) string {
	return lang.N("{{.Count}} secrets", n, map[string]int{"Count": n})
}

// secondsText is a delay as the clipboard notices say it: "60 s".
func secondsText(d time.Duration) string { return fmt.Sprintf(lang.L("%d s"), int(d/time.Second)) }

// kibText is a file's size in KiB, for a file refused as too big to be a client file.
func kibText(size int64) string { return fmt.Sprintf(lang.L("%d KiB"), size>>10) }

// Refresh-token health in the window's words: core judges (core.RefreshHealth: the presets'
// rule, the connection's recorded dates, the clock), the window says it in the Connection
// tab, on the app's row in the list and in the refresher's notification.

// healthRule is the provider's rule: "Google ends refresh tokens 7 days after issue while
// the app is in Testing mode".
func healthRule(h core.RefreshHealth) string {
	switch {
	case h.Limit.Counts == core.CountsFromLastUse:
		return fmt.Sprintf(lang.L("%s ends refresh tokens unused for %d days"), h.Provider, h.Limit.Days)
	case h.Limit.OnlyWhen == core.PublishingTesting:
		return fmt.Sprintf(lang.L("%s ends refresh tokens %d days after issue while the app is in Testing mode"), h.Provider, h.Limit.Days)
	default:
		return fmt.Sprintf(lang.L("%s ends refresh tokens %d days after issue"), h.Provider, h.Limit.Days)
	}
}

// healthText is the Connection tab's line about the refresh token's limit ("" for none),
// with what to do for a warning, and how loudly to show it.
func healthText(h core.RefreshHealth, now time.Time) (string, widget.Importance) {
	ends := h.Ends.Local().Format(dateTimeLayout())
	var s string
	importance := widget.MediumImportance
	switch h.Stage {
	case core.HealthNone:
		return "", importance
	case core.HealthUnrecorded:
		return fmt.Sprintf(lang.L("%s; when this refresh token was issued or last used was not recorded, so no date is guessed."), healthRule(h)), importance
	case core.HealthFine:
		s = fmt.Sprintf(lang.L("Probably works until %s (%s)."), ends, healthRule(h))
		if h.Conditional {
			s = fmt.Sprintf(lang.L("If the app is in Testing mode, it works until %s (%s)."), ends, healthRule(h))
		}
		return s, importance
	case core.HealthSoon:
		importance = widget.WarningImportance
		s = fmt.Sprintf(lang.L("Ends %s, in %s: %s."), ends, humanDuration(h.Ends.Sub(now)), healthRule(h))
		if h.Conditional {
			s = fmt.Sprintf(lang.L("If the app is in Testing mode, it ends %s, in %s: %s."), ends, humanDuration(h.Ends.Sub(now)), healthRule(h))
		}
	case core.HealthPast:
		importance = widget.DangerImportance
		s = fmt.Sprintf(lang.L("Probably gone since %s: %s."), ends, healthRule(h))
		if h.Conditional {
			s = fmt.Sprintf(lang.L("If the app is in Testing mode, it is probably gone since %s: %s."), ends, healthRule(h))
		}
	}
	return healthWithRemedies(s, h), importance
}

// healthWithRemedies is s followed by what to do about h.
func healthWithRemedies(s string, h core.RefreshHealth) string {
	next := remediesWords(h.Remedies)
	if next == "" {
		return s
	}
	return fmt.Sprintf(lang.L("%s To keep it: %s."), s, next)
}

// healthBadge is the list row's short word on a warning ("" for none).
func healthBadge(h core.RefreshHealth, now time.Time) string {
	switch h.Stage {
	case core.HealthSoon:
		if h.Conditional {
			return fmt.Sprintf(lang.L("refresh token ends in %s if in Testing"), humanDuration(h.Ends.Sub(now)))
		}
		return fmt.Sprintf(lang.L("refresh token ends in %s"), humanDuration(h.Ends.Sub(now)))
	case core.HealthPast:
		if h.Conditional {
			return lang.L("refresh token probably gone if in Testing")
		}
		return lang.L("refresh token probably gone")
	}
	return ""
}

// rowState is the list row's state line: the state, and a refresh token's warning after it,
// which makes a connected row a warning.
func rowState(app *core.App, now time.Time) (string, widget.Importance) {
	text, importance := listStateText(app, now)
	badge := healthBadge(worstHealth(app, now), now)
	if badge == "" {
		return text, importance
	}
	if importance == widget.SuccessImportance || importance == widget.MediumImportance {
		importance = widget.WarningImportance
	}
	return fmt.Sprintf(lang.L("%s · %s"), text, badge), importance
}

// worstHealth is the refresh-token health the list's row warns of: the most urgent of the
// app's accounts (a limit passed before one near), so a second account's warning is not
// hidden behind the default's.
func worstHealth(app *core.App, now time.Time) core.RefreshHealth {
	var worst core.RefreshHealth
	for i := range app.Accounts {
		h := app.RefreshHealthOf(&app.Accounts[i].Connection, now)
		if h.Stage > worst.Stage || (h.Stage == worst.Stage && h.Stage.Warns() && h.Ends.Before(worst.Ends)) {
			worst = h
		}
	}
	return worst
}

// healthNote is the desktop notification for a refresh token near or past its limit.
func healthNote(name string, h core.RefreshHealth, now time.Time) (title, body string) {
	text, _ := healthText(h, now)
	if h.Stage == core.HealthPast {
		return fmt.Sprintf(lang.L("%s: the refresh token is probably gone"), name), text
	}
	return fmt.Sprintf(lang.L("%s: the refresh token ends soon"), name), text
}
