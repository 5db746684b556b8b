package core

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"connectedapps/core/fail"
	"connectedapps/core/oauth"
	"connectedapps/core/secret"
	"connectedapps/internal/fsutil"
)

// DefaultConnectTimeout is how long connect waits for the person to sign in.
const DefaultConnectTimeout = 5 * time.Minute

// ConnectOptions tune one sign-in.
type ConnectOptions struct {
	Timeout time.Duration // default DefaultConnectTimeout
	// NoBrowser skips opening the browser: the link is only shown (OnAuthURL) and the final
	// redirected URL may be pasted (Pasted).
	NoBrowser bool
	// OnAuthURL is told the authorization link, and whether the browser was opened, before
	// the wait starts.
	OnAuthURL func(link string, browserErr error)
	// Pasted delivers redirect URLs the person pasted; each is checked like a callback. A
	// paste that is not a redirect URL is reported through OnPasteError and the wait goes on.
	Pasted       <-chan string
	OnPasteError func(error)
	// OnDeviceCode is told the code to approve when the app's grant is device_code (Connect
	// then runs ConnectDevice).
	OnDeviceCode func(DeviceCode)
	// LoginHint is sent as login_hint (the email of the account to sign in as), so the
	// provider can skip its chooser or fill its form.
	LoginHint string
}

// ConnectResult is what a successful sign-in established.
type ConnectResult struct {
	App      App
	Identity Identity // empty without openid
	Tokens   *TokenSet
}

// Connect runs the authorization code flow: PKCE, a fresh state and (with openid) a nonce,
// the system browser, the loopback catcher, the code exchange and ID token verification; the
// tokens go to the keyring and the connection facts to the registry, as the account of the
// verified subject: a new one, or the same subject's again (updated, never a second). An app
// that has an account already asks the provider for its account chooser (the preset's
// SelectAccount), so another account can be picked.
func (s *Service) Connect(ctx context.Context, name string, opts ConnectOptions) (*ConnectResult, error) {
	s.prepareSecrets() // connects to the keyring while the registry is read
	app, err := s.Registry.Find(name)
	if err != nil {
		return nil, err
	}
	if err := app.Validate(); err != nil {
		return nil, fmt.Errorf("%s cannot connect: %w", app.ProviderName, err)
	}
	// One Connect for every grant, so a front end's Connect button needs no switch.
	switch app.GrantType {
	case GrantClientCredentials:
		return s.connectClientCredentials(ctx, &app)
	case GrantDeviceCode:
		return s.ConnectDevice(ctx, app.ID, DeviceOptions{Timeout: opts.Timeout, NoBrowser: opts.NoBrowser, OnCode: opts.OnDeviceCode})
	}
	secret, unlockConnect, err := s.beginSignIn(&app)
	if err != nil {
		return nil, err
	}
	defer unlockConnect()

	catcher, err := ListenLoopback(app.RedirectHost, app.RedirectPort, app.Callback())
	if err != nil {
		failed := Failf(nil, "%s: %w", app.ProviderName, err)
		if errors.Is(err, ErrPortInUse) {
			failed.With(fail.ChoosePortFor(app.ProviderName)) // the catcher knows no app's name
		}
		return nil, failed
	}
	defer catcher.Close()
	catcher.SetLogger(s.Log)

	signIn := oauth.NewSignIn(&app, secret, catcher.RedirectURI(), s.Log, signInParams(&app, opts)...)
	signIn.Expect(catcher, &app)
	link := signIn.URL

	var browserErr error
	if opts.NoBrowser {
		browserErr = errNoBrowser
	} else if u, err := url.Parse(link); err == nil {
		browserErr = s.Browser.OpenURL(u)
	}
	if opts.OnAuthURL != nil {
		opts.OnAuthURL(link, browserErr)
	}
	keys := oauth.PrefetchIDTokenKeys(ctx, s.HTTP, &app) // while the person signs in
	defer keys.Close()

	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = DefaultConnectTimeout
	}
	waitCtx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if opts.Pasted != nil {
		go func() {
			for {
				select {
				case <-waitCtx.Done():
					return
				case raw, ok := <-opts.Pasted:
					if !ok {
						return
					}
					if outcome, err := catcher.Deliver(raw); err != nil && opts.OnPasteError != nil && !outcome {
						opts.OnPasteError(err)
					}
				}
			}
		}()
	}
	code, err := catcher.Wait(waitCtx)
	if err != nil {
		var pe *ProviderError
		switch {
		case errors.As(err, &pe):
			// A copy: the catcher writes the same error into the browser's page at this moment.
			named := *pe
			named.App = app.ProviderName
			return nil, &named
		case errors.Is(err, ErrTimeout):
			return nil, Failf(ErrTimeout, "%s: nobody signed in within %s", app.ProviderName, timeout).With(fail.WaitLongerFor(app.ProviderName))
		case errors.Is(err, ErrCanceled):
			return nil, Failf(ErrCanceled, "%s: sign-in canceled", app.ProviderName)
		case errors.Is(err, ErrMixUp):
			return nil, err // names the app already, as the browser's page does
		}
		return nil, fmt.Errorf("%s: %w", app.ProviderName, err)
	}

	ts, _, err := signIn.Exchange(ctx, s.HTTP, &app, code, s.Now())
	if err != nil {
		return nil, err
	}
	return s.finishSignIn(ctx, &app, ts, signIn.Nonce, keys)
}

