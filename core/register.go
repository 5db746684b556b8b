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
// so the person can tell it among the provider's clients; a variable for the tests.
var Hostname = func() string {
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
	reg, err := oauth.Register(ctx, s.HTTP, &app, Hostname(), initialAccessToken)
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
