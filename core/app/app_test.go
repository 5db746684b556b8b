package app

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"connectedapps/core/fail"
)

// appTestValid is a complete, valid document that each case below breaks in one place.
func appTestValid() App {
	a := NewApp("Example")
	a.ClientID = "client-123"
	a.AuthorizationURI = "https://idp.example.com/authorize"
	a.TokenURI = "https://idp.example.com/token"
	a.Scopes = []string{"openid", "email"}
	a.QueryParameters = []QueryParameter{{Key: "prompt", Value: "consent"}}
	return a
}

// appTestWantField checks err is a *ValidationError for field, that it is fail.ErrInvalid, and that
// the one line a person reads starts with the JSON field name.
func appTestWantField(t *testing.T, err error, field string) *ValidationError {
	t.Helper()
	if err == nil {
		t.Fatalf("Validate() = nil, want an error naming %q", field)
	}
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("Validate() = %T %v, want *ValidationError", err, err)
	}
	if ve.Field != field {
		t.Fatalf("Validate() field = %q (%v), want %q", ve.Field, err, field)
	}
	if !errors.Is(err, fail.ErrInvalid) {
		t.Errorf("errors.Is(%v, fail.ErrInvalid) = false", err)
	}
	if !strings.HasPrefix(err.Error(), field+": ") {
		t.Errorf("error %q does not start with the field name %q", err, field)
	}
	if strings.ContainsAny(err.Error(), "\r\n") {
		t.Errorf("error %q is not one line", err)
	}
	return ve
}

func TestNewAppDefaults(t *testing.T) {
	a := NewApp("Example")
	if a.ProviderName != "Example" || a.RedirectHost != HostIPv4 || a.RedirectPort != DefaultRedirectPort ||
		!a.PKCE || a.TokenEndpointAuthMethod != AuthMethodAuto || a.GrantType != GrantAuthorizationCode {
		t.Errorf("NewApp defaults = %+v", a)
	}
	if len(a.ID) != 16 {
		t.Errorf("ID %q: want 16 hex characters", a.ID)
	}
	if a.Scopes == nil || a.QueryParameters == nil {
		t.Errorf("Scopes and QueryParameters must be empty, not nil (JSON [] not null): %+v", a)
	}
	if b := NewApp("Example"); b.ID == a.ID {
		t.Errorf("two apps got the same ID %q", a.ID)
	}
}

func TestValidateAcceptsAValidApp(t *testing.T) {
	a := appTestValid()
	if err := a.Validate(); err != nil {
		t.Fatalf("Validate() = %v", err)
	}
	// Every optional endpoint set, every loopback form and the edge ports are fine too.
	a.OpenIDConfiguration = "https://idp.example.com/.well-known/openid-configuration"
	a.RevocationURI = "http://127.0.0.1:9000/revoke"
	a.UserinfoURI = "http://localhost:9000/userinfo"
	a.IntrospectionURI = "http://[::1]:9000/introspect"
	a.DeviceAuthorizationURI = "https://idp.example.com/device"
	a.Issuer = "https://idp.example.com"
	a.JWKSURI = "https://idp.example.com/jwks"
	for _, host := range []string{HostIPv4, HostLocalhost, HostIPv6} {
		for _, port := range []int{0, 1, 8765, 65535} {
			for _, m := range []AuthMethod{AuthMethodAuto, AuthMethodBasic, AuthMethodPost, AuthMethodNone} {
				a.RedirectHost, a.RedirectPort, a.TokenEndpointAuthMethod = host, port, m
				if err := a.Validate(); err != nil {
					t.Errorf("host %s port %d method %s: Validate() = %v", host, port, m, err)
				}
			}
		}
	}
	a = appTestValid()
	a.Scopes = []string{"https://www.googleapis.com/auth/drive.readonly", "offline_access"}
	a.QueryParameters = []QueryParameter{{Key: "access_type", Value: "offline"}, {Key: "prompt", Value: ""}}
	if err := a.Validate(); err != nil {
		t.Errorf("URL scopes and ordinary extra parameters: Validate() = %v", err)
	}
	a.Scopes, a.QueryParameters = nil, nil
	if err := a.Validate(); err != nil {
		t.Errorf("no scopes and no extra parameters: Validate() = %v", err)
	}
}