// signInParams are this sign-in's own parameters: the account chooser when the app has an
// account already, and the login hint when one is given.
func signInParams(app *App, opts ConnectOptions) []QueryParameter {
	var extra []QueryParameter
	if len(app.Accounts) > 0 {
		extra = append(extra, app.SelectAccountParams()...)
	}
	if h := strings.TrimSpace(opts.LoginHint); h != "" {
		extra = append(extra, QueryParameter{Key: "login_hint", Value: h})
	}
	return extra
}

// finishSignIn ends every interactive sign-in once tokens are in hand: who signed in is
// checked (the ID token against nonce, "" for the device flow, which has none, and keys, the
// ones fetched while the person signed in, or nil), then the
// tokens and the connection are stored as the account of whoever signed in. The subject
// names the account, and so the key the tokens go under; a userinfo call that completes the
// name shown runs beside the keyring write and is awaited before the registry's.
func (s *Service) finishSignIn(ctx context.Context, app *App, ts *TokenSet, nonce string, keys *oauth.IDTokenKeys) (*ConnectResult, error) {
	ctx, cancel := context.WithCancel(ctx) // ends the userinfo call if storing fails
	defer cancel()
	identity, err := oauth.StartSignedInIdentity(ctx, s.HTTP, keys, app, ts, nonce, s.Now, s.Log)
	if err != nil {
		return nil, err
	}
	saved, id, err := s.storeConnection(ctx, app, ts, identity)
	if err != nil {
		cancel()
		identity.Wait() // ended by the cancel: nothing of the sign-in runs after it returns
		return nil, err
	}
	return &ConnectResult{App: saved, Identity: id, Tokens: ts}, nil
}

// beginSignIn does what every interactive sign-in needs first: an ID token must be
// verifiable, only one sign-in per app may run (across processes), and the keyring is asked
// now whether it could read the tokens' entry (secret.Probe: on Linux a search, no secret on
// the bus), so a locked or missing keyring is found, and a locked one unlocked with its
// prompt, before the provider issues tokens we could not keep. It returns the client secret
// (if the auth method sends one) and the unlock.
func (s *Service) beginSignIn(app *App) (clientSecret string, unlock func(), err error) {
	if app.UsesOpenID() && (app.Issuer == "" || app.JWKSURI == "") {
		return "", nil, Failf(ErrInvalid, "%s asks for the openid scope but has no issuer or JWKS URI, so its ID token could not be verified", app.ProviderName).With(fail.UseDiscoveryFor(app.ProviderName))
	}
	unlock, ok, err := fsutil.TryLockFile(s.lockPath(app.ID, "connect"))
	if err != nil {
		return "", nil, err
	}
	if !ok {
		return "", nil, Failf(ErrBusy, "a connect for %s is already running (in this window or another terminal): finish or cancel that one first", app.ProviderName)
	}
	if clientSecret, err = s.clientSecret(app); err == nil {
		acct := AnonymousAccount
		if d := app.Default(); d != nil {
			acct = d.ID
		}
		err = secret.Probe(s.Secrets, tokensKey(app.ID, acct)) // found, or not there: either way the keyring answered
	}
	if err != nil {
		unlock()
		return "", nil, err
	}
	return clientSecret, unlock, nil
}

// storeConnection writes tokens, then facts, of the account who signed in, under that
// account's refresh lock so a background refresh of its old grant cannot overwrite the new
// one. The subject names the account (AccountIDFor), so signing in again as the same person
// updates that account; the rest of the identity is awaited after the keyring write. It
// returns the app as saved (no second read of the registry) and the identity recorded.
func (s *Service) storeConnection(ctx context.Context, app *App, ts *TokenSet, identity oauth.PendingIdentity) (saved App, id Identity, err error) {
	acct := Account{ID: AccountIDFor(identity.Subject())}
	// As read when the sign-in began: LegacyTokens only ever goes from true to false, and a
	// stale true costs a delete of an entry that is gone already (and the update below reads
	// the registry again under its lock).
	if cur := app.FindAccount(acct.ID); cur != nil {
		acct.LegacyTokens = cur.LegacyTokens
	}
	unlock, err := lockFile(ctx, s.accountLock(app.ID, acct.ID), lockWait)
	if err != nil {
		return App{}, Identity{}, err
	}
	defer unlock()
	if err := s.writeTokens(app, &acct, ts); err != nil {
		return App{}, Identity{}, err
	}
	id = identity.Wait()
	now := s.Now().UTC()
	err = s.Registry.UpdateApp(app.ID, func(a *App) error {
		legacy := false
		if cur := a.FindAccount(acct.ID); cur != nil {
			legacy = cur.LegacyTokens && acct.LegacyTokens // still there: the old key was not deleted
		}
		c := Account{ID: acct.ID, LegacyTokens: legacy, Connection: Connection{State: StateConnected, ExpiresAt: ts.Expiry,
			Subject: id.Subject, Name: id.Name, Email: id.Email, GrantedScopes: ts.Scopes, HasRefreshToken: ts.RefreshToken != "", ConnectedAt: now}}
		if ts.RefreshToken != "" {
			c.RefreshTokenIssuedAt = &now // the limits of refresh-token health count from here
		}
		a.PutAccount(c)
		saved = *a
		return nil
	})
	if err != nil {
		return App{}, Identity{}, err
	}
	s.fire(app, saved.FindAccount(acct.ID).Label(), EventConnected, ts.Expiry)
	return saved, id, nil
}
