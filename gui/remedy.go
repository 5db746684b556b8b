package gui

import (
	"fyne.io/fyne/v2/lang"
	"slices"

	"connectedapps/core"
	"connectedapps/core/fail"
)

// remedyActions is what the window can do about a failure for the person: the buttons an
// error dialog offers beside core's words for its remedies (fail.Remedy). Each is given the
// app's name as core gave it in the remedy ("" when the failing layer did not know it: then
// the app on screen). A nil function offers no button. The main window fills them in
// (mainwindow.go); the dialogs of screens made without one show the words only.
//
// Which remedies get a button: Reconnect and WaitLonger ("Connect again", the header's
// Connect); SetSecret, CheckClient, AddEndpoint, FixField, MoveEndpoint, ChoosePort,
// GiveInitialToken and RegisterByHand ("Open Registration", with the field the remedy names
// focused: the initial access token, the client ID; for PublishApp, the publishing status);
// UseDiscovery ("Get OpenID
// Configuration", the form's discovery); FetchToken ("Copy token"). ForgetLocally is the
// Disconnect and Delete failure dialogs' own "Forget on this computer", since only they know
// what to forget; ImportAs, ListApps and ListPresets are done where the words say (the import
// table, the list, the preset menu) and get none, as RefreshNow does (the Connection tab's
// Refresh now, beside the warning that offers it).
type remedyActions struct {
	connect   func(app string)        // sign the app in again
	openField func(app, field string) // its Registration tab, the field focused
	discover  func(app string)        // its Registration tab's discovery
	copyToken func(app string)        // copy its access token
}

// Texts of the remedies' buttons, in the window's language (functions, so the words are
// looked up after the language is chosen).
func connectAgainButton() string     { return lang.L("Connect again") }
func openRegistrationButton() string { return lang.L("Open Registration") }
func discoverButton() string         { return lang.L("Get OpenID Configuration") }
func copyTokenButton() string        { return lang.L("Copy token") }
func forgetHereButton() string       { return lang.L("Forget on this computer") }

// choices is a button for each of rs that the window can do, in rs's order (the outermost
// remedy first), each button once.
func (a *remedyActions) choices(rs []fail.Remedy) []dialogChoice {
	if a == nil {
		return nil
	}
	var out []dialogChoice
	add := func(text string, run func()) {
		if run == nil || slices.ContainsFunc(out, func(c dialogChoice) bool { return c.text == text }) {
			return
		}
		out = append(out, dialogChoice{text: text, run: run})
	}
	for _, r := range rs {
		switch r.Do {
		case fail.Reconnect, fail.WaitLonger:
			if a.connect != nil {
				add(connectAgainButton(), func() { a.connect(r.App) })
			}
		case fail.SetSecret, fail.CheckClient, fail.AddEndpoint, fail.FixField, fail.MoveEndpoint, fail.ChoosePort, fail.PublishApp,
			fail.GiveInitialToken, fail.RegisterByHand:
			if a.openField != nil {
				field := remedyField(r)
				add(openRegistrationButton(), func() { a.openField(r.App, field) })
			}
		case fail.UseDiscovery:
			if a.discover != nil {
				add(discoverButton(), func() { a.discover(r.App) })
			}
		case fail.FetchToken:
			if a.copyToken != nil {
				add(copyTokenButton(), func() { a.copyToken(r.App) })
			}
		}
	}
	return out
}

// remedyField is the field of the form a remedy is about: the one it names, or the one its
// action is about (the secret to give, the client ID to check, the port to choose).
func remedyField(r fail.Remedy) string {
	switch r.Do {
	case fail.SetSecret:
		return core.FieldClientSecret
	case fail.CheckClient:
		return core.FieldClientID
	case fail.ChoosePort:
		return "redirect_port"
	case fail.GiveInitialToken:
		return fieldInitialToken
	case fail.RegisterByHand:
		return core.FieldClientID
	}
	return r.Field
}

// without is rs less the remedies of action do: those a dialog offers with a button of its own.
func without(rs []fail.Remedy, do fail.Action) []fail.Remedy {
	return slices.DeleteFunc(slices.Clone(rs), func(r fail.Remedy) bool { return r.Do == do })
}
