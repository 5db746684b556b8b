package oauth

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"connectedapps/core/oauth/oauthtest"
)

// newDiscoveryServer is a provider serving doc (built from its own URL) at the well-known path.
func newDiscoveryServer(t *testing.T, doc func(base string) any) *oauthtest.Provider {
	t.Helper()
	p := oauthtest.NewProvider(t)
	p.Handle(WellKnownSuffix, func(w http.ResponseWriter, _ int, _ oauthtest.Request) { oauthtest.JSON(w, http.StatusOK, doc(p.URL)) })
	return p
}

func fullDiscoveryDoc(base string) ProviderMetadata {
	return ProviderMetadata{
		Issuer:                            base,
		AuthorizationEndpoint:             base + "/authorize",
		TokenEndpoint:                     base + "/token",
		UserinfoEndpoint:                  base + "/userinfo",
		JWKSURI:                           base + "/jwks",
		RevocationEndpoint:                base + "/revoke",
		IntrospectionEndpoint:             base + "/introspect",
		DeviceAuthorizationEndpoint:       base + "/device",
		RegistrationEndpoint:              base + "/register",
		ScopesSupported:                   []string{"openid", "email", "profile", "offline_access"},
		CodeChallengeMethodsSupported:     []string{"S256", "plain"},
		TokenEndpointAuthMethodsSupported: []string{"client_secret_basic", "client_secret_post", "none"},

		AuthorizationResponseIssParameterSupported: true,
	}
}

// assertDiscoveryError checks the one-line rule and that the message names the URL and says
// what was wrong.
func assertDiscoveryError(t *testing.T, err error, docURL string, want ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("Discover succeeded; want an error mentioning %q", want)
	}
	msg := err.Error()
	t.Log(msg)
	if strings.ContainsAny(msg, "\r\n") {
		t.Errorf("error is not one line: %q", msg)
	}
	if !strings.Contains(msg, docURL) {
		t.Errorf("error does not name the URL %q: %q", docURL, msg)
	}
	for _, w := range want {
		if !strings.Contains(msg, w) {
			t.Errorf("error does not say %q: %q", w, msg)
		}
	}
}

func TestDiscoveryURL(t *testing.T) {
	tests := []struct {
		in, doc, issuer string
	}{
		{"https://idp.example.com", "https://idp.example.com/.well-known/openid-configuration", "https://idp.example.com"},
		{"https://idp.example.com/", "https://idp.example.com/.well-known/openid-configuration", "https://idp.example.com"},
		{"https://idp.example.com/realms/demo", "https://idp.example.com/realms/demo/.well-known/openid-configuration", "https://idp.example.com/realms/demo"},
		{"https://idp.example.com/realms/demo/", "https://idp.example.com/realms/demo/.well-known/openid-configuration", "https://idp.example.com/realms/demo"},
		{"https://idp.example.com/.well-known/openid-configuration", "https://idp.example.com/.well-known/openid-configuration", "https://idp.example.com"},
		{"https://login.example.com/tenant/v2.0/.well-known/openid-configuration", "https://login.example.com/tenant/v2.0/.well-known/openid-configuration", "https://login.example.com/tenant/v2.0"},
		{"  https://idp.example.com  ", "https://idp.example.com/.well-known/openid-configuration", "https://idp.example.com"},
		{"http://127.0.0.1:8080", "http://127.0.0.1:8080/.well-known/openid-configuration", "http://127.0.0.1:8080"},
		{"http://localhost:8080/", "http://localhost:8080/.well-known/openid-configuration", "http://localhost:8080"},
	}
	for _, tt := range tests {
		doc, issuer, err := DiscoveryURL(tt.in)
		if err != nil {
			t.Errorf("DiscoveryURL(%q): %v", tt.in, err)
			continue
		}
		if doc != tt.doc || issuer != tt.issuer {
			t.Errorf("DiscoveryURL(%q) = %q, %q; want %q, %q", tt.in, doc, issuer, tt.doc, tt.issuer)
		}
	}
}

// Microsoft documents discovery URLs with a query (".../.well-known/openid-configuration?appid=ID"
// for apps with their own signing keys); the query belongs to the document's URL, not the issuer.
func TestDiscoveryURLKeepsQuery(t *testing.T) {
	in := "https://login.microsoftonline.com/common/v2.0/.well-known/openid-configuration?appid=6731de76-14a6-49ae-97bc-6eba6914391e"
	doc, issuer, err := DiscoveryURL(in)
	if err != nil {
		t.Fatalf("DiscoveryURL(%q): %v", in, err)
	}
	if doc != in || issuer != "https://login.microsoftonline.com/common/v2.0" {
		t.Errorf("DiscoveryURL(%q) = %q, %q; want the URL unchanged and issuer %q", in, doc, issuer, "https://login.microsoftonline.com/common/v2.0")
	}
}

