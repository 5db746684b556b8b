package e2e

import (
	"encoding/json"
	"strings"
	"testing"

	"connectedapps/core"
	"connectedapps/internal/testkit"
)

// inspect against the real provider and keyring: the ID token zitadel signed is verified with
// the key its JWKS serves, its at_hash matches the access token it came with, the opaque access
// token is told as encrypted, and neither inspect's text nor its JSON holds a token.
func TestInspectAgainstTheRealProvider(t *testing.T) {
	u := newUser(t)
	app := u.addNative("Inspected")
	u.ok("", "connect", "Inspected", "--timeout", "60s")
	ts, _ := storedTokens(t, app.ID)
	if ts.IDToken == "" || ts.RefreshToken == "" {
		t.Fatalf("the sign-in gave no ID or refresh token: %+v", ts.Scopes)
	}
	idJWT, err := core.DecodeJWT(ts.IDToken)
	if err != nil {
		t.Fatalf("the provider's ID token: %v", err)
	}

	var in core.Inspection
	jsonOut := u.ok("", "inspect", "Inspected", "--json")
	if err := json.Unmarshal([]byte(jsonOut), &in); err != nil {
		t.Fatalf("inspect --json: %v\n%s", err, jsonOut)
	}
	if in.ID == nil || in.ID.JWT == nil {
		t.Fatalf("inspect found no ID token:\n%s", jsonOut)
	}
	sig := in.ID.JWT.Signature
	if !sig.Verified || sig.Kid != idJWT.Header.Kid || sig.JWKSURI != app.JWKSURI || sig.Checked == "" {
		t.Errorf("the ID token's signature: %+v, want verified by key %q of %s", sig, idJWT.Header.Kid, app.JWKSURI)
	}
	if in.ID.JWT.Header.Alg != "RS256" || in.ID.Length != len(ts.IDToken) || in.ID.ExpiresAt == nil {
		t.Errorf("the ID token's facts: %+v", in.ID)
	}
	if sub := in.ID.JWT.Claim("sub"); string(sub) != `"id1"` {
		t.Errorf("the ID token's sub claim: %s", sub)
	}
	if h := in.AtHash; h == nil || (h.Present && !h.Matches) {
		t.Errorf("at_hash right after the sign-in: %+v", h)
	}
	// zitadel's bearer access tokens are encrypted to itself (JWE): nothing to read or verify.
	if in.Access.Kind != core.KindJWE || in.Access.JWT != nil || in.Access.Length != len(ts.AccessToken) || in.Access.ExpiresAt == nil {
		t.Errorf("the access token: %+v, want an encrypted one with its expiry", in.Access)
	}
	if !in.Refresh.Held || in.Refresh.Since == nil {
		t.Errorf("the refresh token: %+v", in.Refresh)
	}
	if strings.Join(in.Scopes.Requested, " ") != "openid profile email offline_access" || len(in.Scopes.Granted) == 0 {
		t.Errorf("scopes: %+v", in.Scopes)
	}

	text := u.ok("", "inspect", "Inspected")
	for _, want := range []string{"Access token: encrypted (JWE), ", "ID token: JWT, ", "  signature: verified with the key " + idJWT.Header.Kid + " of the JWKS at " + app.JWKSURI, "    sub", "Refresh token: held, since the sign-in at "} {
		if !strings.Contains(text, want) {
			t.Errorf("inspect's text lacks %q:\n%s", want, text)
		}
	}
	parts := strings.Split(ts.IDToken, ".")
	for _, out := range []string{text, jsonOut} {
		for _, secret := range []string{ts.AccessToken, ts.RefreshToken, ts.IDToken, parts[2]} {
			if strings.Contains(out, secret) {
				t.Errorf("inspect printed a token or a signature (%.10s…)", secret)
			}
		}
	}
}

// A client whose access tokens are JWTs: the access token is verified with the provider's
// key too, and the ID token's at_hash is of that JWT.
func TestInspectVerifiesAJWTAccessToken(t *testing.T) {
	u := newUser(t)
	u.ok("", "add", "Signed API", "--discovery", op.Issuer, "--client-id", testkit.JWTClientID,
		"--scope", "openid email offline_access", "--redirect-port", "0")
	app := u.show("Signed API")
	u.ok("", "connect", "Signed API", "--timeout", "60s")
	ts, _ := storedTokens(t, app.ID)
	var in core.Inspection
	if err := json.Unmarshal([]byte(u.ok("", "inspect", "Signed API", "--json")), &in); err != nil {
		t.Fatal(err)
	}
	if in.Access.Kind != core.KindJWT || in.Access.JWT == nil {
		t.Fatalf("the access token: %+v, want a JWT", in.Access)
	}
	sig := in.Access.JWT.Signature
	if !sig.Verified || sig.Kid == "" || sig.JWKSURI != app.JWKSURI || sig.Checked != "" {
		t.Errorf("the JWT access token's signature: %+v", sig)
	}
	if sub := in.Access.JWT.Claim("sub"); string(sub) != `"id1"` {
		t.Errorf("the access token's sub: %s", sub)
	}
	if in.ID == nil || in.ID.JWT == nil || !in.ID.JWT.Signature.Verified || in.ID.JWT.Signature.Kid != sig.Kid {
		t.Errorf("the ID token: %+v", in.ID)
	}
	if h := in.AtHash; h == nil || (h.Present && !h.Matches) {
		t.Errorf("at_hash against the JWT access token: %+v", h)
	}
	text := u.ok("", "inspect", "Signed API")
	if !strings.Contains(text, "Access token: JWT, ") || strings.Count(text, "signature: verified with the key "+sig.Kid) != 2 {
		t.Errorf("inspect's text:\n%s", text)
	}
	for _, secret := range []string{ts.AccessToken, ts.RefreshToken, ts.IDToken, strings.Split(ts.AccessToken, ".")[2]} {
		if strings.Contains(text, secret) {
			t.Errorf("inspect printed a token or a signature (%.10s…)", secret)
		}
	}

	// After a refresh the access token is new: if the provider kept the ID token, its at_hash
	// no longer matches and inspect says why; if it sent a new one, it matches again.
	u.ok("", "refresh", "Signed API")
	if err := json.Unmarshal([]byte(u.ok("", "inspect", "Signed API", "--json")), &in); err != nil {
		t.Fatal(err)
	}
	if h := in.AtHash; h != nil && h.Present && !h.Matches && h.Why != core.AtHashBeforeRefresh {
		t.Errorf("at_hash after a refresh: %+v", h)
	}
	if in.Refresh.LastRefreshed == nil || !in.Access.JWT.Signature.Verified {
		t.Errorf("after a refresh: %+v %+v", in.Refresh, in.Access.JWT.Signature)
	}
}
