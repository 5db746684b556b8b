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
func errorWords(err error) string { return errorWordsWith(err, fail.Remedies(err)) }

// errorWordsWith is err's line with the remedies rs: a dialog that offers one of err's
// remedies as its own button (and says so beside it) leaves that one out of rs.
func errorWordsWith(err error, rs []fail.Remedy) string {
	msg := strings.Join(strings.Fields(err.Error()), " ")
	var next []string
	for _, r := range rs {
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
		return "close what holds it, or choose another redirect port under Advanced on the Registration tab and register the new redirect URI with the provider (0 = any free port, where the provider allows it)"
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
