package oauth

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"connectedapps/core/oauth/oauthtest"
)

func inspectApp(p *oauthtest.Provider) *App {
	return &App{ProviderName: "P", ClientID: "c", Issuer: "https://idp.example", JWKSURI: p.At(oauthtest.JWKSPath)}
}

func idClaims(now time.Time, access string) map[string]any {
	c := map[string]any{"iss": "https://idp.example", "sub": "u", "aud": "c", "exp": now.Add(time.Hour).Unix(), "iat": now.Unix(), "auth_time": now.Add(-time.Minute).Unix(), "email": "ada@example.com"}
	if access != "" {
		h, _ := AtHashOf("RS256", access)
		c["at_hash"] = h
	}
	return c
}

func TestInspectVerifiesJWTsWithTheJWKS(t *testing.T) {
	p := oauthtest.NewProvider(t)
	now := time.Now().Truncate(time.Second)
	access := p.Sign(map[string]any{"iss": "https://idp.example", "sub": "u", "aud": "https://api.example", "exp": now.Add(time.Hour).Unix(), "scope": "read"})
	id := p.Sign(idClaims(now, access))
	got := InspectJWTs(context.Background(), p.Client(), inspectApp(p), access, id, func() time.Time { return now })
	if got.ID == nil || got.Access == nil {
		t.Fatalf("a JWT was not decoded: %+v", got)
	}
	for name, j := range map[string]*JWT{"ID": got.ID, "access": got.Access} {
		if !j.Signature.Verified || j.Signature.Kid != "k1" || j.Signature.JWKSURI != p.At(oauthtest.JWKSPath) || j.Signature.Reason != "" {
			t.Errorf("%s token: signature %+v, want verified by k1 of the JWKS", name, j.Signature)
		}
		if j.Header != (JWTHeader{Alg: "RS256", Kid: "k1", Typ: "JWT"}) {
			t.Errorf("%s token: header %+v", name, j.Header)
		}
	}
	if got.ID.Signature.Checked != "issuer, audience" {
		t.Errorf("ID token checked %q", got.ID.Signature.Checked)
	}
	var names []string
	for _, c := range got.ID.Claims {
		names = append(names, c.Name)
		if c.Name == "exp" && (c.Time == nil || !c.Time.Equal(now.Add(time.Hour))) {
			t.Errorf("exp read as %v", c.Time)
		}
		if c.Name == "email" && (c.Time != nil || string(c.Value) != `"ada@example.com"`) {
			t.Errorf("email claim %+v", c)
		}
	}
	if strings.Join(names, " ") != "at_hash aud auth_time email exp iat iss sub" {
		t.Errorf("claims %v: want every claim, sorted", names)
	}
	if got.AtHash == nil || !got.AtHash.Present || !got.AtHash.Matches {
		t.Errorf("at_hash %+v, want present and matching", got.AtHash)
	}
	if p.Count(oauthtest.JWKSPath) != 1 {
		t.Errorf("the JWKS was fetched %d times for two tokens", p.Count(oauthtest.JWKSPath))
	}
}

func TestInspectNeverPretendsToVerify(t *testing.T) {
	p := oauthtest.NewProvider(t)
	now := time.Now().Truncate(time.Second)
	app := inspectApp(p)
	clock := func() time.Time { return now }
	forgedAccess := oauthtest.SignUnknown(t, map[string]any{"sub": "u", "exp": now.Add(time.Hour).Unix()})
	forgedID := oauthtest.SignUnknown(t, idClaims(now, forgedAccess))
	got := InspectJWTs(context.Background(), p.Client(), app, forgedAccess, forgedID, clock)
	for name, j := range map[string]*JWT{"ID": got.ID, "access": got.Access} {
		if j == nil || j.Signature.Verified || j.Signature.Reason == "" {
			t.Errorf("forged %s token: %+v, want not verified with a reason", name, j)
		}
	}
	if got.ID.Signature.Why != WhyNoKey || got.Access.Signature.Why != WhyNoKey {
		t.Errorf("forged tokens' codes: %q %q", got.ID.Signature.Why, got.Access.Signature.Why)
	}
	if !strings.Contains(got.Access.Signature.Reason, "no key of the JWKS") {
		t.Errorf("forged access token's reason: %q", got.Access.Signature.Reason)
	}

	// An ID token for another client is not verified either, though its signature is good.
	other := idClaims(now, "")
	other["aud"] = "someone-else"
	got = InspectJWTs(context.Background(), p.Client(), app, "opaque-access", p.Sign(other), clock)
	if got.ID.Signature.Verified || got.ID.Signature.Why != WhyRefused || !strings.Contains(got.ID.Signature.Reason, "client ID") {
		t.Errorf("ID token for another audience: %+v", got.ID.Signature)
	}
	if got.Access != nil {
		t.Errorf("an opaque access token was decoded: %+v", got.Access)
	}

	// An expired ID token is still verified: its expiry is shown, not hidden behind a failure.
	old := idClaims(now.Add(-3*time.Hour), "")
	got = InspectJWTs(context.Background(), p.Client(), app, "x", p.Sign(old), clock)
	if !got.ID.Signature.Verified {
		t.Errorf("an expired but genuine ID token: %+v", got.ID.Signature)
	}

	// HS256 and alg none are never checked against the JWKS.
	enc := base64.RawURLEncoding.EncodeToString
	hs := enc([]byte(`{"alg":"HS256","typ":"JWT"}`)) + "." + enc([]byte(`{"sub":"u"}`)) + "." + enc([]byte("sig"))
	none := enc([]byte(`{"alg":"none"}`)) + "." + enc([]byte(`{"sub":"u"}`)) + "."
	got = InspectJWTs(context.Background(), p.Client(), app, hs, none, clock)
	if got.Access.Signature.Verified || !strings.Contains(got.Access.Signature.Reason, "HS256") {
		t.Errorf("HS256 access token: %+v", got.Access.Signature)
	}
	if got.ID.Signature.Verified || !strings.Contains(got.ID.Signature.Reason, "unsigned") {
		t.Errorf("alg none ID token: %+v", got.ID.Signature)
	}

	// No JWKS URI: nothing to check against.
	bare := *app
	bare.JWKSURI = ""
	got = InspectJWTs(context.Background(), p.Client(), &bare, p.Sign(map[string]any{"sub": "u"}), "", clock)
	if got.Access.Signature.Verified || !strings.Contains(got.Access.Signature.Reason, "no JWKS URI") {
		t.Errorf("no JWKS URI: %+v", got.Access.Signature)
	}
}

