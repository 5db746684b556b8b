package oauth

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"connectedapps/core/fail"

	"github.com/coreos/go-oidc/v3/oidc"
)

// Identity is who signed in, from a verified ID token.
type Identity struct {
	Issuer  string // the ID token's iss; "" when the identity came from userinfo
	Subject string
	Name    string
	Email   string
}

// Display is the best single line for a person: name, email, then subject.
func (id Identity) Display() string {
	switch {
	case id.Name != "" && id.Email != "":
		return id.Name + " <" + id.Email + ">"
	case id.Name != "":
		return id.Name
	case id.Email != "":
		return id.Email
	}
	return id.Subject
}

// checkTenantIssuer is the issuer check for a templated issuer, as Microsoft asks of
// multi-tenant apps: iss must be the template with the token's own tid filled in.
func checkTenantIssuer(app *App, iss, tid string) error {
	if !isTenantID(tid) {
		return failf(errInvalid, "%s: the provider's ID token names no valid tenant (tid %q), so its issuer %q cannot be checked against %s", app.ProviderName, tid, iss, app.Issuer)
	}
	if want := strings.ReplaceAll(app.Issuer, tenantIDPlaceholder, tid); iss != want {
		return failf(errInvalid, "%s: the provider's ID token has the issuer %q, but its tenant %s means it must be %q: it was refused", app.ProviderName, iss, tid, want)
	}
	return nil
}

// VerifyIDToken checks signature (against the app's JWKS), issuer, audience, expiry and, when
// nonce is not empty, the nonce. An ID token that fails any of these is never trusted.
func VerifyIDToken(ctx context.Context, hc *http.Client, app *App, raw, nonce string, now func() time.Time) (Identity, error) {
	if app.Issuer == "" || app.JWKSURI == "" {
		return Identity{}, failf(errInvalid, "%s: cannot verify the ID token without an issuer and a JWKS URI", app.ProviderName).With(fail.UseDiscoveryFor(app.ProviderName))
	}
	return verifyWithKeys(ctx, NewIDTokenKeys(ctx, hc, app), app, raw, nonce, now)
}

// verifyWithKeys is VerifyIDToken against keys (fetched already, perhaps, by Prefetch).
func verifyWithKeys(ctx context.Context, keys *IDTokenKeys, app *App, raw, nonce string, now func() time.Time) (Identity, error) {
	id, err := verifyIDToken(ctx, keys.set, keys.fetch, app, raw, now, false)
	if err != nil {
		return Identity{}, err
	}
	if nonce != "" && id.nonce != nonce {
		return Identity{}, failf(errInvalid, "%s: the ID token's nonce does not match this sign-in (a replayed token?): connect again", app.ProviderName)
	}
	return id.Identity, nil
}

// IDTokenKeys is the key set an app's tokens are checked against (its ID tokens; inspect's
// access tokens too): go-oidc's, which fetches the JWKS when a token names a key it does not
// hold, and what went wrong with that fetch.
type IDTokenKeys struct {
	set   *oidc.RemoteKeySet
	fetch *jwksFetch
	stop  func() // ends a prefetch still under way and waits for it; nil: none was started
}

// Close ends a prefetch still under way (a sign-in that failed or was cancelled before the
// keys were needed) and waits for it, so nothing of the sign-in (a request, a log line) runs
// after the sign-in has returned. The keys are not used after Close. Safe on nil.
func (k *IDTokenKeys) Close() {
	if k != nil && k.stop != nil {
		k.stop()
	}
}

// NewIDTokenKeys is app's key set, fetched when first needed; ctx bounds every fetch.
func NewIDTokenKeys(ctx context.Context, hc *http.Client, app *App) *IDTokenKeys {
	fetch := &jwksFetch{until: ctx}
	return &IDTokenKeys{set: oidc.NewRemoteKeySet(oidc.ClientContext(publicFetch(ctx), fetch.client(hc)), app.JWKSURI), fetch: fetch}
}

