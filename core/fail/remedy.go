package fail

import "slices"

// Action is what a person can do about a failure. The core says which; each front end says how
// (the command line as a command to run, the window in its own words or with a button).
type Action int

// The actions a core error can ask of a person. Each is worded by the front ends (cli's
// remedy.go as a command line, gui's words.go in the window's words); a test in each renders
// every one.
const (
	None             Action = iota // nothing to do but read the message
	Reconnect                      // sign the app in again (connect)
	SetSecret                      // give the app its client secret
	CheckClient                    // check the client ID and secret (the provider refused the client), then connect again
	AddEndpoint                    // the app lacks an endpoint: Field names it
	FixField                       // a field of the app is wrong or missing: Field names it
	MoveEndpoint                   // an endpoint answered with a redirect: if the provider moved it, put the new URL in Field
	UseDiscovery                   // fill the issuer and JWKS URI from the provider's discovery document
	ChoosePort                     // the redirect port is taken: close what holds it, or choose another port (and register it)
	ForgetLocally                  // the provider could not be told: forget the tokens (or the app) on this computer only
	ImportAs                       // an app of that name exists: import under another name
	ListApps                       // no such app: see the apps there are
	ListPresets                    // no such preset: see the presets there are
	FetchToken                     // a client credentials app: its token is fetched, nobody signs in
	WaitLonger                     // nobody finished in time: start again, with more time
	PublishApp                     // the provider keeps the app in testing (short-lived refresh tokens): publish it there, then record its status (Field)
	RefreshNow                     // renew the tokens now: a refresh uses the refresh token (and gets a new one), so its limit starts again
	GiveInitialToken               // the provider registers clients only with an initial access token: give one
	RegisterByHand                 // the provider did not register a client: register one in its console and give its client ID
)

// Actions lists every action, for the front ends' tests that render each.
func Actions() []Action {
	return []Action{None, Reconnect, SetSecret, CheckClient, AddEndpoint, FixField, MoveEndpoint, UseDiscovery,
		ChoosePort, ForgetLocally, ImportAs, ListApps, ListPresets, FetchToken, WaitLonger, PublishApp, RefreshNow, GiveInitialToken, RegisterByHand}
}

// The remedies, as the core makes them.
func ReconnectApp(app string) Remedy         { return Remedy{Do: Reconnect, App: app} }
func SetSecretOf(app string) Remedy          { return Remedy{Do: SetSecret, App: app} }
func CheckClientOf(app string) Remedy        { return Remedy{Do: CheckClient, App: app} }
func AddEndpointTo(app, field string) Remedy { return Remedy{Do: AddEndpoint, App: app, Field: field} }
func FixFieldOf(app, field string) Remedy    { return Remedy{Do: FixField, App: app, Field: field} }
func MoveEndpointOf(app, field string) Remedy {
	return Remedy{Do: MoveEndpoint, App: app, Field: field}
}
func UseDiscoveryFor(app string) Remedy { return Remedy{Do: UseDiscovery, App: app} }
func ChoosePortFor(app string) Remedy   { return Remedy{Do: ChoosePort, App: app} }
func ForgetLocallyOnly(app, what string) Remedy {
	return Remedy{Do: ForgetLocally, App: app, Field: what}
}
func ImportUnderAnotherName(app string) Remedy { return Remedy{Do: ImportAs, App: app} }
func SeeApps() Remedy                          { return Remedy{Do: ListApps} }
func SeePresets() Remedy                       { return Remedy{Do: ListPresets} }
func FetchTokenOf(app string) Remedy           { return Remedy{Do: FetchToken, App: app} }
func WaitLongerFor(app string) Remedy          { return Remedy{Do: WaitLonger, App: app} }
func PublishAppOf(app string) Remedy {
	return Remedy{Do: PublishApp, App: app, Field: "publishing_status"}
}
func RefreshNowOf(app string) Remedy        { return Remedy{Do: RefreshNow, App: app} }
func GiveInitialTokenFor(app string) Remedy { return Remedy{Do: GiveInitialToken, App: app} }
func RegisterByHandFor(app string) Remedy   { return Remedy{Do: RegisterByHand, App: app} }

// Remedy is the next step for one failure: the action, the app it is about (its name, as the
// person knows it; "" when the failing layer does not know it) and, for an action about one
// field of the document, the field's JSON name ("userinfo_uri", "redirect_port"). For
// ForgetLocally, Field says what would be forgotten: "tokens" (a disconnect) or "app" (a
// removal).
type Remedy struct {
	Do    Action
	App   string
	Field string
}

// Remedied is an error that knows the next step: *Error, and the protocol's ProviderError.
type Remedied interface {
	error
	NextStep() Remedy
}

// NextStep is the error's remedy.
func (e *Error) NextStep() Remedy { return e.Remedy }

// RemedyOf is the remedy of the first error in err's chain that has one (None if none has):
// the outermost says best what the person can do, since it knows the most of the context.
func RemedyOf(err error) Remedy {
	for _, e := range chain(err) {
		if r, ok := e.(Remedied); ok && r.NextStep().Do != None {
			return r.NextStep()
		}
	}
	return Remedy{}
}

// chain is err and everything it wraps, depth first, as errors.Is walks it.
func chain(err error) []error {
	if err == nil {
		return nil
	}
	out := []error{err}
	switch w := err.(type) {
	case interface{ Unwrap() error }:
		out = append(out, chain(w.Unwrap())...)
	case interface{ Unwrap() []error }:
		for _, e := range w.Unwrap() {
			out = append(out, chain(e)...)
		}
	}
	return out
}

// Remedies is every remedy in err's chain, outermost first, each action (and field) once: a
// failure wrapped in another (a refused redirect inside a disconnect that deleted nothing) has
// a step for each, and an inner step the outer layer repeated with what it knows more (the
// app's name) is said once, as the outer one.
func Remedies(err error) []Remedy {
	var out []Remedy
	for _, e := range chain(err) {
		r, ok := e.(Remedied)
		if !ok || r.NextStep().Do == None {
			continue
		}
		next := r.NextStep()
		if !slices.ContainsFunc(out, func(o Remedy) bool { return o.Do == next.Do && o.Field == next.Field }) {
			out = append(out, next)
		}
	}
	return out
}

// SavedApp is the Field of a GiveInitialToken or RegisterByHand remedy about an app already
// saved (registering a client for it anew), which the command line words as its own command.
const SavedApp = "saved_app"
