package core

import (
	"context"
	"fmt"
	"net/url"
	"time"

	"connectedapps/core/fail"
	"connectedapps/core/oauth"
)

// DeviceOptions tune one device sign-in.
type DeviceOptions struct {
	// Timeout caps the wait; zero waits until the code expires.
	Timeout time.Duration
	// NoBrowser does not open VerificationURIComplete (the person uses another device).
	NoBrowser bool
	// OnCode is told the code to show, before the polling starts.
	OnCode func(DeviceCode)

	// sleep waits between polls; tests replace it to run on a fake clock.
	sleep func(ctx context.Context, d time.Duration) error
}

// ConnectDevice signs in with the device authorization grant, for any app with a device
// authorization endpoint (whatever its grant type, so an app may use the browser on a desktop
// and a code over SSH). The ID token, when openid is asked for, is verified as in Connect
// (the device flow has no nonce). The tokens go to the keyring and the facts to the registry.
func (s *Service) ConnectDevice(ctx context.Context, name string, opts DeviceOptions) (*ConnectResult, error) {
	app, err := s.Registry.Find(name)
	if err != nil {
		return nil, err
	}
	if err := app.Validate(); err != nil {
		return nil, fmt.Errorf("%s cannot connect: %w", app.ProviderName, err)
	}
	switch {
	case !app.GrantType.SignsIn():
		return nil, Failf(ErrInvalid, "%s uses the client credentials grant, so nobody signs in", app.ProviderName).With(fail.FetchTokenOf(app.ProviderName))
	case app.DeviceAuthorizationURI == "":
		return nil, Failf(ErrInvalid, "%s has no device authorization URI, so it cannot sign in with a code", app.ProviderName).With(fail.AddEndpointTo(app.ProviderName, "device_authorization_uri"))
	}
	secret, unlockConnect, err := s.beginSignIn(&app)
	if err != nil {
		return nil, err
	}
	defer unlockConnect()

	code, deviceCode, err := oauth.RequestDeviceCode(ctx, s.HTTP, &app, secret, s.Now())
	if err != nil {
		return nil, err
	}
	if code.VerificationURIComplete != "" && !opts.NoBrowser {
		if u, err := url.Parse(code.VerificationURIComplete); err == nil {
			code.BrowserErr = s.Browser.OpenURL(u)
			code.BrowserOpened = code.BrowserErr == nil
		}
	}
	if opts.OnCode != nil {
		opts.OnCode(code)
	}
	keys := oauth.PrefetchIDTokenKeys(ctx, s.HTTP, &app) // while the person enters the code
	defer keys.Close()

	tok, err := oauth.PollDeviceToken(ctx, s.HTTP, &app, secret, deviceCode, code, oauth.Poll{Timeout: opts.Timeout, Sleep: opts.sleep, Now: s.Now, Log: s.Log})
	if err != nil {
		return nil, err
	}
	tok = oauth.WithExpiresIn(tok)
	ts := oauth.TokenSetFrom(tok, nil, app.Scopes)
	ts.AnchorExpiry(tok, s.Now())
	return s.finishSignIn(ctx, &app, ts, "", keys)
}
