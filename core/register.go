package core

import (
	"context"
	"errors"
	"fmt"
	"os"

	"connectedapps/core/fail"
	"connectedapps/core/oauth"
)

// Hostname names this computer in a registered client's name ("Connected Apps on HOSTNAME"),
// so the person can tell it among the provider's clients.
func hostname() string {
	h, _ := os.Hostname()
	return h
}

// CanRegister says app's provider advertised a registration endpoint (RFC 7591), so Add
// can register its client instead of the person copying a client ID from a console.
func CanRegister(app *App) bool { return app.RegistrationEndpoint != "" }

// AddRegistered is Add for an app whose client is registered at the provider first (RFC 7591):
// app comes without a client ID; the provider's client ID is stored in the document, with
// the registration_client_uri and the fact that it was registered here; a client secret and
// the registration access token go to the secret store only. initialAccessToken, where the
// provider requires one, is sent once and kept nowhere. When the app cannot be saved after
// the provider registered its client, the registration is deleted again (best effort), so no
// client is left at the provider that nothing here knows of.
func (s *Service) AddRegistered(ctx context.Context, app App, initialAccessToken string) (App, error) {
	if app.ID == "" {
		app.ID = newID()
	}
	// The document is checked before the provider is asked, with the client ID it will get.
	probe := app
	probe.ClientID = "registering"
	if err := probe.Validate(); err != nil {
		return App{}, err
	}
	apps, err := s.Registry.Load()
	if err != nil {
		return App{}, err
	}
	if err := nameFree(apps, app.ProviderName, ""); err != nil {
		return App{}, err
	}
	if app.CallbackPath == "" {
		// Chosen now, since the provider is given the redirect URI it is part of; register
		// keeps it.
		app.CallbackPath = NewCallbackPath(app.ProviderName, apps)
	}
	reg, err := oauth.Register(ctx, s.HTTP, &app, hostname(), initialAccessToken)
	if err != nil {
		if reg != nil {
			s.undoRegistration(ctx, &app, reg)
		}
		return App{}, err
	}
	app.ClientID = reg.ClientID
	app.TokenEndpointAuthMethod = reg.AuthMethod
	app.Registration = &Registration{ClientURI: reg.RegistrationClientURI, ClientName: reg.ClientName,
		RegisteredAt: s.Now().UTC(), HasAccessToken: reg.RegistrationAccessToken != ""}
	if reg.RegistrationAccessToken != "" {
		// Stored before the document, so a document that names a registration always has the
		// token that deletes it (a crash between the two leaves only an unused secret).
		if err := s.Secrets.Set(registrationTokenKey(app.ID), reg.RegistrationAccessToken); err != nil {
			s.undoRegistration(ctx, &app, reg)
			return App{}, fail.Failf(nil, "%s: the provider registered client %s, but its registration access token could not be stored, so it was deleted again and nothing was added: %w",
				app.ProviderName, reg.ClientID, err)
		}
	}
	var secret *string
	if reg.ClientSecret != "" {
		secret = &reg.ClientSecret
	}
	saved, err := s.register(app, secret)
	if err != nil && saved.ID == "" {
		s.undoRegistration(ctx, &app, reg)
		_ = s.Secrets.Delete(registrationTokenKey(app.ID))
		return App{}, err
	}
	return saved, err
}

// undoRegistration deletes a registration nothing here will keep, when the provider allows it.
func (s *Service) undoRegistration(ctx context.Context, app *App, reg *oauth.ClientRegistration) {
	if reg.RegistrationClientURI == "" || reg.RegistrationAccessToken == "" {
		return
	}
	if err := oauth.DeleteRegistration(ctx, s.HTTP, app, reg.RegistrationClientURI, reg.RegistrationAccessToken); err != nil {
		s.Log.Warn("a registered client could not be deleted again", "app", app.ProviderName, "client_id", reg.ClientID, "err", err.Error())
	}
}

// deleteRegistration deletes the registration of a client this program registered, at the
// provider, with the registration access token from the secret store.
func (s *Service) deleteRegistration(ctx context.Context, app *App) error {
	token, err := s.Secrets.Get(registrationTokenKey(app.ID))
	if errors.Is(err, ErrNotFound) {
		token, err = "", nil
	}
	if err != nil {
		return fmt.Errorf("%s: its registration access token cannot be read, so the registration was not deleted at the provider: %w", app.ProviderName, err)
	}
	return oauth.DeleteRegistration(ctx, s.HTTP, app, app.Registration.ClientURI, token)
}

// DeletesRegistration says removing app (not only here) deletes its client at the provider.
func DeletesRegistration(app *App) bool {
	return app.Registration != nil && app.Registration.ClientURI != ""
}

// RegisterResult says what registering a client for a saved app did beyond saving its ID.
type RegisterResult struct {
	App App
	// Dropped names the accounts whose tokens were deleted: they belonged to the old client,
	// which the new one cannot use, so each must connect again.
	Dropped           []string
	RevocationProblem string // why the dropped tokens could not be revoked at the provider
}

