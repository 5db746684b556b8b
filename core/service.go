package core

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"connectedapps/core/fail"
	"connectedapps/core/oauth"
	"connectedapps/core/secret"
)

// Service is the facade the window and the command line call. It is safe for concurrent
// use; every change to the registry goes through its cross-process lock.
type Service struct {
	Registry *Registry
	Secrets  secret.Store
	HTTP     *http.Client
	Browser  Browser
	Now      func() time.Time
	Log      *slog.Logger
	// Notices are what NewService did that the person should hear about once (a configuration
	// folder made private); the front end says them, core prints nothing.
	Notices []string

	hooks       sync.WaitGroup // the on_event commands still running (WaitHooks)
	hookTimeout time.Duration  // 0: HookTimeout; the tests' hang is shorter
}

// Config gathers what NewService needs; zero fields get production defaults.
type Config struct {
	Dir     string       // registry folder; default DefaultConfigDir()
	Secrets secret.Store // default: the OS keyring
	HTTP    *http.Client
	Browser Browser // default: NoBrowser (the link is only shown); the front ends give internal/desktop.SystemBrowser
	Now     func() time.Time
	Log     *slog.Logger // default: discard
}

// NewService wires a Service with defaults for what cfg leaves out.
func NewService(cfg Config) (*Service, error) {
	if cfg.Dir == "" {
		dir, err := DefaultConfigDir()
		if err != nil {
			return nil, err
		}
		cfg.Dir = dir
	}
	if cfg.Secrets == nil {
		cfg.Secrets = secret.NewSystemStore()
	}
	if cfg.HTTP == nil {
		cfg.HTTP = NewHTTPClient(nil)
	}
	if cfg.Browser == nil {
		// core starts no program of its own: which browser, and with what environment, is the
		// front end's choice (internal/desktop.SystemBrowser, fyne.App, a scripted browser).
		cfg.Browser = NoBrowser
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &Service{Registry: OpenRegistry(cfg.Dir), Secrets: cfg.Secrets, HTTP: cfg.HTTP,
		Browser: cfg.Browser, Now: cfg.Now, Log: cfg.Log, Notices: MakeFolderPrivate(cfg.Dir)}, nil
}

func (s *Service) lockPath(appID, what string) string {
	return s.Registry.LockPath(appID, what)
}

// List returns every app, sorted by name. It never reads the keyring.
func (s *Service) List() ([]App, error) {
	apps, err := s.Registry.Load()
	if err != nil {
		return nil, err
	}
	slices.SortFunc(apps, func(a, b App) int {
		return strings.Compare(strings.ToLower(a.ProviderName), strings.ToLower(b.ProviderName))
	})
	return apps, nil
}

// Get finds one app by name (case-insensitive) or id.
func (s *Service) Get(name string) (App, error) { return s.Registry.Find(name) }

// Discover runs OpenID discovery for a form or `connectedapps discover`.
func (s *Service) Discover(ctx context.Context, rawURL, expectedIssuer string) (*ProviderMetadata, error) {
	return Discover(ctx, s.HTTP, rawURL, expectedIssuer)
}

// Add registers app. secret, when not nil, goes to the keyring. When the keyring cannot be
// reached the registration is still saved and the error says how to add the secret later.
func (s *Service) Add(app App, secret *string) (App, error) {
	if err := checkGrantSecret(&app, secret != nil && *secret != ""); err != nil {
		return App{}, err
	}
	return s.register(app, secret)
}

// register is Add without the check that a client credentials app brings its secret: an
// imported file may lack the secret, and the app is then registered with a note saying so.
func (s *Service) register(app App, secret *string) (App, error) {
	if app.ID == "" {
		app.ID = newID()
	}
	app.HasClientSecret = false
	app.Accounts, app.DefaultAccount = nil, ""
	if err := app.Validate(); err != nil {
		return App{}, err
	}
	err := s.Registry.Update(func(apps []App) ([]App, error) {
		if err := nameFree(apps, app.ProviderName, ""); err != nil {
			return nil, err
		}
		if app.CallbackPath == "" {
			// Chosen here, under the lock, so two apps added at once cannot share one.
			app.CallbackPath = NewCallbackPath(app.ProviderName, apps)
		}
		return append(apps, app), nil
	})
	if err != nil {
		return App{}, err
	}
	if secret != nil && *secret != "" {
		if err := s.setClientSecret(&app, *secret); err != nil {
			return app, fail.Failf(nil, "%s was registered, but its client secret was not stored: %w; once the keyring works, give it again", app.ProviderName, err).With(fail.SetSecretOf(app.ProviderName))
		}
	}
	return app, nil
}

func nameFree(apps []App, name, exceptID string) error {
	for _, a := range apps {
		if a.ID != exceptID && strings.EqualFold(a.ProviderName, name) {
			return &ValidationError{Field: "provider_name", Message: fmt.Sprintf("an app named %q already exists: choose another name", a.ProviderName)}
		}
	}
	return nil
}

func (s *Service) setClientSecret(app *App, secret string) error {
	if err := s.Secrets.Set(clientSecretKey(app.ID), secret); err != nil {
		return err
	}
	app.HasClientSecret = true
	return s.Registry.UpdateApp(app.ID, func(a *App) error { a.HasClientSecret = true; return nil })
}

// EditResult says what an edit did beyond saving the document.
type EditResult struct {
	App               App
	TokensDropped     bool   // client, token URI or issuer changed: the old tokens were removed
	RevocationProblem string // why the dropped tokens could not be revoked at the provider
	ReconnectToApply  bool   // scopes changed: the tokens stay until the next connect
}

// Edit applies change to a copy of the app, validates it and saves it. A new client ID,
// token URI or issuer makes the old tokens meaningless, so they are revoked (best effort,
// with the old settings) and deleted; new scopes keep them, marked "reconnect to apply".
// secret says whether the client secret is kept, replaced or cleared.
func (s *Service) Edit(ctx context.Context, name string, change func(*App) error, secret SecretChange) (EditResult, error) {
	old, err := s.Registry.Find(name)
	if err != nil {
		return EditResult{}, err
	}
	updated := old
	updated.Scopes = slices.Clone(old.Scopes)
	updated.QueryParameters = slices.Clone(old.QueryParameters)
	if err := change(&updated); err != nil {
		return EditResult{}, err
	}
	updated.ID, updated.HasClientSecret = old.ID, old.HasClientSecret
	updated.Accounts, updated.DefaultAccount = old.Accounts, old.DefaultAccount
	updated.Registration = old.Registration // its token is in the secret store: the registration stays this app's
	// The provider has this path registered: a rename or any other edit keeps it.
	updated.CallbackPath = old.CallbackPath
	if err := updated.Validate(); err != nil {
		return EditResult{}, err
	}
	_, setsOne := secret.New()
	if err := checkGrantSecret(&updated, (secret.Keeps() && old.HasClientSecret) || setsOne); err != nil {
		return EditResult{}, err
	}
	res := EditResult{}
	connected := len(old.Accounts) > 0
	// Tokens of the client credentials grant are the client's, not a person's: switching to or
	// from it changes whose tokens they are.
	grantOwnerChanged := updated.GrantType.SignsIn() != old.GrantType.SignsIn()
	if connected && (updated.ClientID != old.ClientID || updated.TokenURI != old.TokenURI || updated.Issuer != old.Issuer || grantOwnerChanged) {
		unlock, err := s.lockAccounts(ctx, &old)
		if err != nil {
			return EditResult{}, err
		}
		defer unlock()
		if err := s.revokeStored(ctx, &old); err != nil {
			res.RevocationProblem = err.Error()
		}
		if err := s.deleteAllTokens(&old); err != nil {
			return EditResult{}, fmt.Errorf("%s: the old tokens could not be deleted, so nothing was changed: %w", old.ProviderName, err)
		}
		updated.Accounts, updated.DefaultAccount = nil, ""
		res.TokensDropped = true
	} else if connected && !slices.Equal(updated.Scopes, old.Scopes) {
		res.ReconnectToApply = true
	}
	err = s.Registry.Update(func(apps []App) ([]App, error) {
		i := findApp(apps, old.ID)
		if i < 0 {
			return nil, Failf(ErrNotFound, "%s was removed meanwhile", old.ProviderName)
		}
		if err := nameFree(apps, updated.ProviderName, old.ID); err != nil {
			return nil, err
		}
		// Keep connection facts another process may have written since we read them.
		if !res.TokensDropped {
			updated.Accounts, updated.DefaultAccount = slices.Clone(apps[i].Accounts), apps[i].DefaultAccount
			for j := range updated.Accounts {
				updated.Accounts[j].ReconnectToApply = updated.Accounts[j].ReconnectToApply || res.ReconnectToApply
			}
		}
		updated.HasClientSecret = apps[i].HasClientSecret
		updated.Registration = apps[i].Registration
		apps[i] = updated
		return apps, nil
	})
	if err != nil {
		return EditResult{}, err
	}
	if secret.Clears() {
		if err := s.Secrets.Delete(clientSecretKey(updated.ID)); err != nil {
			return EditResult{}, err
		}
		updated.HasClientSecret = false
		_ = s.Registry.UpdateApp(updated.ID, func(a *App) error { a.HasClientSecret = false; return nil })
	} else if v, ok := secret.New(); ok {
		if err := s.setClientSecret(&updated, v); err != nil {
			return EditResult{}, fmt.Errorf("%s was saved, but its client secret was not stored: %w", updated.ProviderName, err)
		}
	}
	res.App = updated
	return res, nil
}

// Remove revokes (unless localOnly) and deletes the app and its secrets; a client this
// program registered is deleted at the provider too (RFC 7592), unless localOnly. A failed
// revocation or deletion at the provider removes nothing.
func (s *Service) Remove(ctx context.Context, name string, localOnly bool) error {
	app, err := s.Registry.Find(name)
	if err != nil {
		return err
	}
	unlock, err := s.lockAccounts(ctx, &app)
	if err != nil {
		return err
	}
	defer unlock()
	if !localOnly && len(app.Accounts) > 0 {
		if err := s.revokeStored(ctx, &app); err != nil {
			return fail.Failf(nil, "%w; nothing was removed", err).With(fail.ForgetLocallyOnly(app.ProviderName, "app"))
		}
	}
	if !localOnly && app.Registration != nil && app.Registration.ClientURI != "" {
		if err := s.deleteRegistration(ctx, &app); err != nil {
			return fail.Failf(nil, "%w; nothing was removed", err).With(fail.ForgetLocallyOnly(app.ProviderName, "app"))
		}
	}
	for _, key := range append(tokenKeys(&app), clientSecretKey(app.ID), registrationTokenKey(app.ID)) {
		if err := s.Secrets.Delete(key); err != nil {
			return fmt.Errorf("%s: its secrets could not be deleted, so it was kept: %w", app.ProviderName, err)
		}
	}
	return s.Registry.Update(func(apps []App) ([]App, error) {
		return slices.DeleteFunc(apps, func(a App) bool { return a.ID == app.ID }), nil
	})
}

// DisconnectResult says whether the provider was told.
type DisconnectResult struct {
	Revoked      bool   // the provider revoked the token
	NotRevokedAs string // why not, when not (no endpoint, local only, nothing held)
}

// Disconnect disconnects the app's default account (DisconnectFor).
func (s *Service) Disconnect(ctx context.Context, name string, localOnly bool) (DisconnectResult, error) {
	return s.DisconnectFor(ctx, name, "", localOnly)
}

// DisconnectFor revokes the tokens of the account named (as TokenFor) at the provider
// (refresh token, else access token) and deletes them and the account here; the app's other
// accounts are untouched. If revocation fails nothing is deleted.
func (s *Service) DisconnectFor(ctx context.Context, name, account string, localOnly bool) (DisconnectResult, error) {
	app, acct, err := s.findAccount(name, account)
	if err != nil {
		return DisconnectResult{}, err
	}
	if acct == nil {
		acct = &Account{ID: AnonymousAccount} // nothing held; any stray tokens still go
	}
	unlock, err := lockFile(ctx, s.accountLock(app.ID, acct.ID), lockWait)
	if err != nil {
		return DisconnectResult{}, err
	}
	defer unlock()
	res := DisconnectResult{}
	switch {
	case localOnly:
		res.NotRevokedAs = "local only, as asked"
	case app.RevocationURI == "":
		res.NotRevokedAs = "the provider has no revocation endpoint; the tokens stay valid there until they expire"
	default:
		ts, err := s.readTokens(&app, acct)
		switch {
		case errors.Is(err, ErrNotConnected):
			res.NotRevokedAs = "no tokens were held"
		case err != nil:
			return res, err
		default:
			if err := s.revoke(ctx, &app, ts); err != nil {
				return res, fail.Failf(nil, "%w; nothing was deleted", err).With(fail.ForgetLocallyOnly(app.ProviderName, "tokens"))
			}
			res.Revoked = true
		}
	}
	if err := s.Secrets.Delete(tokensKey(app.ID, acct.ID)); err != nil {
		return res, err
	}
	if acct.LegacyTokens {
		if err := s.Secrets.Delete(legacyTokensKey(app.ID)); err != nil {
			return res, err
		}
	}
	if err := s.Registry.UpdateApp(app.ID, func(a *App) error { a.DropAccount(acct.ID); return nil }); err != nil {
		return res, err
	}
	s.fire(&app, acct.Label(), EventDisconnected, nil)
	return res, nil
}

// revokeStored revokes whatever tokens are held for each of app's accounts, if it has a
// revocation endpoint; the first failure stops it.
func (s *Service) revokeStored(ctx context.Context, app *App) error {
	if app.RevocationURI == "" {
		return nil
	}
	for i := range app.Accounts {
		ts, err := s.readTokens(app, &app.Accounts[i])
		if errors.Is(err, ErrNotConnected) {
			continue
		}
		if err != nil {
			return err
		}
		if err := s.revoke(ctx, app, ts); err != nil {
			return err
		}
	}
	return nil
}

// clientSecret reads the secret only when the auth method sends one.
func (s *Service) clientSecret(app *App) (string, error) {
	if !app.EffectiveAuthMethod().SendsSecret() || !app.HasClientSecret {
		return "", nil
	}
	secret, err := s.Secrets.Get(clientSecretKey(app.ID))
	if errors.Is(err, ErrNotFound) {
		return "", Failf(ErrClientRejected, "%s: its client secret is missing from the keyring", app.ProviderName).With(fail.SetSecretOf(app.ProviderName))
	}
	return secret, err
}

// RegistryPath is apps.json's path, for the window's Settings and its change watch.
func (s *Service) RegistryPath() string { return s.Registry.Path() }

// Clock is the service's notion of now (injected in tests).
func (s *Service) Clock() time.Time { return s.Now() }

// client is s.HTTP with the redirect policy; every request of the service goes through it.
func (s *Service) client() *http.Client { return oauth.Client(s.HTTP) }