func TestDiscoveryURLRejects(t *testing.T) {
	for _, in := range []string{"", "idp.example.com", "ftp://idp.example.com", "http://idp.example.com", "/relative/path"} {
		if doc, _, err := DiscoveryURL(in); err == nil {
			t.Errorf("DiscoveryURL(%q) = %q; want an error", in, doc)
		} else if strings.ContainsAny(err.Error(), "\n") {
			t.Errorf("DiscoveryURL(%q) error is not one line: %q", in, err)
		}
	}
}

func TestDiscoverFillsEveryField(t *testing.T) {
	srv := newDiscoveryServer(t, func(base string) any { return fullDiscoveryDoc(base) })
	for _, in := range []string{srv.URL, srv.URL + "/", srv.URL + WellKnownSuffix} {
		md, err := Discover(context.Background(), srv.Client(), in, "")
		if err != nil {
			t.Fatalf("Discover(%q): %v", in, err)
		}
		want := fullDiscoveryDoc(srv.URL)
		if !reflect.DeepEqual(*md, want) {
			t.Errorf("Discover(%q) =\n%+v\nwant\n%+v", in, *md, want)
		}
	}
	if got := srv.Requests(WellKnownSuffix)[0].Header.Get("Accept"); got != "application/json" {
		t.Errorf("Accept header = %q; want application/json", got)
	}
	// Every field of ProviderMetadata must have been filled by the document, so a field added
	// to the struct without a JSON name (or with a wrong one) shows up here.
	md, _ := Discover(context.Background(), srv.Client(), srv.URL, "")
	v := reflect.ValueOf(*md)
	for i := range v.NumField() {
		if v.Field(i).IsZero() {
			t.Errorf("field %s was not filled", v.Type().Field(i).Name)
		}
	}
}

func TestDiscoverAcceptsIssuerWithTrailingSlash(t *testing.T) {
	srv := newDiscoveryServer(t, func(base string) any {
		d := fullDiscoveryDoc(base)
		d.Issuer = base + "/"
		return d
	})
	md, err := Discover(context.Background(), srv.Client(), srv.URL, "")
	if err != nil {
		t.Fatalf("Discover: %v", err)
	}
	if md.Issuer != srv.URL+"/" {
		t.Errorf("Issuer = %q; want the document's own %q", md.Issuer, srv.URL+"/")
	}
}

func TestDiscoverMinimalDocument(t *testing.T) {
	srv := newDiscoveryServer(t, func(base string) any {
		return map[string]any{"issuer": base, "authorization_endpoint": base + "/a", "token_endpoint": base + "/t"}
	})
	md, err := Discover(context.Background(), srv.Client(), srv.URL, "")
	if err != nil {
		t.Fatalf("Discover: %v", err)
	}
	if md.AuthorizationEndpoint != srv.URL+"/a" || md.TokenEndpoint != srv.URL+"/t" || md.RevocationEndpoint != "" || md.ScopesSupported != nil {
		t.Errorf("Discover = %+v", md)
	}
}

func TestDiscoverNotFound(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	_, err := Discover(context.Background(), srv.Client(), srv.URL, "")
	assertDiscoveryError(t, err, srv.URL+WellKnownSuffix, "404")
}

func TestDiscoverHTMLPage(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		io.WriteString(w, "<!DOCTYPE html>\n<html>\n<head><title>Welcome</title></head>\n<body>\nLog in\n</body>\n</html>\n")
	}))
	defer srv.Close()
	_, err := Discover(context.Background(), srv.Client(), srv.URL, "")
	assertDiscoveryError(t, err, srv.URL+WellKnownSuffix, "not JSON")
}

func TestDiscoverMissingEndpoints(t *testing.T) {
	for name, doc := range map[string]func(base string) any{
		"no token endpoint": func(base string) any {
			return map[string]any{"issuer": base, "authorization_endpoint": base + "/a"}
		},
		"no authorization endpoint": func(base string) any {
			return map[string]any{"issuer": base, "token_endpoint": base + "/t"}
		},
		"empty object": func(string) any { return map[string]any{} },
	} {
		t.Run(name, func(t *testing.T) {
			srv := newDiscoveryServer(t, doc)
			_, err := Discover(context.Background(), srv.Client(), srv.URL, "")
			assertDiscoveryError(t, err, srv.URL+WellKnownSuffix, "authorization_endpoint", "token_endpoint")
		})
	}
}