func TestValidateNamesTheField(t *testing.T) {
	cases := []struct {
		name   string
		field  string
		change func(a *App)
	}{
		{"empty name", "provider_name", func(a *App) { a.ProviderName = "" }},
		{"name with edge spaces", "provider_name", func(a *App) { a.ProviderName = " Example" }},
		{"empty client id", "client_id", func(a *App) { a.ClientID = "" }},
		{"blank client id", "client_id", func(a *App) { a.ClientID = "  \t" }},
		{"no authorization uri", "authorization_uri", func(a *App) { a.AuthorizationURI = "" }},
		{"no token uri", "token_uri", func(a *App) { a.TokenURI = "" }},
		{"relative authorization uri", "authorization_uri", func(a *App) { a.AuthorizationURI = "/authorize" }},
		{"ftp token uri", "token_uri", func(a *App) { a.TokenURI = "ftp://idp.example.com/token" }},
		{"scope with a space", "scopes", func(a *App) { a.Scopes = []string{"openid profile"} }},
		{"scope with a tab", "scopes", func(a *App) { a.Scopes = []string{"openid", "a\tb"} }},
		{"scope with a newline", "scopes", func(a *App) { a.Scopes = []string{"a\n"} }},
		{"scope with a no-break space", "scopes", func(a *App) { a.Scopes = []string{"a\u00a0b"} }},
		{"empty scope", "scopes", func(a *App) { a.Scopes = []string{"openid", ""} }},
		{"extra parameter without key", "query_parameters", func(a *App) { a.QueryParameters = []QueryParameter{{Key: " ", Value: "x"}} }},
		{"non-loopback redirect host", "redirect_host", func(a *App) { a.RedirectHost = "example.com" }},
		{"any-address redirect host", "redirect_host", func(a *App) { a.RedirectHost = "0.0.0.0" }},
		{"bare ipv6 redirect host", "redirect_host", func(a *App) { a.RedirectHost = "::1" }},
		{"empty redirect host", "redirect_host", func(a *App) { a.RedirectHost = "" }},
		{"negative port", "redirect_port", func(a *App) { a.RedirectPort = -1 }},
		{"port too large", "redirect_port", func(a *App) { a.RedirectPort = 65536 }},
		{"unknown auth method", "token_endpoint_auth_method", func(a *App) { a.TokenEndpointAuthMethod = "private_key_jwt" }},
		{"unsupported grant", "grant_type", func(a *App) { a.GrantType = "password" }},
		{"empty grant", "grant_type", func(a *App) { a.GrantType = "" }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := appTestValid()
			c.change(&a)
			appTestWantField(t, a.Validate(), c.field)
		})
	}
}

func TestValidateURLFieldsAreHTTPSOrLoopbackHTTP(t *testing.T) {
	fields := map[string]func(a *App) *string{
		"openid_configuration":     func(a *App) *string { return &a.OpenIDConfiguration },
		"authorization_uri":        func(a *App) *string { return &a.AuthorizationURI },
		"token_uri":                func(a *App) *string { return &a.TokenURI },
		"revocation_uri":           func(a *App) *string { return &a.RevocationURI },
		"userinfo_uri":             func(a *App) *string { return &a.UserinfoURI },
		"introspection_uri":        func(a *App) *string { return &a.IntrospectionURI },
		"device_authorization_uri": func(a *App) *string { return &a.DeviceAuthorizationURI },
		"issuer":                   func(a *App) *string { return &a.Issuer },
		"jwks_uri":                 func(a *App) *string { return &a.JWKSURI },
	}
	refused := []string{
		"http://idp.example.com/x",           // clear text to another machine
		"http://localhost.example.com/x",     // looks like loopback, is not
		"http://127.0.0.1.nip.io/x",          // likewise
		"http://10.0.0.1/x",                  // private, not loopback
		"not a url",                          //
		"idp.example.com/x",                  // no scheme
		"https:///x",                         // no host
		"file:///etc/passwd",                 //
		"javascript://idp.example.com/alert", //
	}
	accepted := []string{
		"https://idp.example.com/x",
		"https://idp.example.com:8443/x?a=b",
		"http://127.0.0.1/x",
		"http://127.0.0.1:9000/x",
		"http://127.1.2.3:9000/x", // all of 127/8 is loopback
		"http://localhost:9000/x",
		"http://[::1]:9000/x",
	}
	for field, ptr := range fields {
		for _, raw := range refused {
			a := appTestValid()
			*ptr(&a) = raw
			ve := appTestWantField(t, a.Validate(), field)
			if !strings.Contains(ve.Message, raw) {
				t.Errorf("%s = %q: message %q does not quote the URL", field, raw, ve.Message)
			}
		}
		for _, raw := range accepted {
			a := appTestValid()
			*ptr(&a) = raw
			if err := a.Validate(); err != nil {
				t.Errorf("%s = %q: Validate() = %v", field, raw, err)
			}
		}
	}
	a := appTestValid()
	a.TokenURI = "http://idp.example.com/token"
	if ve := appTestWantField(t, a.Validate(), "token_uri"); !strings.Contains(ve.Message, "https") {
		t.Errorf("plain-http message %q should tell the person to use https", ve.Message)
	}
}

