package cli

import (
	"errors"
	"fmt"
	"strings"

	"connectedapps/core"
	"connectedapps/core/app"
	"connectedapps/core/fail"
)

// fieldFlags is the flag of add and edit that sets each field of the document, by its JSON
// name: the field table's flags, and the preset parameters that are flags of add only.
var fieldFlags = func() map[string]string {
	flags := map[string]string{core.FieldProviderName: "NAME", core.FieldTenant: "--tenant", core.FieldRealm: "--realm",
		core.FieldSite: "--site", core.FieldDomain: "--domain"}
	for _, f := range core.Fields {
		if f.Flag != "" {
			flags[f.JSON] = "--" + f.Flag
		}
	}
	return flags
}()

// describe is err as the command line says it: core's one line, then each of its remedies
// (the outermost first) as the command to run.
func describe(err error) string {
	msg := strings.Join(strings.Fields(err.Error()), " ")
	var next []string
	for _, r := range fail.Remedies(err) {
		if s := remedyCommand(r); s != "" {
			next = append(next, s)
		}
	}
	if len(next) > 0 {
		msg = strings.TrimRight(msg, ".:; ") + ": " + strings.Join(next, "; or ")
	}
	return msg
}

// remedyCommand words a remedy as what to type; "" for None.
func remedyCommand(r fail.Remedy) string {
	name := "NAME"
	if r.App != "" {
		name = fmt.Sprintf("%q", r.App)
	}
	edit := func(field string) string {
		flag := fieldFlags[field]
		if flag == "" {
			return "`connectedapps edit " + name + "`"
		}
		if strings.HasSuffix(field, "_uri") || field == "issuer" || field == "openid_configuration" {
			flag += " URL"
		} else if field == "redirect_port" {
			flag += " N"
		} else if field != "client_secret" {
			flag += " VALUE"
		}
		return "`connectedapps edit " + name + " " + flag + "`"
	}
	switch r.Do {
	case fail.Reconnect:
		return "run `connectedapps connect " + name + "`"
	case fail.SetSecret:
		return "run " + edit("client_secret")
	case fail.CheckClient:
		return "check the client ID and secret with `connectedapps edit " + name + "` and the client's settings at the provider, then connect again"
	case fail.AddEndpoint:
		if r.Field == "device_authorization_uri" {
			return "add it with " + edit(r.Field) + " (or --discovery URL), or connect in the browser"
		}
		return "add it with " + edit(r.Field)
	case fail.FixField:
		return "check the " + app.FieldLabel(r.Field) + " with " + edit(r.Field)
	case fail.MoveEndpoint:
		return "if the provider really moved it there, put that URL in the app (" + edit(r.Field) + ")"
	case fail.UseDiscovery:
		return "run `connectedapps edit " + name + " --discovery URL`, or give --issuer and --jwks-url"
	case fail.ChoosePort:
		return "close it, or pick another port with " + edit("redirect_port") + " and register the new redirect URI with the provider (0 = any free port, where the provider allows it)"
	case fail.ForgetLocally:
		if r.Field == "app" {
			return "run `connectedapps remove " + name + " --local-only` to forget it here anyway"
		}
		return "run `connectedapps disconnect " + name + " --local-only` to forget the tokens here anyway"
	case fail.ImportAs:
		return "import it under another name with --as NEW"
	case fail.ListApps:
		return "see `connectedapps list`"
	case fail.ListPresets:
		return "see `connectedapps presets`"
	case fail.FetchToken:
		return "`connectedapps token " + name + "` fetches its token"
	case fail.WaitLonger:
		return "run connect again (or give a longer --timeout)"
	case fail.PublishApp:
		return "publish the app at the provider (Google: OAuth consent screen, Publish app) and record it with " +
			"`connectedapps edit " + name + " --publishing-status production`"
	case fail.RefreshNow:
		return "run `connectedapps refresh " + name + "` (a refresh starts the limit again)"
	case fail.GiveInitialToken:
		if r.Field == fail.SavedApp {
			return "pipe the provider's initial access token into `connectedapps register " + name + " --initial-access-token-stdin`"
		}
		return "pipe the provider's initial access token into `connectedapps add " + name + " --discovery URL --register --initial-access-token-stdin`"
	case fail.RegisterByHand:
		if r.Field == fail.SavedApp {
			return "register a client in the provider's console and give its ID with " + edit("client_id")
		}
		return "register a client in the provider's console and run `connectedapps add " + name + " --discovery URL --client-id ID`"
	}
	return ""
}

// noteWithRemedy is an import note with the command that deals with it, if any.
func noteWithRemedy(r core.ImportResult, i int) string {
	n := r.Notes[i]
	if i < len(r.Fixes) {
		if next := remedyCommand(r.Fixes[i]); next != "" {
			n += ": " + next
		}
	}
	return n
}

// flagError names the flag for a field error, so the person knows what to retype.
func flagError(err error) error {
	var ve *core.ValidationError
	if !errors.As(err, &ve) {
		return err
	}
	if f, ok := fieldFlags[ve.Field]; ok {
		return fmt.Errorf("%s: %s", f, ve.Message)
	}
	return err
}
