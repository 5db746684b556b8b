package oauth

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"connectedapps/core/fail"

	"golang.org/x/oauth2"
)

// CallbackIssuerCheck refuses an answer another provider sent (RFC 9207): in a mix-up
// attack, a provider among the person's apps sends the browser to an honest provider, and
// the honest provider's code would be exchanged, with the PKCE verifier, at the wrong token
// endpoint. The iss of the answer, when present (and always, when the provider says it sends
// one), must be the app's issuer. The refusal comes before any exchange.
func CallbackIssuerCheck(app *App) func(q url.Values) error {
	return func(q url.Values) error {
		iss := q.Get("iss")
		switch {
		case !q.Has("iss"):
			if app.IssParameterSupported {
				return failf(errMixUp, "%s: the sign-in answer does not name the provider that sent it, though %s always does: it may come from another provider (a possible mix-up attack), so its code was not used; connect again, and if this repeats, remove any app whose provider you do not trust", app.ProviderName, app.ProviderName)
			}
		case app.Issuer == "":
			return failf(errMixUp, "%s: the sign-in answer came from the provider %q, and %s has no issuer to check that against (a possible mix-up attack), so its code was not used; if %q really is %s's provider, give %s its issuer, then connect again", app.ProviderName, iss, app.ProviderName, iss, app.ProviderName, app.ProviderName).With(fail.FixFieldOf(app.ProviderName, "issuer"))
		case !app.IssuerMatches(iss):
			return failf(errMixUp, "%s: the sign-in answer came from another provider (%q, not %q): a possible mix-up attack, so its code was not used; connect again, and if this repeats, remove any app whose provider you do not trust", app.ProviderName, iss, app.Issuer)
		}
		return nil
	}
}

// randomToken is 32 bytes of crypto randomness, URL-safe: for state and nonce.
func randomToken() string { return oauth2.GenerateVerifier() }

// SignIn is one authorization code sign-in (RFC 6749 section 4.1 with PKCE and, for OpenID,
// a nonce): the link to open and what the answer is checked and exchanged with.
type SignIn struct {
	URL      string // the authorization request, for the browser
	State    string
	Nonce    string // "" without openid
	verifier string // "" without PKCE
	conf     *oauth2.Config
}

// NewSignIn makes the sign-in link for app, answered at redirectURI (the catcher's). secret
// is the client secret ("" for a public client), used only by Exchange. extra are parameters
// of this one sign-in (another account's prompt, a login_hint) beside the app's own; a prompt
// in both is sent once with both values, as OpenID Connect's space-separated list.
func NewSignIn(app *App, secret, redirectURI string, log *slog.Logger, extra ...QueryParameter) *SignIn {
	si := &SignIn{conf: Config(app, secret, redirectURI), State: randomToken()}
	var opts []oauth2.AuthCodeOption
	if app.PKCEMethod() != "" {
		if app.OnlyPlainPKCEListed() {
			log.Debug("the provider lists only the plain PKCE method; sending S256 anyway, since plain would show the verifier itself in the sign-in link", "app", app.ProviderName)
		}
		si.verifier = oauth2.GenerateVerifier()
		opts = append(opts, oauth2.S256ChallengeOption(si.verifier))
	}
	if app.UsesOpenID() {
		si.Nonce = randomToken()
		opts = append(opts, oauth2.SetAuthURLParam("nonce", si.Nonce))
	}
	for _, p := range mergeParams(app.QueryParameters, extra) {
		opts = append(opts, oauth2.SetAuthURLParam(p.Key, p.Value))
	}
	si.URL = si.conf.AuthCodeURL(si.State, opts...)
	return si
}

// mergeParams is the app's parameters with this sign-in's: a key given by both takes extra's
// value, except prompt, whose values are joined (consent and select_account both asked).
func mergeParams(own, extra []QueryParameter) []QueryParameter {
	out := slices.Clone(own)
	for _, e := range extra {
		i := slices.IndexFunc(out, func(p QueryParameter) bool { return p.Key == e.Key })
		switch {
		case i < 0:
			out = append(out, e)
		case e.Key == "prompt":
			words := strings.Fields(out[i].Value)
			for _, w := range strings.Fields(e.Value) {
				if !slices.Contains(words, w) {
					words = append(words, w)
				}
			}
			out[i].Value = strings.Join(words, " ")
		default:
			out[i].Value = e.Value
		}
	}
	return out
}

// Expect makes c accept only this sign-in's answer: its state, from the app's provider.
func (si *SignIn) Expect(c *Catcher, app *App) {
	c.Expect(si.State)
	c.ExpectIssuer(CallbackIssuerCheck(app))
}

// Exchange trades the code for tokens at the token endpoint, with the PKCE verifier.
func (si *SignIn) Exchange(ctx context.Context, hc *http.Client, app *App, code string, now time.Time) (*TokenSet, *oauth2.Token, error) {
	var opts []oauth2.AuthCodeOption
	if si.verifier != "" {
		opts = append(opts, oauth2.VerifierOption(si.verifier))
	}
	tok, err := si.conf.Exchange(context.WithValue(ctx, oauth2.HTTPClient, Client(hc)), code, opts...)
	if err != nil {
		return nil, nil, exchangeError(app, err)
	}
	ts := TokenSetFrom(tok, nil, app.Scopes)
	ts.AnchorExpiry(tok, now)
	return ts, tok, nil
}

// exchangeError classifies a failed code exchange: the code is spent, so the remedy is a new
// sign-in whatever the cause.
func exchangeError(app *App, err error) error {
	var re *oauth2.RetrieveError
	if RefusedRedirect(app, "token exchange", "", err) != nil || errors.As(err, &re) {
		return TokenRequestError(app, "token exchange", err)
	}
	return failf(errTransient, "%s: the code exchange failed: %w; connect again", app.ProviderName, TokenRequestProblem(app, err))
}

// TokenRequestError classifies a failed token request that is not a refresh (a code exchange,
// a client credentials request, a device poll): a redirect is refused, a network failure or an
// overloaded provider is temporary, a refused client is errClientRejected. Recording the
// refusal on the connection is the caller's (core's) business.
func TokenRequestError(app *App, step string, err error) error {
	if refused := RefusedRedirect(app, step, "", err); refused != nil {
		return refused
	}
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		return failf(errTransient, "%s: %s failed: %w; try again", app.ProviderName, step, TokenRequestProblem(app, err))
	}
	pe := ProviderErrorFrom(app, step, re)
	switch {
	case re.ErrorCode == "invalid_client" || re.ErrorCode == "unauthorized_client":
		pe.Kind = errClientRejected
	case TransientAnswer(re):
		pe.Kind = errTransient
	}
	return pe
}