func TestValidateReservedExtraParameters(t *testing.T) {
	for _, key := range []string{"client_id", "redirect_uri", "response_type", "state", "nonce",
		"code_challenge", "code_challenge_method", "scope"} {
		a := appTestValid()
		a.QueryParameters = append(a.QueryParameters, QueryParameter{Key: key, Value: "x"})
		ve := appTestWantField(t, a.Validate(), "query_parameters")
		if !strings.Contains(ve.Message, `"`+key+`"`) {
			t.Errorf("reserved %q: message %q does not name the parameter", key, ve.Message)
		}
	}
}

func TestValidateScopeMessageQuotesTheScope(t *testing.T) {
	a := appTestValid()
	a.Scopes = []string{"openid email profile"}
	ve := appTestWantField(t, a.Validate(), "scopes")
	if !strings.Contains(ve.Message, `"openid email profile"`) {
		t.Errorf("message %q does not quote the scope", ve.Message)
	}
}

func TestValidateName(t *testing.T) {
	good := []string{"Google", "Google Workspace (work)", "Zoë's IdP", "日本", "x", strings.Repeat("a", 100)}
	for _, n := range good {
		if err := ValidateName(n); err != nil {
			t.Errorf("ValidateName(%q) = %v", n, err)
		}
	}
	bad := []string{"", "   ", "\t", " Google", "Google ", "Google\n", strings.Repeat("a", 101),
		"Goo\x00gle", "Goo\ngle", "Goo\x1bgle", "Goo\u0085gle"}
	for _, n := range bad {
		err := ValidateName(n)
		if err == nil {
			t.Errorf("ValidateName(%q) = nil, want an error", n)
			continue
		}
		appTestWantField(t, err, "provider_name")
	}
}

// A provider name is counted in characters, as its message says: 60 CJK characters (180
// bytes) are well under "100 characters".
func TestValidateNameCountsCharactersNotBytes(t *testing.T) {
	name := strings.Repeat("日", 60)
	if err := ValidateName(name); err != nil {
		t.Errorf("ValidateName(60 characters, %d bytes) = %v; want nil (the limit is 100 characters)", len(name), err)
	}
	if err := ValidateName(strings.Repeat("日", 101)); err == nil {
		t.Errorf("ValidateName(101 characters) = nil, want an error")
	}
}

func TestRedirectURI(t *testing.T) {
	cases := []struct {
		host string
		port int
		want string
	}{
		{HostIPv4, 8765, "http://127.0.0.1:8765/callback"},
		{HostLocalhost, 1, "http://localhost:1/callback"},
		{HostIPv6, 65535, "http://[::1]:65535/callback"},
		{HostIPv4, 0, "http://127.0.0.1/callback (any port)"},
		{HostIPv6, 0, "http://[::1]/callback (any port)"},
	}
	for _, c := range cases {
		a := App{RedirectHost: c.host, RedirectPort: c.port}
		if got := a.RedirectURI(); got != c.want {
			t.Errorf("RedirectURI(%s, %d) = %q, want %q", c.host, c.port, got, c.want)
		}
	}
	a := App{RedirectHost: HostIPv6, RedirectPort: 0}
	if got, want := a.RedirectURIForPort(49152), "http://[::1]:49152/callback"; got != want {
		t.Errorf("RedirectURIForPort = %q, want %q", got, want)
	}
	a = App{RedirectHost: HostLocalhost, RedirectPort: 8765}
	if got, want := a.RedirectURIForPort(9999), "http://localhost:9999/callback"; got != want {
		t.Errorf("RedirectURIForPort ignores the configured port: got %q, want %q", got, want)
	}
}

