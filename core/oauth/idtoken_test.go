package oauth

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"connectedapps/core/oauth/oauthtest"
)

const (
	tenantA = "72f988bf-86f1-41af-91ab-2d7cd011db47"
	tenantB = "9188040d-6c67-4c5b-b112-36a304b66dad"
)

func TestMultiTenantIssuerIsCheckedAgainstTid(t *testing.T) {
	s := oauthtest.NewProvider(t)
	now := time.Now()
	app := &App{ProviderName: "Entra", ClientID: "client-1", JWKSURI: s.At(oauthtest.JWKSPath),
		Issuer: "https://login.microsoftonline.com/{tenantid}/v2.0"}
	if !app.MultiTenantIssuer() {
		t.Fatal("a {tenantid} issuer is not seen as multi-tenant")
	}
	claims := func(iss, tid string) map[string]any {
		c := map[string]any{"iss": iss, "sub": "user-1", "aud": "client-1", "exp": now.Add(time.Hour).Unix(), "iat": now.Unix(), "name": "Ada"}
		if tid != "" {
			c["tid"] = tid
		}
		return c
	}
	good := s.Sign(claims("https://login.microsoftonline.com/"+tenantA+"/v2.0", tenantA))
	id, err := VerifyIDToken(context.Background(), s.Client(), app, good, "", time.Now)
	if err != nil || id.Subject != "user-1" || id.Name != "Ada" {
		t.Fatalf("token of tenant A: %+v, %v", id, err)
	}
	for name, c := range map[string]struct {
		claims map[string]any
		words  string
	}{
		"iss of another tenant": {claims("https://login.microsoftonline.com/"+tenantB+"/v2.0", tenantA), "must be"},
		"no tid":                {claims("https://login.microsoftonline.com/"+tenantA+"/v2.0", ""), "no valid tenant"},
		"tid with a path":       {claims("https://login.microsoftonline.com/x/y/v2.0", "x/y"), "no valid tenant"},
		"another host":          {claims("https://evil.example/"+tenantA+"/v2.0", tenantA), "must be"},
		"template itself":       {claims("https://login.microsoftonline.com/{tenantid}/v2.0", tenantA), "must be"},
	} {
		_, err := VerifyIDToken(context.Background(), s.Client(), app, s.Sign(c.claims), "", time.Now)
		if !errors.Is(err, errInvalid) || !strings.Contains(err.Error(), c.words) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
	// A token for another client is still refused: only the issuer check changes.
	other := claims("https://login.microsoftonline.com/"+tenantA+"/v2.0", tenantA)
	other["aud"] = "someone-else"
	if _, err := VerifyIDToken(context.Background(), s.Client(), app, s.Sign(other), "", time.Now); err == nil {
		t.Error("a token for another audience passed")
	}
}

func TestFixedIssuerStillCheckedExactly(t *testing.T) {
	s := oauthtest.NewProvider(t)
	now := time.Now()
	app := &App{ProviderName: "P", ClientID: "c", JWKSURI: s.At(oauthtest.JWKSPath), Issuer: "https://idp.example"}
	tok := s.Sign(map[string]any{"iss": "https://other.example", "sub": "u", "aud": "c", "exp": now.Add(time.Hour).Unix(), "iat": now.Unix(), "tid": tenantA})
	if _, err := VerifyIDToken(context.Background(), s.Client(), app, tok, "", time.Now); !errors.Is(err, errInvalid) {
		t.Errorf("wrong issuer on a fixed-issuer app: %v", err)
	}
}

func TestTenantTemplateMatchesDiscoveryURL(t *testing.T) {
	const tmpl = "https://login.microsoftonline.com/{tenantid}/v2.0"
	for derived, want := range map[string]bool{
		"https://login.microsoftonline.com/common/v2.0":        true,
		"https://login.microsoftonline.com/organizations/v2.0": true,
		"https://login.microsoftonline.com/v2.0":               false,
		"https://login.microsoftonline.com/a/b/v2.0":           false,
		"https://evil.example/common/v2.0":                     false,
	} {
		if got := tenantTemplateMatches(tmpl, derived); got != want {
			t.Errorf("tenantTemplateMatches(%q) = %v, want %v", derived, got, want)
		}
	}
	if tenantTemplateMatches("https://idp.example", "https://idp.example") {
		t.Error("a plain issuer is not a template")
	}
}

func TestDiscoveryAcceptsTheMultiTenantTemplate(t *testing.T) {
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]string{"issuer": srv.URL + "/{tenantid}/v2.0",
			"authorization_endpoint": srv.URL + "/common/oauth2/v2.0/authorize", "token_endpoint": srv.URL + "/common/oauth2/v2.0/token",
			"jwks_uri": srv.URL + "/common/discovery/v2.0/keys"})
	}))
	defer srv.Close()
	md, err := Discover(context.Background(), srv.Client(), srv.URL+"/common/v2.0", "")
	if err != nil {
		t.Fatalf("Discover: %v", err)
	}
	app := newApp("Entra")
	app.ApplyMetadata(md, srv.URL+"/common/v2.0/.well-known/openid-configuration")
	if !app.MultiTenantIssuer() || app.Issuer != srv.URL+"/{tenantid}/v2.0" {
		t.Errorf("issuer after discovery = %q", app.Issuer)
	}
	app.ClientID = "c"
	if err := app.Validate(); err != nil {
		t.Errorf("a templated issuer fails validation: %v", err)
	}
}
