package gui

import (
	"strings"

	"connectedapps/core"
	"connectedapps/core/app"
	"connectedapps/core/fail"
)

// errorWords is a core error as the window says it: core's one line (which names what
// happened and never a command), then each of its remedies in the window's words, where the
// person acts with the window's own controls.
func errorWords(err error) string {
	msg := strings.Join(strings.Fields(err.Error()), " ")
	var next []string
	for _, r := range fail.Remedies(err) {
		if s := remedyWords(r); s != "" {
			next = append(next, s)
		}
	}
	if len(next) == 0 {
		return msg
	}
	return strings.TrimRight(msg, ".:; ") + ": " + strings.Join(next, "; or ")
}

// remedyWords words a remedy as the window offers it; "" for None.
func remedyWords(r fail.Remedy) string {
	label := app.FieldLabel(r.Field)
	switch r.Do {
	case fail.Reconnect:
		return "sign in again with Connect"
	case fail.SetSecret:
		return "give the client secret on the Registration tab"
	case fail.CheckClient:
		return "check the client ID and secret on the Registration tab and the client's settings at the provider, then connect again"
	case fail.AddEndpoint:
		if r.Field == "device_authorization_uri" {
			return "add the " + label + " on the Registration tab (or fill it from the discovery URL), or sign in in the browser instead"
		}
		return "add the " + label + " on the Registration tab"
	case fail.FixField:
		return "check the " + label + " on the Registration tab"
	case fail.MoveEndpoint:
		return "if the provider really moved it there, put that URL in the " + label + " on the Registration tab"
	case fail.UseDiscovery:
		return "fill the endpoints from the provider's discovery URL on the Registration tab, or give the issuer and JWKS URI there"
	case fail.ChoosePort:
		return "close what holds it, or choose another redirect port on the Registration tab and register the new redirect URI with the provider (0 = any free port, where the provider allows it)"
	case fail.ForgetLocally:
		if r.Field == "app" {
			return "Delete can forget the app on this computer only"
		}
		return "Disconnect can forget the tokens on this computer only"
	case fail.ImportAs:
		return "import it under another name"
	case fail.ListApps:
		return "choose an app from the list"
	case fail.ListPresets:
		return "choose a provider from the list"
	case fail.FetchToken:
		return "its token is fetched when a program asks for it, with no sign-in"
	case fail.WaitLonger:
		return "connect again, and finish the sign-in in time"
	}
	return ""
}

// noteWords is an import note as the window says it: where core has a fix for it, the fix is
// the form (the remedy's field is on the app's Registration tab).
func noteWords(r core.ImportResult, i int) string {
	n := r.Notes[i]
	if i < len(r.Fixes) && r.Fixes[i].Do != fail.None {
		n = strings.TrimRight(n, ".:; ") + ": see the app's Registration tab before connecting"
	}
	return n
}

// windowWords is a message without command-line advice, for text that reaches the window as a
// string rather than as an error (a stored last error, a note). core's own messages name no
// command or flag any more (their next step is a remedy, see errorWords); this keeps any other
// text that does (a clause naming a command or a flag) out of the window. A message that is
// nothing but such advice is kept whole rather than shown empty.
func windowWords(msg string) string {
	var kept []string
	clause := strings.Builder{}
	flush := func(sep string) {
		c := clause.String()
		clause.Reset()
		if c == "" {
			return
		}
		if mentionsCommandLine(c) {
			return
		}
		kept = append(kept, c+sep)
	}
	for i := 0; i < len(msg); i++ {
		// A clause ends at ": " or "; " outside backticks.
		if (msg[i] == ':' || msg[i] == ';') && i+1 < len(msg) && msg[i+1] == ' ' && strings.Count(clause.String(), "`")%2 == 0 {
			flush(string(msg[i]) + " ")
			i++
			continue
		}
		clause.WriteByte(msg[i])
	}
	flush("")
	if len(kept) == 0 {
		return msg
	}
	out := strings.Join(kept, "")
	return strings.TrimRight(out, ":; ")
}

func mentionsCommandLine(s string) bool {
	return strings.Contains(s, "`") || strings.Contains(s, " --") || strings.HasPrefix(s, "--") ||
		strings.Contains(s, "connectedapps ")
}
