package cli

import (
	"fmt"
	"strings"
	"time"

	"connectedapps/core"
)

// Refresh-token health as the command line says it: core judges (core.RefreshHealth, from
// the presets' rules, the connection's recorded dates and the clock); this words the verdict
// for `list`'s REFRESH TOKEN column, `show`'s "Refresh token limit" row and the JSON outputs.

// healthView is the verdict in `list --json` and `show --json` (nil: nothing known).
type healthView struct {
	Stage    string          `json:"stage"` // unrecorded, fine, soon or past
	Provider string          `json:"provider"`
	Counts   core.LimitClock `json:"counts"` // issued or unused
	Days     int             `json:"days"`
	// OnlyIf: the rule holds only for an app with this publishing status, which is not known.
	OnlyIf core.PublishingStatus `json:"only_if,omitempty"`
	Since  *time.Time            `json:"since,omitempty"`
	EndsAt *time.Time            `json:"ends_at,omitempty"`
}

func newHealthView(h core.RefreshHealth) *healthView {
	if h.Stage == core.HealthNone {
		return nil
	}
	v := &healthView{Stage: h.Stage.String(), Provider: h.Provider, Counts: h.Limit.Counts, Days: h.Limit.Days}
	if h.Conditional {
		v.OnlyIf = h.Limit.OnlyWhen
	}
	if !h.Ends.IsZero() {
		since, ends := h.Since.UTC(), h.Ends.UTC()
		v.Since, v.EndsAt = &since, &ends
	}
	return v
}

// healthColumn is `list`'s REFRESH TOKEN cell: "-" when nothing is known, a "!" before a
// warning.
func healthColumn(h core.RefreshHealth, now time.Time) string {
	cond := ""
	if h.Conditional {
		cond = " if " + statusWords(h.Limit.OnlyWhen)
	}
	switch h.Stage {
	case core.HealthUnrecorded:
		return "limit not recorded"
	case core.HealthFine:
		return "until " + h.Ends.UTC().Format(time.DateOnly) + cond
	case core.HealthSoon:
		return "! ends in " + daysHours(h.Ends.Sub(now)) + cond
	case core.HealthPast:
		return "! probably gone" + cond
	}
	return "-"
}

// healthLine is `show`'s "Refresh token limit" row ("" for none): when the token probably
// stops working, the provider's rule (and its condition) and, for a warning, what to do.
func healthLine(h core.RefreshHealth, now time.Time) string {
	if h.Stage == core.HealthNone {
		return ""
	}
	rule := ruleWords(h)
	var s string
	switch h.Stage {
	case core.HealthUnrecorded:
		return rule + "; when this refresh token was issued or last used was not recorded (connected before it was kept), so no date is guessed"
	case core.HealthFine:
		s = "probably works until " + h.Ends.UTC().Format(time.RFC3339) + " (in " + daysHours(h.Ends.Sub(now)) + ")"
	case core.HealthSoon:
		s = "ends " + h.Ends.UTC().Format(time.RFC3339) + " (in " + daysHours(h.Ends.Sub(now)) + ")"
	case core.HealthPast:
		s = "probably gone since " + h.Ends.UTC().Format(time.RFC3339)
	}
	if h.Conditional {
		s = "if the app is in " + statusWords(h.Limit.OnlyWhen) + " mode, " + s
	}
	s += ": " + rule
	var next []string
	for _, r := range h.Remedies {
		if c := remedyCommand(r); c != "" {
			next = append(next, c)
		}
	}
	if len(next) > 0 {
		s += "; " + strings.Join(next, "; or ")
	}
	return s
}

// ruleWords is the provider's rule: "Google ends refresh tokens 7 days after issue in Testing
// mode".
func ruleWords(h core.RefreshHealth) string {
	days := fmt.Sprintf("%d days", h.Limit.Days)
	var s string
	switch h.Limit.Counts {
	case core.CountsFromLastUse:
		s = h.Provider + " ends refresh tokens unused for " + days
	default:
		s = h.Provider + " ends refresh tokens " + days + " after issue"
	}
	if h.Limit.OnlyWhen != "" {
		s += " in " + statusWords(h.Limit.OnlyWhen) + " mode"
	}
	return s
}

// statusWords is a publishing status as the provider's console names it.
func statusWords(s core.PublishingStatus) string {
	switch s {
	case core.PublishingTesting:
		return "Testing"
	case core.PublishingProduction:
		return "production"
	}
	return string(s)
}

// daysHours is a duration to the hour: "2d 5h", "7h", "0h".
func daysHours(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	h := int(d.Hours())
	if h >= 24 {
		return fmt.Sprintf("%dd %dh", h/24, h%24)
	}
	return fmt.Sprintf("%dh", h)
}
