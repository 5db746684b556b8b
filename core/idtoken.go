package core

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
)

// Identity is who signed in, from a verified ID token.
type Identity struct {
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

// verifyIDToken checks signature (against the app's JWKS), issuer, audience, expiry and, when
// nonce is not empty, the nonce. An ID token that fails any of these is never trusted.
func verifyIDToken(ctx context.Context, hc *http.Client, app *App, raw, nonce string, now func() time.Time) (Identity, error) {
	if app.Issuer == "" || app.JWKSURI == "" {
		return Identity{}, Failf(ErrInvalid, "%s: cannot verify the ID token without an issuer and a JWKS URI: use `connectedapps edit %s --discovery URL`, or --issuer and --jwks-url", app.ProviderName, app.ProviderName)
	}
	ctx = oidc.ClientContext(ctx, httpClient(hc))
	keys := oidc.NewRemoteKeySet(ctx, app.JWKSURI)
	v := oidc.NewVerifier(app.Issuer, keys, &oidc.Config{ClientID: app.ClientID, Now: now})
	tok, err := v.Verify(ctx, raw)
	if err != nil {
		var expired *oidc.TokenExpiredError
		if errors.As(err, &expired) {
			return Identity{}, Failf(ErrInvalid, "%s: the provider's ID token has already expired (check this computer's clock)", app.ProviderName)
		}
		return Identity{}, Failf(ErrInvalid, "%s: the provider's ID token failed verification (%s): check the issuer and JWKS URI", app.ProviderName, oneLine(err.Error()))
	}
	if nonce != "" && tok.Nonce != nonce {
		return Identity{}, Failf(ErrInvalid, "%s: the ID token's nonce does not match this sign-in (a replayed token?): start connect again", app.ProviderName)
	}
	var claims struct {
		Name              string `json:"name"`
		PreferredUsername string `json:"preferred_username"`
		Email             string `json:"email"`
	}
	_ = tok.Claims(&claims) // the standard claims were already checked; these are optional
	id := Identity{Subject: tok.Subject, Name: claims.Name, Email: claims.Email}
	if id.Name == "" {
		id.Name = claims.PreferredUsername
	}
	return id, nil
}