func TestInspectAtHashMismatch(t *testing.T) {
	p := oauthtest.NewProvider(t)
	now := time.Now().Truncate(time.Second)
	id := p.Sign(idClaims(now, "the-access-token-it-came-with"))
	got := InspectJWTs(context.Background(), p.Client(), inspectApp(p), "another-access-token", id, func() time.Time { return now })
	if got.AtHash == nil || !got.AtHash.Present || got.AtHash.Matches || got.AtHash.Why != AtHashMismatch || !strings.Contains(got.AtHash.Reason, "does not match") {
		t.Errorf("at_hash of another access token: %+v", got.AtHash)
	}
	if !got.ID.Signature.Verified {
		t.Errorf("the ID token itself is genuine: %+v", got.ID.Signature)
	}
	got = InspectJWTs(context.Background(), p.Client(), inspectApp(p), "a", p.Sign(idClaims(now, "")), func() time.Time { return now })
	if got.AtHash == nil || got.AtHash.Present || got.AtHash.Matches {
		t.Errorf("no at_hash: %+v", got.AtHash)
	}
}

func TestTokenKind(t *testing.T) {
	enc := base64.RawURLEncoding.EncodeToString
	jwe := enc([]byte(`{"alg":"RSA-OAEP","enc":"A256GCM"}`)) + ".a.b.c.d"
	for raw, want := range map[string]string{
		oauthtest.Sign(t, map[string]any{"sub": "u"}): KindJWT,
		jwe:                 KindJWE,
		"ya29.a0AfH6SMB-xx": KindOpaque,
		"a.b.c":             KindOpaque,
		enc([]byte(`{"typ":"JWT"}`)) + "." + enc([]byte(`{}`)) + ".x": KindOpaque, // no alg
	} {
		if got := TokenKind(raw); got != want {
			t.Errorf("TokenKind(%.20q) = %s, want %s", raw, got, want)
		}
	}
}

func TestAtHashOfKnownValue(t *testing.T) {
	// OpenID Connect Core, Appendix A.3: the access token and at_hash of its example.
	got, ok := AtHashOf("RS256", "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y")
	if !ok || got != "77QmUPtjPfzWtF2AnpK9RQ" {
		t.Errorf("at_hash = %q, want the spec's 77QmUPtjPfzWtF2AnpK9RQ", got)
	}
}

// A claim's value reads the same on the command line and in the window: a string without its
// quotes, anything else as compact JSON, and a provider's control characters never through.
func TestClaimValueText(t *testing.T) {
	for _, tc := range []struct{ raw, want string }{
		{`"alice@example.com"`, "alice@example.com"},
		{`1767225600`, "1767225600"},
		{`true`, "true"},
		{`["a", "b"]`, `["a","b"]`},
		{`{"b": 1, "a": {"c": null}}`, `{"a":{"c":null},"b":1}`},
		{`"evil\u001b]52;c;AAAA\u0007name"`, "evil]52;c;AAAAname"},
		{`{"x": "\u009b2J"}`, `{"x":"2J"}`},
	} {
		if got := (Claim{Name: "c", Value: json.RawMessage(tc.raw)}).ValueText(); got != tc.want {
			t.Errorf("ValueText(%s) = %q, want %q", tc.raw, got, tc.want)
		}
	}
}