func TestDiscoverIssuerMismatch(t *testing.T) {
	const templated = "https://login.example.com/{tenantid}/v2.0"
	srv := newDiscoveryServer(t, func(base string) any {
		d := fullDiscoveryDoc(base)
		d.Issuer = templated
		return d
	})
	_, err := Discover(context.Background(), srv.Client(), srv.URL, "")
	assertDiscoveryError(t, err, srv.URL+WellKnownSuffix, templated, "does not match", srv.URL)

	// Naming the issuer by hand accepts the document whose issuer differs from the URL.
	md, err := Discover(context.Background(), srv.Client(), srv.URL, templated)
	if err != nil {
		t.Fatalf("Discover with an explicit issuer: %v", err)
	}
	if md.Issuer != templated || md.TokenEndpoint != srv.URL+"/token" {
		t.Errorf("Discover with an explicit issuer = %+v", md)
	}
}

func TestDiscoverUnusableEndpoint(t *testing.T) {
	srv := newDiscoveryServer(t, func(base string) any {
		d := fullDiscoveryDoc(base)
		d.RevocationEndpoint = "http://idp.example.com/revoke" // plain http off loopback
		return d
	})
	_, err := Discover(context.Background(), srv.Client(), srv.URL, "")
	assertDiscoveryError(t, err, srv.URL+WellKnownSuffix, "revocation_endpoint", "http://idp.example.com/revoke")
}

func TestDiscoverTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select { // longer than the client waits; ends as soon as the client gives up
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer srv.Close()
	defer close(release)
	hc := &http.Client{Timeout: 200 * time.Millisecond}
	_, err := Discover(context.Background(), hc, srv.URL, "")
	assertDiscoveryError(t, err, srv.URL+WellKnownSuffix, "timeout")
}

func TestDiscoverContextDeadline(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer srv.Close()
	defer close(release)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := Discover(ctx, srv.Client(), srv.URL, "")
	assertDiscoveryError(t, err, srv.URL+WellKnownSuffix, "timeout")
}

func TestDiscoverUntrustedCertificate(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Error("the request reached the handler despite an untrusted certificate")
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake is expected
	srv.StartTLS()
	defer srv.Close()
	_, err := Discover(context.Background(), nil, srv.URL, "")
	assertDiscoveryError(t, err, srv.URL+WellKnownSuffix, "TLS certificate not trusted")
	_, err = Discover(context.Background(), &http.Client{}, srv.URL, "")
	assertDiscoveryError(t, err, srv.URL+WellKnownSuffix, "not trusted")
}

func TestDiscoverOverTrustedTLS(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		base := "https://" + r.Host
		_ = json.NewEncoder(w).Encode(fullDiscoveryDoc(base))
	}))
	defer srv.Close()
	md, err := Discover(context.Background(), srv.Client(), srv.URL, "")
	if err != nil {
		t.Fatalf("Discover over TLS with the server's own client: %v", err)
	}
	if md.Issuer != srv.URL {
		t.Errorf("Issuer = %q; want %q", md.Issuer, srv.URL)
	}
}

func TestDiscoverConnectionRefused(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	_, err := Discover(context.Background(), &http.Client{}, url, "")
	assertDiscoveryError(t, err, url+WellKnownSuffix, "cannot connect")
}

// roundTripFunc lets a test see whether any request was attempted.
type discoveryRoundTripFunc func(*http.Request) (*http.Response, error)