// PrefetchIDTokenKeys starts fetching app's JWKS now, while the person signs in, so the ID
// token that follows is checked without another request to the provider after the callback
// (and the exchange finds a connection to a provider that serves both already open). nil for
// an app without openid or a JWKS URI: there is nothing to fetch. A failed fetch is only
// tried again at the check, which reports it. Nothing is trusted here: go-oidc fetches the
// keys when asked to check a token naming a key it lacks, so it is asked about prefetchJWS,
// which no key matches, and its answer is thrown away; the ID token itself is checked later
// in full, by the verifier, against the keys this fetched (and fetches again if the token
// names another key). The caller Closes the keys when the sign-in ends.
func PrefetchIDTokenKeys(ctx context.Context, hc *http.Client, app *App) *IDTokenKeys {
	if !app.UsesOpenID() || app.JWKSURI == "" || app.Issuer == "" {
		return nil
	}
	// Close cancels fetchCtx, which ends the fetch's request (see jwksFetch.until); the
	// prefetch itself waits for the fetch without a deadline of its own, so that once it has
	// returned nothing of the fetch is left running.
	fetchCtx, cancel := context.WithCancel(ctx)
	keys := NewIDTokenKeys(fetchCtx, hc, app)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = keys.set.VerifySignature(context.WithoutCancel(fetchCtx), prefetchJWS)
	}()
	keys.stop = func() { cancel(); <-done }
	return keys
}

// prefetchJWS is a well-formed compact JWS (RS256, kid "connectedapps-prefetch", payload {})
// with a one-byte signature: it names no key a provider serves, so checking it makes go-oidc
// fetch the key set and then fail without trying any key.
const prefetchJWS = "eyJhbGciOiJSUzI1NiIsImtpZCI6ImNvbm5lY3RlZGFwcHMtcHJlZmV0Y2gifQ.e30.AA"

// verifiedIdentity is a verified ID token's identity and its nonce.
type verifiedIdentity struct {
	Identity
	nonce string
}

// verifyIDToken is VerifyIDToken's check against a key set the caller holds (inspect checks
// two tokens with one fetch); skipExpiry leaves an expired token verified, for a caller that
// shows its expiry rather than trusts it.
func verifyIDToken(ctx context.Context, keys *oidc.RemoteKeySet, fetch *jwksFetch, app *App, raw string, now func() time.Time, skipExpiry bool) (verifiedIdentity, error) {
	// A templated issuer never equals iss as written; it is checked against tid below instead.
	multiTenant := app.MultiTenantIssuer()
	v := oidc.NewVerifier(app.Issuer, keys, &oidc.Config{ClientID: app.ClientID, Now: now, SkipIssuerCheck: multiTenant, SkipExpiryCheck: skipExpiry})
	tok, err := v.Verify(ctx, raw)
	if err != nil {
		if problem := fetch.problem(); problem != nil {
			return verifiedIdentity{}, failf(errInvalid, "%s: the ID token could not be checked: the JWKS at %s %s", app.ProviderName, app.JWKSURI, problem).With(fail.FixFieldOf(app.ProviderName, "jwks_uri"))
		}
		var expired *oidc.TokenExpiredError
		if errors.As(err, &expired) {
			return verifiedIdentity{}, failf(errInvalid, "%s: the provider's ID token has already expired (check this computer's clock)", app.ProviderName)
		}
		next := "check the issuer and JWKS URI"
		if strings.Contains(err.Error(), "audience") { // issued for another client
			next = "check the client ID"
		}
		return verifiedIdentity{}, failf(errInvalid, "%s: the provider's ID token failed verification (%s): %s", app.ProviderName, oneLine(cleanText(err.Error())), next)
	}
	var claims struct {
		Name              string `json:"name"`
		PreferredUsername string `json:"preferred_username"`
		Email             string `json:"email"`
		TenantID          string `json:"tid"`
		AuthorizedParty   string `json:"azp"`
	}
	_ = tok.Claims(&claims) // the standard claims were already checked; these are optional
	// OpenID Connect Core 3.1.3.7: a token for several audiences names the party it was issued
	// to in azp, and that must be us; go-oidc checks only that we are among the audiences, so
	// a token another client obtained for itself (naming us as well) would pass.
	if (len(tok.Audience) > 1 || claims.AuthorizedParty != "") && claims.AuthorizedParty != app.ClientID {
		return verifiedIdentity{}, failf(errInvalid, "%s: the provider's ID token was issued to another client (azp %q, audiences %q), not to the client ID %s: it was refused; check the client ID", app.ProviderName, claims.AuthorizedParty, tok.Audience, app.ClientID)
	}
	if multiTenant {
		if err := checkTenantIssuer(app, tok.Issuer, claims.TenantID); err != nil {
			return verifiedIdentity{}, err
		}
	}
	id := CleanIdentity(Identity{Issuer: tok.Issuer, Subject: tok.Subject, Name: claims.Name, Email: claims.Email})
	if id.Name == "" {
		id.Name = cleanText(claims.PreferredUsername)
	}
	return verifiedIdentity{Identity: id, nonce: tok.Nonce}, nil
}

