package gui

import (
	"fmt"
	"strings"

	"fyne.io/fyne/v2/lang"

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
//
// core's line (what happened) is core's English said in the window's language from the
// catalogue of core's formats (corewords.go; the command line keeps the English), the data
// in it (names, URLs, the provider's own words) as they are. The remedies are the window's
// own words; whole sentences with %s, so each language orders its own words.
func errorWordsWith(err error, rs []fail.Remedy) string {
	msg := strings.Join(strings.Fields(coreWords(err)), " ")
	next := remediesWords(rs)
	if next == "" {
		return msg
	}
	return fmt.Sprintf(lang.L("%s: %s"), strings.TrimRight(msg, ".:; "), next)
}

// fieldNoun is how a remedy's sentence names the field json: core's Noun ("JWKS URI") is
// English, so the window translates it by key, "field.<json>.noun", core's words being the
// fallback and en.json's values (a test checks en.json says what the table says).
func fieldNoun(json string) string {
	if f, ok := app.FieldByJSON(json); ok && f.Noun != "" {
		return lang.X("field."+json+".noun", f.Noun)
	}
	if json == "callback_path" {
		return lang.L("callback path")
	}
	return app.FieldLabel(json)
}

// remediesWords words the remedies as one choice ("A; or B"), those with no words left out;
// "" when none has any.
func remediesWords(rs []fail.Remedy) string {
	next := ""
	for _, r := range rs {
		s := remedyWords(r)
		switch {
		case s == "":
		case next == "":
			next = s
		default:
			next = fmt.Sprintf(lang.L("%s; or %s"), next, s)
		}
	}
	return next
}

// remedyWords words a remedy as the window offers it; "" for None.
func remedyWords(r fail.Remedy) string {
	switch r.Do {
	case fail.Reconnect:
		return lang.L("sign in again with Connect")
	case fail.SetSecret:
		return lang.L("give the client secret on the Registration tab")
	case fail.CheckClient:
		return lang.L("check the client ID and secret on the Registration tab and the client's settings at the provider, then connect again")
	case fail.AddEndpoint:
		if r.Field == "device_authorization_uri" {
			return fmt.Sprintf(lang.L("add the %s on the Registration tab (or fill it from the discovery URL), or sign in in the browser instead"), fieldNoun(r.Field))
		}
		return fmt.Sprintf(lang.L("add the %s on the Registration tab"), fieldNoun(r.Field))
	case fail.FixField:
		return fmt.Sprintf(lang.L("check the %s on the Registration tab"), fieldNoun(r.Field))
	case fail.MoveEndpoint:
		return fmt.Sprintf(lang.L("if the provider really moved it there, put that URL in the %s on the Registration tab"), fieldNoun(r.Field))
	case fail.UseDiscovery:
		return lang.L("fill the endpoints from the provider's discovery URL on the Registration tab, or give the issuer and JWKS URI there")
	case fail.ChoosePort:
		return lang.L("close what holds it, or choose another redirect port under Advanced on the Registration tab and register the new redirect URI with the provider (0 = any free port, where the provider allows it)")
	case fail.ForgetLocally:
		if r.Field == "app" {
			return lang.L("Delete can forget the app on this computer only")
		}
		return lang.L("Disconnect can forget the tokens on this computer only")
	case fail.ImportAs:
		return lang.L("import it under another name")
	case fail.ListApps:
		return lang.L("choose an app from the list")
	case fail.ListPresets:
		return lang.L("choose a provider from the list")
	case fail.FetchToken:
		return lang.L("its token is fetched when a program asks for it, with no sign-in")
	case fail.WaitLonger:
		return lang.L("connect again, and finish the sign-in in time")
	case fail.PublishApp:
		return lang.L("publish the app at the provider (Google: OAuth consent screen, Publish app), then set its publishing status to In production under Advanced on the Registration tab")
	case fail.RefreshNow:
		return lang.L("press “Refresh now” on the Connection tab: a refresh starts the limit again")
	case fail.GiveInitialToken:
		return lang.L("give the initial access token from the provider's administrator beside Register a client for me, then press it again")
	case fail.RegisterByHand:
		return lang.L("register a client in the provider's console and give its client ID on the Registration tab")
	}
	return ""
}

// noteWords is an import note as the window says it: where core has a fix for it, the fix is
// the form (the remedy's field is on the app's Registration tab). The note itself is core's
// (what it found in the file), said in the window's language where the catalogue has it.
func noteWords(r core.ImportResult, i int) string {
	n := r.Notes[i]
	if t, ok := textWords(n, nil, 0); ok {
		n = t
	}
	if i < len(r.Fixes) && r.Fixes[i].Do != fail.None {
		n = fmt.Sprintf(lang.L("%s: see the app's Registration tab before connecting"), strings.TrimRight(n, ".:; "))
	}
	return n
}

// messageWords is a message of core's given as text only (a validation error's message)
// in the window's language, where the catalogue has it.
func messageWords(s string) string {
	if t, ok := textWords(s, nil, 0); ok {
		return t
	}
	return s
}