func (f discoveryRoundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestDiscoverRefusesPlainHTTPOffLoopback(t *testing.T) {
	var mu sync.Mutex
	requests := 0
	hc := &http.Client{Transport: discoveryRoundTripFunc(func(r *http.Request) (*http.Response, error) {
		mu.Lock()
		requests++
		mu.Unlock()
		return nil, errors.New("no request should have been made")
	})}
	for _, in := range []string{"http://idp.example.com", "http://idp.example.com/.well-known/openid-configuration", "http://10.0.0.1:8080/"} {
		_, err := Discover(context.Background(), hc, in, "")
		if err == nil {
			t.Fatalf("Discover(%q) succeeded; want plain http refused", in)
		}
		msg := err.Error()
		if strings.ContainsAny(msg, "\r\n") || !strings.Contains(msg, strings.TrimSuffix(strings.TrimSuffix(in, "/"), WellKnownSuffix)) || !strings.Contains(msg, "https") {
			t.Errorf("Discover(%q) error = %q; want one line naming the URL and advising https", in, msg)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if requests != 0 {
		t.Errorf("%d request(s) were made; want none", requests)
	}
}

func TestApplyMetadata(t *testing.T) {
	md := fullDiscoveryDoc("https://idp.example.com")
	md.RevocationEndpoint = ""    // not advertised
	md.IntrospectionEndpoint = "" // not advertised
	app := newApp("Example")
	app.ClientID = "client-1"
	app.AuthorizationURI = "https://old.example.com/authorize"
	app.TokenURI = "https://old.example.com/token"
	app.RevocationURI = "https://hand.example.com/revoke"
	app.Scopes = []string{"openid", "email"}
	app.ApplyMetadata(&md, "https://idp.example.com/.well-known/openid-configuration")

	checks := []struct{ field, got, want string }{
		{"OpenIDConfiguration", app.OpenIDConfiguration, "https://idp.example.com/.well-known/openid-configuration"},
		{"AuthorizationURI", app.AuthorizationURI, md.AuthorizationEndpoint},
		{"TokenURI", app.TokenURI, md.TokenEndpoint},
		{"UserinfoURI", app.UserinfoURI, md.UserinfoEndpoint},
		{"JWKSURI", app.JWKSURI, md.JWKSURI},
		{"DeviceAuthorizationURI", app.DeviceAuthorizationURI, md.DeviceAuthorizationEndpoint},
		{"RevocationURI", app.RevocationURI, "https://hand.example.com/revoke"},
		{"IntrospectionURI", app.IntrospectionURI, ""},
		{"Issuer", app.Issuer, "https://idp.example.com"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q; want %q", c.field, c.got, c.want)
		}
	}
	if !slices.Equal(app.ScopesSupported, md.ScopesSupported) ||
		!slices.Equal(app.CodeChallengeMethodsSupported, md.CodeChallengeMethodsSupported) ||
		!slices.Equal(app.TokenEndpointAuthMethodsSupported, md.TokenEndpointAuthMethodsSupported) {
		t.Errorf("supported lists not copied: %v %v %v", app.ScopesSupported, app.CodeChallengeMethodsSupported, app.TokenEndpointAuthMethodsSupported)
	}
	if !app.IssParameterSupported {
		t.Error("authorization_response_iss_parameter_supported was not kept: a sign-in answer without iss would be taken")
	}
	if !slices.Equal(app.Scopes, []string{"openid", "email"}) {
		t.Errorf("Scopes changed to %v", app.Scopes)
	}
	if err := app.Validate(); err != nil {
		t.Errorf("the app is not valid after ApplyMetadata: %v", err)
	}

	// A hand-named issuer (Microsoft's multi-tenant case) is kept.
	app2 := newApp("Hand")
	app2.Issuer = "https://login.example.com/0000-1111/v2.0"
	md2 := md
	md2.Issuer = "https://login.example.com/{tenantid}/v2.0"
	app2.ApplyMetadata(&md2, "https://login.example.com/common/v2.0/.well-known/openid-configuration")
	if app2.Issuer != "https://login.example.com/0000-1111/v2.0" {
		t.Errorf("hand-given Issuer replaced by %q", app2.Issuer)
	}
}

func TestUnsupportedScopes(t *testing.T) {
	tests := []struct {
		scopes, supported, want []string
	}{
		{[]string{"openid", "custom"}, nil, nil}, // nothing advertised: no advice
		{[]string{"openid", "email"}, []string{"openid", "email", "profile"}, nil},
		{[]string{"openid", "custom", "email", "other"}, []string{"openid", "email"}, []string{"custom", "other"}},
		{nil, []string{"openid"}, nil},
		{[]string{"Email"}, []string{"email"}, []string{"Email"}}, // scopes are case-sensitive
	}
	for _, tt := range tests {
		app := App{Scopes: tt.scopes, ScopesSupported: tt.supported}
		if got := app.UnsupportedScopes(); !slices.Equal(got, tt.want) {
			t.Errorf("UnsupportedScopes(%v, supported %v) = %v; want %v", tt.scopes, tt.supported, got, tt.want)
		}
	}
}
