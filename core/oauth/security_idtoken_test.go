package oauth

import (
	"context"
	"errors"
	"testing"
	"time"

	"connectedapps/core/oauth/oauthtest"
)

// OpenID Connect Core 3.1.3.7: with several audiences, azp must be this client; an azp that
// names another client is refused whatever the audiences.
func TestIDTokenAuthorizedPartyIsChecked(t *testing.T) {
	s := oauthtest.NewProvider(t)
	now := time.Now()
	app := &App{ProviderName: "P", ClientID: "client-1", JWKSURI: s.At(oauthtest.JWKSPath), Issuer: "https://idp.example"}
	claims := func(aud any, azp string) map[string]any {
		c := map[string]any{"iss": "https://idp.example", "sub": "u", "aud": aud, "exp": now.Add(time.Hour).Unix(), "iat": now.Unix()}
		if azp != "" {
			c["azp"] = azp
		}
		return c
	}
	for name, c := range map[string]struct {
		claims map[string]any
		ok     bool
	}{
		"several audiences, no azp":              {claims([]string{"client-1", "other"}, ""), false},
		"several audiences, azp another client":  {claims([]string{"client-1", "other"}, "other"), false},
		"one audience, azp another client":       {claims("client-1", "other"), false},
		"several audiences, azp this client":     {claims([]string{"other", "client-1"}, "client-1"), true},
		"one audience, no azp":                   {claims("client-1", ""), true},
		"one audience in a list, azp the client": {claims([]string{"client-1"}, "client-1"), true},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := VerifyIDToken(context.Background(), s.Client(), app, s.Sign(c.claims), "", time.Now)
			if c.ok {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			fltAssertMessage(t, err, "P: the provider's ID token was issued to another client", "not to the client ID client-1", "refused", "check the client ID")
			if !errors.Is(err, errInvalid) {
				t.Errorf("not errInvalid: %v", err)
			}
		})
	}
}