// RegisterExisting registers a client at the provider (RFC 7591) for the saved app named,
// whose client ID is then the provider's: the app keeps its ID, name, callback path, hooks and
// settings; a client secret and the registration access token go to the secret store, and an
// old client secret is deleted. Tokens the accounts got with the old client are useless with
// the new one, so they are revoked (best effort, with the old client) and deleted, and the
// accounts forgotten (Dropped names them). An app whose client this program registered
// already is refused: replacing it would leave that client at the provider, or delete one
// that may still be used elsewhere; removing the app deletes it. If anything fails after the
// provider registered the client, the registration is deleted again and the app is unchanged.
// An app saved without a registration endpoint but with a discovery URL is discovered first.
func (s *Service) RegisterExisting(ctx context.Context, name, initialAccessToken string) (RegisterResult, error) {
	old, err := s.Registry.Find(name)
	if err != nil {
		return RegisterResult{}, err
	}
	if old.Registration != nil {
		return RegisterResult{}, Failf(ErrInvalid, "%s: its client %s was registered at the provider by this program already; to register another, delete the app (which deletes that client there) and add it again",
			old.ProviderName, old.ClientID)
	}
	unlock, err := s.lockAccounts(ctx, &old)
	if err != nil {
		return RegisterResult{}, err
	}
	defer unlock()
	app := old
	app.ClientID = ""
	var md *ProviderMetadata
	if app.RegistrationEndpoint == "" && app.OpenIDConfiguration != "" {
		// Saved while the provider's discovery document could not be read (an import, a preset
		// made offline): read now, it may name a registration endpoint.
		if md, err = s.Discover(ctx, app.OpenIDConfiguration, app.Issuer); err != nil {
			return RegisterResult{}, err
		}
		app.FillFromMetadata(md)
	}
	reg, err := oauth.Register(ctx, s.HTTP, &app, hostname(), initialAccessToken)
	if err != nil {
		if reg != nil {
			s.undoRegistration(ctx, &app, reg)
		}
		return RegisterResult{}, forSavedApp(err)
	}
	undo := func() {
		s.undoRegistration(ctx, &app, reg)
		_ = s.Secrets.Delete(registrationTokenKey(app.ID))
	}
	if reg.RegistrationAccessToken != "" {
		if err := s.Secrets.Set(registrationTokenKey(app.ID), reg.RegistrationAccessToken); err != nil {
			s.undoRegistration(ctx, &app, reg)
			return RegisterResult{}, fail.Failf(nil, "%s: the provider registered client %s, but its registration access token could not be stored, so it was deleted again and nothing was changed: %w",
				app.ProviderName, reg.ClientID, err)
		}
	}
	res := RegisterResult{}
	if len(old.Accounts) > 0 {
		if err := s.revokeStored(ctx, &old); err != nil {
			res.RevocationProblem = err.Error()
		}
		if err := s.deleteAllTokens(&old); err != nil {
			undo()
			return RegisterResult{}, fmt.Errorf("%s: the old client's tokens could not be deleted, so the new client was deleted again and nothing was changed: %w", old.ProviderName, err)
		}
		for i := range old.Accounts {
			res.Dropped = append(res.Dropped, old.Accounts[i].Label())
		}
	}
	app.ClientID = reg.ClientID
	app.TokenEndpointAuthMethod = reg.AuthMethod
	app.Registration = &Registration{ClientURI: reg.RegistrationClientURI, ClientName: reg.ClientName,
		RegisteredAt: s.Now().UTC(), HasAccessToken: reg.RegistrationAccessToken != ""}
	app.Accounts, app.DefaultAccount, app.HasClientSecret = nil, "", false
	err = s.Registry.UpdateApp(app.ID, func(a *App) error {
		if md != nil {
			a.FillFromMetadata(md)
		}
		a.ClientID, a.TokenEndpointAuthMethod, a.Registration = app.ClientID, app.TokenEndpointAuthMethod, app.Registration
		a.Accounts, a.DefaultAccount, a.HasClientSecret = nil, "", false
		return nil
	})
	if err != nil {
		undo()
		return RegisterResult{}, fail.Failf(nil, "%s: the new client could not be saved, so it was deleted again at the provider: %w", app.ProviderName, err)
	}
	for _, label := range res.Dropped {
		s.fire(&old, label, EventDisconnected, nil)
	}
	if reg.ClientSecret != "" {
		if err := s.setClientSecret(&app, reg.ClientSecret); err != nil {
			res.App = app
			return res, fail.Failf(nil, "%s: client %s was registered and saved, but its client secret was not stored: %w", app.ProviderName, app.ClientID, err).With(fail.SetSecretOf(app.ProviderName))
		}
	} else if old.HasClientSecret {
		// The old client's secret is nothing to the new public client.
		if err := s.Secrets.Delete(clientSecretKey(app.ID)); err != nil {
			s.Log.Warn("the old client's secret could not be deleted", "app", app.ProviderName, "err", err.Error())
		}
	}
	res.App = app
	return res, nil
}

// forSavedApp makes the remedies a failed registration asks (an initial access token, a client
// registered by hand) ones about a saved app, which the front ends word for it.
func forSavedApp(err error) error {
	for e := err; e != nil; e = errors.Unwrap(e) {
		if fe, ok := e.(*fail.Error); ok && (fe.Remedy.Do == fail.GiveInitialToken || fe.Remedy.Do == fail.RegisterByHand) {
			fe.Remedy.Field = fail.SavedApp
		}
	}
	return err
}
