package core

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
)

// signedInIdentity says who signed in, once tokens are in hand. With openid the ID token is
// required and verified (nonce "" skips the nonce check, for the device flow, which has none);
// without openid a userinfo-style endpoint is asked, as GitHub's https://api.github.com/user
// is the only way to learn who approved a GitHub app.
func (s *Service) signedInIdentity(ctx context.Context, app *App, ts *TokenSet, nonce string) (Identity, error) {
	if !app.UsesOpenID() {
		if app.UserinfoURI == "" {
			return Identity{}, nil
		}
		return s.userinfoIdentity(ctx, app, ts), nil
	}
	if ts.IDToken == "" {
		return Identity{}, Failf(ErrInvalid, "%s: the provider sent no ID token although openid was asked for: check the scopes", app.ProviderName)
	}
	id, err := verifyIDToken(ctx, s.HTTP, app, ts.IDToken, nonce, s.Now)
	if err != nil {
		return Identity{}, err
	}
	if id.Name == "" && id.Email == "" && app.UserinfoURI != "" {
		id = s.completeIdentity(ctx, app, ts, id)
	}
	return id, nil
}

// userinfoIdentity reads who holds the access token from the userinfo URI of an app without
// ID tokens. It is only shown to the person, never used to decide anything, so any failure
// leaves the identity empty rather than failing a sign-in that worked.
func (s *Service) userinfoIdentity(ctx context.Context, app *App, ts *TokenSet) Identity {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, app.UserinfoURI, nil)
	if err != nil {
		return Identity{}
	}
	req.Header.Set("Authorization", ts.Type()+" "+ts.AccessToken)
	req.Header.Set("Accept", "application/json")
	raw, err := s.doJSON(app, "userinfo", req)
	if err != nil {
		s.Log.Debug("userinfo after sign-in failed; no identity shown", "app", app.ProviderName, "error", err)
		return Identity{}
	}
	return identityFromUserinfo(raw)
}

// identityFromUserinfo reads OpenID userinfo claims and GitHub's /user shape alike (numeric
// id, login as the user name).
func identityFromUserinfo(raw json.RawMessage) Identity {
	var c struct {
		Sub               string          `json:"sub"`
		ID                json.RawMessage `json:"id"`
		Name              string          `json:"name"`
		PreferredUsername string          `json:"preferred_username"`
		Login             string          `json:"login"`
		Email             string          `json:"email"`
	}
	if json.Unmarshal(raw, &c) != nil {
		return Identity{}
	}
	id := cleanIdentity(Identity{Subject: c.Sub, Name: c.Name, Email: c.Email})
	if id.Subject == "" && len(c.ID) > 0 {
		var n json.Number
		var str string
		if json.Unmarshal(c.ID, &n) == nil {
			id.Subject = n.String()
		} else if json.Unmarshal(c.ID, &str) == nil {
			id.Subject = CleanText(str)
		}
	}
	for _, alt := range []string{CleanText(c.PreferredUsername), CleanText(c.Login)} {
		if id.Name == "" {
			id.Name = alt
		}
	}
	if _, err := strconv.ParseFloat(id.Name, 64); err == nil && id.Name == id.Subject {
		id.Name = "" // a bare number says nothing a person recognises
	}
	return id
}

// cleanIdentity strips control characters from what a provider says about who signed in.
func cleanIdentity(id Identity) Identity {
	return Identity{Issuer: CleanText(id.Issuer), Subject: CleanText(id.Subject), Name: CleanText(id.Name), Email: CleanText(id.Email)}
}