func TestEffectiveAuthMethod(t *testing.T) {
	cases := []struct {
		name      string
		method    AuthMethod
		secret    bool
		supported []string
		want      AuthMethod
	}{
		{"auto, public client", AuthMethodAuto, false, nil, AuthMethodNone},
		{"auto, public client, post only", AuthMethodAuto, false, []string{string(AuthMethodPost)}, AuthMethodNone},
		{"empty means auto", "", false, nil, AuthMethodNone},
		{"empty with secret", "", true, nil, AuthMethodBasic},
		{"auto, secret, no metadata", AuthMethodAuto, true, nil, AuthMethodBasic},
		{"auto, secret, both", AuthMethodAuto, true, []string{string(AuthMethodPost), string(AuthMethodBasic)}, AuthMethodBasic},
		{"auto, secret, basic only", AuthMethodAuto, true, []string{string(AuthMethodBasic)}, AuthMethodBasic},
		{"auto, secret, post only", AuthMethodAuto, true, []string{string(AuthMethodPost)}, AuthMethodPost},
		{"auto, secret, post and jwt", AuthMethodAuto, true, []string{"private_key_jwt", string(AuthMethodPost)}, AuthMethodPost},
		{"auto, secret, jwt only", AuthMethodAuto, true, []string{"private_key_jwt"}, AuthMethodBasic},
		{"explicit basic, no secret", AuthMethodBasic, false, nil, AuthMethodBasic},
		{"explicit basic over post-only metadata", AuthMethodBasic, true, []string{string(AuthMethodPost)}, AuthMethodBasic},
		{"explicit post over basic-only metadata", AuthMethodPost, true, []string{string(AuthMethodBasic)}, AuthMethodPost},
		{"explicit none with a secret", AuthMethodNone, true, nil, AuthMethodNone},
	}
	for _, c := range cases {
		a := App{TokenEndpointAuthMethod: c.method, HasClientSecret: c.secret, TokenEndpointAuthMethodsSupported: c.supported}
		if got := a.EffectiveAuthMethod(); got != c.want {
			t.Errorf("%s: EffectiveAuthMethod() = %q, want %q", c.name, got, c.want)
		}
	}
}

func TestPKCEMethod(t *testing.T) {
	cases := []struct {
		pkce      bool
		supported []string
		want      string
	}{
		{false, nil, ""},
		{false, []string{"S256"}, ""},
		{true, nil, "S256"},
		{true, []string{"S256"}, "S256"},
		{true, []string{"plain", "S256"}, "S256"},
		{true, []string{"plain"}, "S256"}, // plain would put the verifier itself in the link
		{true, []string{"S512"}, "S256"},
	}
	for _, c := range cases {
		a := App{PKCE: c.pkce, CodeChallengeMethodsSupported: c.supported}
		if got := a.PKCEMethod(); got != c.want {
			t.Errorf("PKCE %v supported %v: PKCEMethod() = %q, want %q", c.pkce, c.supported, got, c.want)
		}
	}
}

func TestState(t *testing.T) {
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	at := func(d time.Duration) *time.Time { x := now.Add(d); return &x }
	cases := []struct {
		name string
		conn *Connection
		want ConnectionState
	}{
		{"never connected", nil, StateNotConnected},
		{"empty state", &Connection{}, StateNotConnected},
		{"connected, no expiry", &Connection{State: StateConnected}, StateConnected},
		{"connected, valid", &Connection{State: StateConnected, ExpiresAt: at(time.Second)}, StateConnected},
		{"connected, expires right now", &Connection{State: StateConnected, ExpiresAt: at(0)}, StateExpired},
		{"connected, expired", &Connection{State: StateConnected, ExpiresAt: at(-time.Hour)}, StateExpired},
		{"connected, expired, refreshable", &Connection{State: StateConnected, ExpiresAt: at(-time.Hour), HasRefreshToken: true}, StateExpired},
		{"needs reauth, expired", &Connection{State: StateNeedsReauth, ExpiresAt: at(-time.Hour)}, StateNeedsReauth},
		{"needs reauth, valid", &Connection{State: StateNeedsReauth, ExpiresAt: at(time.Hour)}, StateNeedsReauth},
		{"client rejected", &Connection{State: StateClientRejected}, StateClientRejected},
		{"client rejected, expired", &Connection{State: StateClientRejected, ExpiresAt: at(-time.Hour)}, StateClientRejected},
	}
	for _, c := range cases {
		a := App{}
		a.SetConnection(c.conn)
		if got := a.State(now); got != c.want {
			t.Errorf("%s: State() = %q, want %q", c.name, got, c.want)
		}
	}
	// The same document changes state as the injected clock passes the expiry; a zone
	// difference does not matter.
	a := App{}
	a.SetConnection(&Connection{State: StateConnected, ExpiresAt: at(time.Minute)})
	paris := time.FixedZone("CET", 3600)
	if got := a.State(now.Add(59 * time.Second).In(paris)); got != StateConnected {
		t.Errorf("a second before expiry: %q", got)
	}
	if got := a.State(now.Add(61 * time.Second).In(paris)); got != StateExpired {
		t.Errorf("a second after expiry: %q", got)
	}
}