// MaxJWKSBody bounds what is read of a JWKS answer, as maxDiscoveryBody bounds discovery's:
// real key sets are a few KiB. go-oidc reads the body whole, so the cut is made in the
// transport.
const MaxJWKSBody = maxDiscoveryBody

// jwksFetch is the client go-oidc fetches a JWKS with, and what went wrong with the fetch in
// our own words: go-oidc passes a fetch error on as text only (its %v drops the chain), and
// its fetch runs on a goroutine of its own.
type jwksFetch struct {
	// until ends every request of the fetch when it is done: go-oidc fetches with the context
	// it was made with stripped of its cancel, so without this a cancelled sign-in, or one
	// that failed, would wait for a slow JWKS until the HTTP client's timeout.
	until context.Context
	mu    sync.Mutex
	err   error
}

func (f *jwksFetch) record(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err == nil {
		f.err = err
	}
}

// problem words what went wrong, to follow "the JWKS at URL"; nil when nothing did.
func (f *jwksFetch) problem() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	var refused *RedirectRefusedError
	var tooLarge *bodyTooLargeError
	switch {
	case errors.As(f.err, &refused):
		return fmt.Errorf("could not be fetched: %w", refused)
	case errors.As(f.err, &tooLarge):
		return fmt.Errorf("answered with more than %s, far more than a key set, so it was not read", byteSize(tooLarge.limit))
	}
	return f.err
}

func (f *jwksFetch) client(hc *http.Client) *http.Client {
	c := Client(hc)
	c.Transport = untilDone{base: &cappedTransport{base: c.Transport, limit: MaxJWKSBody, exceeded: f.record}, ctx: f.until}
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		err := checkRedirect(req, via)
		if err != nil {
			f.record(err)
		}
		return err
	}
	return c
}

// untilDone ends each request, and the reading of its answer, when ctx is done as well as
// when the request's own context is.
type untilDone struct {
	base http.RoundTripper
	ctx  context.Context
}

func (u untilDone) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx, cancel := context.WithCancel(req.Context())
	stop := context.AfterFunc(u.ctx, cancel)
	release := func() { stop(); cancel() }
	resp, err := u.base.RoundTrip(req.WithContext(ctx))
	if err != nil {
		release()
		return nil, err
	}
	resp.Body = &releasingBody{ReadCloser: resp.Body, release: release}
	return resp, nil
}

// releasingBody is an answer's body that lets go of its request's context once closed.
type releasingBody struct {
	io.ReadCloser
	release func()
}

func (b *releasingBody) Close() error {
	err := b.ReadCloser.Close()
	b.release()
	return err
}