func TestUsesOpenID(t *testing.T) {
	if (&App{Scopes: []string{"email", "openid"}}).UsesOpenID() != true {
		t.Error("openid in scopes: UsesOpenID() = false")
	}
	if (&App{Scopes: []string{"email", "openid2", "OPENID"}}).UsesOpenID() != false {
		t.Error("no exact openid scope: UsesOpenID() = true")
	}
}

func TestMarshalJSONAddsRedirectURIAndRoundTrips(t *testing.T) {
	connected := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	expires := connected.Add(time.Hour)
	a := appTestValid()
	a.RedirectHost, a.RedirectPort = HostLocalhost, 9000
	a.Issuer = "https://idp.example.com"
	a.ScopesSupported = []string{"openid", "email"}
	a.HasClientSecret = true
	a.SetConnection(&Connection{State: StateConnected, ExpiresAt: &expires, Subject: "sub-1", Email: "a@example.com",
		GrantedScopes: []string{"openid"}, HasRefreshToken: true, ConnectedAt: connected})

	for _, v := range []any{a, &a} { // value and pointer both use the method
		data, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(data, &m); err != nil {
			t.Fatal(err)
		}
		if got := m["redirect_uri"]; got != "http://localhost:9000/callback" {
			t.Errorf("redirect_uri = %v in %s", got, data)
		}
		for _, k := range []string{"id", "provider_name", "client_id", "scopes", "query_parameters", "redirect_host",
			"redirect_port", "pkce", "token_endpoint_auth_method", "grant_type", "has_client_secret", "accounts", "default_account"} {
			if _, ok := m[k]; !ok {
				t.Errorf("JSON lacks %q: %s", k, data)
			}
		}
		var back App
		if err := json.Unmarshal(data, &back); err != nil {
			t.Fatalf("Unmarshal of MarshalJSON output: %v", err)
		}
		if !reflect.DeepEqual(back, a) {
			t.Errorf("round trip changed the document:\n got %+v\nwant %+v", back, a)
		}
	}

	a.RedirectPort = 0
	data, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), `"redirect_uri":"http://localhost/callback (any port)"`) {
		t.Errorf("port 0: %s", data)
	}
	// An empty document still marshals, and shows [] rather than null for a new app's lists.
	data, err = json.Marshal(NewApp("x"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), `"scopes":[]`) || !strings.Contains(string(data), `"query_parameters":[]`) {
		t.Errorf("new app: %s", data)
	}
	if strings.Contains(string(data), `"connection"`) {
		t.Errorf("never-connected app shows a connection: %s", data)
	}
}

func TestUnmarshalIgnoresRedirectURI(t *testing.T) {
	var a App
	err := json.Unmarshal([]byte(`{"provider_name":"x","redirect_host":"127.0.0.1","redirect_port":1234,"redirect_uri":"http://evil.example.com/cb"}`), &a)
	if err != nil {
		t.Fatal(err)
	}
	if got := a.RedirectURI(); got != "http://127.0.0.1:1234/callback" {
		t.Errorf("RedirectURI() = %q: the stored redirect_uri must not matter", got)
	}
}

func TestSplitScopes(t *testing.T) {
	cases := []struct {
		in   []string
		want []string
	}{
		{nil, []string{}},
		{[]string{""}, []string{}},
		{[]string{"   "}, []string{}},
		{[]string{"openid"}, []string{"openid"}},
		{[]string{"openid email profile"}, []string{"openid", "email", "profile"}},
		{[]string{"openid", "email", "profile"}, []string{"openid", "email", "profile"}},
		{[]string{"openid email", "email profile", "openid"}, []string{"openid", "email", "profile"}},
		{[]string{"  a\tb\nc  "}, []string{"a", "b", "c"}},
		{[]string{"B a", "A b"}, []string{"B", "a", "A", "b"}}, // scopes are case-sensitive; order kept
	}
	for _, c := range cases {
		got := SplitScopes(c.in...)
		if got == nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("SplitScopes(%q) = %#v, want %#v", c.in, got, c.want)
		}
	}
}
