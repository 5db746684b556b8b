package app

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"connectedapps/core/fail"
)

// Redirect hosts a desktop client may listen on. "localhost" listens on both loopback
// families because a browser may resolve it to either.
const (
	HostIPv4      = "127.0.0.1"
	HostLocalhost = "localhost"
	HostIPv6      = "[::1]"

	DefaultRedirectPort = 8765
	// CallbackPath is the path every app had before each got its own, and the one an app
	// without callback_path (an apps.json from then) keeps, so nobody must re-register.
	CallbackPath = "/callback"
)

// AuthMethod is how the client authenticates at the token endpoint (the document's
// token_endpoint_auth_method, stored as the string).
type AuthMethod string

// Token endpoint authentication methods (RFC 8414 names), plus "auto".
const (
	AuthMethodAuto  AuthMethod = "auto"
	AuthMethodBasic AuthMethod = "client_secret_basic"
	AuthMethodPost  AuthMethod = "client_secret_post"
	AuthMethodNone  AuthMethod = "none"
)

// SendsSecret says the client secret goes with a token request: a public client (none)
// sends its client ID only. For "auto", ask App.EffectiveAuthMethod first.
func (m AuthMethod) SendsSecret() bool { return m != AuthMethodNone }

// InBody says the client's credentials go in the request body (client_secret_post, and the
// client ID of a public client), not the Authorization header.
func (m AuthMethod) InBody() bool { return m == AuthMethodPost || m == AuthMethodNone }

// Grant is how an app gets its tokens (the document's grant_type, stored as the string).
type Grant string

// Grant types. device_code is RFC 8628's urn:ietf:params:oauth:grant-type:device_code,
// shortened as people type it.
const (
	GrantAuthorizationCode Grant = "authorization_code"
	GrantDeviceCode        Grant = "device_code"
	GrantClientCredentials Grant = "client_credentials"
)

// NeedsBrowser says a person signs in in a browser on this machine, answering on the
// redirect URI (which must be registered with the provider).
func (g Grant) NeedsBrowser() bool { return g == GrantAuthorizationCode }

// SignsIn says a person signs in, so the tokens are theirs and a refresh token renews them.
// Client credentials are the client's own: nobody signs in, and a token is renewed by
// asking for a new one.
func (g Grant) SignsIn() bool { return g != GrantClientCredentials }

// QueryParameter is one "Extra Parameter" row, sent with the authorization request.
type QueryParameter struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// App is the Connected App document. JSON names follow Frappe's where Frappe has the field.
// It holds no secret: the client secret and tokens live in the secret.Store only.
type App struct {
	ID                      string           `json:"id"`
	ProviderName            string           `json:"provider_name"`
	OpenIDConfiguration     string           `json:"openid_configuration,omitempty"`
	ClientID                string           `json:"client_id"`
	AuthorizationURI        string           `json:"authorization_uri,omitempty"`
	TokenURI                string           `json:"token_uri,omitempty"`
	RevocationURI           string           `json:"revocation_uri,omitempty"`
	UserinfoURI             string           `json:"userinfo_uri,omitempty"`
	IntrospectionURI        string           `json:"introspection_uri,omitempty"`
	DeviceAuthorizationURI  string           `json:"device_authorization_uri,omitempty"`
	Issuer                  string           `json:"issuer,omitempty"`
	JWKSURI                 string           `json:"jwks_uri,omitempty"`
	Scopes                  []string         `json:"scopes"`
	QueryParameters         []QueryParameter `json:"query_parameters"`
	RedirectHost            string           `json:"redirect_host"`
	RedirectPort            int              `json:"redirect_port"`
	PKCE                    bool             `json:"pkce"`
	TokenEndpointAuthMethod AuthMethod       `json:"token_endpoint_auth_method"`
	GrantType               Grant            `json:"grant_type"`
	// GitHosts are the hosts (host or host:port, as git names them) `git-credential` hands the
	// token to; for any other host it answers nothing, so a remote elsewhere never gets it.
	GitHosts []string `json:"git_hosts,omitempty"`
	// OnEvent is the command run when the app is connected, refreshed, needs a new sign-in
	// or is disconnected: words split as a shell would (SplitCommand), run without one, told
	// the app, the event and the expiry in its environment and never a token.
	OnEvent string `json:"on_event,omitempty"`
	// PublishingStatus is where the provider keeps the app (Google: Testing or In
	// production), as the person says; "" is unknown. A preset's refresh-token rule that
	// holds only in Testing mode (RefreshLimit.OnlyWhen) is applied on that condition.
	PublishingStatus PublishingStatus `json:"publishing_status,omitempty"`
	// Preset names the provider preset the document was filled from, so a front end can show
	// that provider's quirks and registration page later.
	Preset string `json:"preset,omitempty"`

	// CallbackPath is the app's own redirect path, /callback/SLUG, fixed when the app is
	// registered (a rename keeps it, since the provider has it registered): an answer for
	// one app cannot be taken for another's (RFC 9700 section 4.4). Empty: /callback.
	CallbackPath string `json:"callback_path,omitempty"`

	// What discovery advertised; used to choose PKCE and auth methods and to advise on scopes.
	ScopesSupported                   []string `json:"scopes_supported,omitempty"`
	CodeChallengeMethodsSupported     []string `json:"code_challenge_methods_supported,omitempty"`
	TokenEndpointAuthMethodsSupported []string `json:"token_endpoint_auth_methods_supported,omitempty"`
	// IssParameterSupported: the provider puts iss in every authorization response
	// (RFC 9207), so an answer without it is refused.
	IssParameterSupported bool `json:"authorization_response_iss_parameter_supported,omitempty"`
	// RegistrationEndpoint is where the provider lets a client register itself (RFC 7591), as
	// discovery advertised it: the form's "Register a client for me" and add's registration
	// use it.
	RegistrationEndpoint string `json:"registration_endpoint,omitempty"`
	// Registration is set when this program registered the client (nil: it was registered by
	// hand in the provider's console). Its secrets (a client secret, the registration access
	// token) are in the secret store only.
	Registration *Registration `json:"registration,omitempty"`

	// HasClientSecret says a secret is in the keyring, so "auto" can be resolved and the
	// document shown without touching the keyring.
	HasClientSecret bool `json:"has_client_secret"`

	// Accounts are the people signed in to the app, each with its own tokens and state
	// (none: never connected); DefaultAccount is the ID of the one used when none is named
	// (empty: the first). See accounts.go.
	Accounts       []Account `json:"accounts,omitempty"`
	DefaultAccount string    `json:"default_account,omitempty"`
	// LegacyConnection is the one connection of an apps.json of before accounts: read, made
	// an account by UpgradeLegacy, never written (nil). Not a method (UnmarshalJSON): every
	// struct embedding App would then be decoded by it alone.
	LegacyConnection *Connection `json:"connection,omitempty"`
}

// ConnectionState is where an app's connection stands (stored as the string).
type ConnectionState string

// Connection states as stored. "expired" and "not_connected" are derived, see App.State.
const (
	StateConnected      ConnectionState = "connected"
	StateExpired        ConnectionState = "expired"
	StateNeedsReauth    ConnectionState = "needs_reauth"
	StateClientRejected ConnectionState = "client_rejected"
	StateNotConnected   ConnectionState = "not_connected"
)

// HasTokens says the app holds tokens a program can be given: valid ones, or expired ones
// that a refresh (or, for client credentials, a new request) renews.
func (s ConnectionState) HasTokens() bool { return s == StateConnected || s == StateExpired }

// Connection is what may be known about a connection without reading the keyring.
type Connection struct {
	State            ConnectionState `json:"state"`
	ExpiresAt        *time.Time      `json:"expires_at,omitempty"` // nil: the provider gave no expiry
	Subject          string          `json:"subject,omitempty"`
	Name             string          `json:"name,omitempty"`
	Email            string          `json:"email,omitempty"`
	GrantedScopes    []string        `json:"granted_scopes,omitempty"`
	HasRefreshToken  bool            `json:"has_refresh_token"`
	ConnectedAt      time.Time       `json:"connected_at"`
	RefreshedAt      *time.Time      `json:"refreshed_at,omitempty"`
	ReconnectToApply bool            `json:"reconnect_to_apply,omitempty"` // scopes changed since sign-in
	LastError        string          `json:"last_error,omitempty"`

	// When the refresh token held was issued (the sign-in, or a refresh that rotated it) and
	// last used (each successful refresh); nil: not recorded (a connection from before these
	// were kept), and no guess is made from other dates.
	RefreshTokenIssuedAt *time.Time `json:"refresh_token_issued_at,omitempty"`
	RefreshTokenUsedAt   *time.Time `json:"refresh_token_used_at,omitempty"`
}

// Registration is what may be known about a client this program registered (RFC 7591)
// without reading the secret store.
type Registration struct {
	// ClientURI is RFC 7592's registration_client_uri, where the registration is read and
	// deleted (with the registration access token); "" when the provider gave none, and then
	// the registration cannot be deleted from here.
	ClientURI    string    `json:"registration_client_uri,omitempty"`
	ClientName   string    `json:"client_name,omitempty"`
	RegisteredAt time.Time `json:"registered_at"`
	// HasAccessToken says the provider gave a registration access token (kept in the secret
	// store), without which the registration cannot be deleted.
	HasAccessToken bool `json:"has_registration_access_token"`
}

// NewApp returns a document with the defaults a person would expect.
func NewApp(name string) App {
	return App{
		ID:                      NewID(),
		ProviderName:            name,
		Scopes:                  []string{},
		QueryParameters:         []QueryParameter{},
		RedirectHost:            HostIPv4,
		RedirectPort:            DefaultRedirectPort,
		PKCE:                    true,
		TokenEndpointAuthMethod: AuthMethodAuto,
		GrantType:               GrantAuthorizationCode,
	}
}

// NewID is a fresh random document ID (16 hex digits).
func NewID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return hex.EncodeToString(b)
}

// State is the connection state a person sees; "expired" means the access token has run out
// (a refresh token may still renew it).
// It is the default account's.
func (a *App) State(now time.Time) ConnectionState { return a.Connection().StateAt(now) }

// RedirectURI is the exact URI to register with the provider. With port 0 the real port is
// chosen at connect time; RedirectURIForPort gives that one.
func (a *App) RedirectURI() string {
	if a.RedirectPort == 0 {
		return "http://" + a.RedirectHost + a.Callback() + " (any port)"
	}
	return a.RedirectURIForPort(a.RedirectPort)
}

// RedirectURIForPort builds http://HOST:PORT/callback/SLUG (or /callback for an older app).
func (a *App) RedirectURIForPort(port int) string {
	return "http://" + a.RedirectHost + ":" + strconv.Itoa(port) + a.Callback()
}

// Callback is the path the app's answers arrive on.
func (a *App) Callback() string {
	if a.CallbackPath == "" {
		return CallbackPath
	}
	return a.CallbackPath
}

// maxCallbackSlug keeps the path short enough to type into a provider's console.
const maxCallbackSlug = 40

// CallbackSlug is the lowercase ASCII form of a name for a callback path: letters and digits
// kept, every other run of characters one "-".
func CallbackSlug(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(r)
			dash = false
		} else {
			dash = true
		}
	}
	slug := strings.TrimRight(b.String()[:min(b.Len(), maxCallbackSlug)], "-")
	if slug == "" {
		return "app"
	}
	return slug
}

// NewCallbackPath is the path a new app named name gets, unique among apps.
func NewCallbackPath(name string, apps []App) string {
	base := CallbackPath + "/" + CallbackSlug(name)
	taken := func(p string) bool {
		return slices.ContainsFunc(apps, func(a App) bool { return a.Callback() == p })
	}
	path := base
	for n := 2; taken(path); n++ {
		path = base + "-" + strconv.Itoa(n)
	}
	return path
}

// ValidCallbackPath is /callback, or /callback/ and a slug as CallbackSlug makes them.
func ValidCallbackPath(p string) bool {
	if p == CallbackPath || p == "" {
		return true
	}
	slug, ok := strings.CutPrefix(p, CallbackPath+"/")
	return ok && slug != "" && len(slug) <= maxCallbackSlug+8 && !strings.HasPrefix(slug, "-") && !strings.HasSuffix(slug, "-") &&
		!strings.ContainsFunc(slug, func(r rune) bool { return !(r >= 'a' && r <= 'z') && !(r >= '0' && r <= '9') && r != '-' })
}

// UsesOpenID reports whether the app asks for an ID token.
func (a *App) UsesOpenID() bool { return slices.Contains(a.Scopes, "openid") }

// EffectiveAuthMethod resolves "auto": a public client (no secret) authenticates with
// client_id only; otherwise Basic, unless the provider lists only client_secret_post.
func (a *App) EffectiveAuthMethod() AuthMethod {
	if a.TokenEndpointAuthMethod != "" && a.TokenEndpointAuthMethod != AuthMethodAuto {
		return a.TokenEndpointAuthMethod
	}
	if !a.HasClientSecret {
		return AuthMethodNone
	}
	m := a.TokenEndpointAuthMethodsSupported
	if len(m) > 0 && !slices.Contains(m, string(AuthMethodBasic)) && slices.Contains(m, string(AuthMethodPost)) {
		return AuthMethodPost
	}
	return AuthMethodBasic
}

// PKCEMethod is the code challenge method to use, "" for none: always S256, whatever the
// provider lists. "plain" sends the verifier itself, readable wherever the authorization
// URL is (the browser's command line, its history), which is what PKCE is there to prevent.
func (a *App) PKCEMethod() string {
	if !a.PKCE {
		return ""
	}
	return "S256"
}

// OnlyPlainPKCEListed says discovery listed plain and not S256; we send S256 anyway.
func (a *App) OnlyPlainPKCEListed() bool {
	m := a.CodeChallengeMethodsSupported
	return len(m) > 0 && !slices.Contains(m, "S256") && slices.Contains(m, "plain")
}

// reservedParams are set by the flow itself; an extra parameter may not override them.
var reservedParams = []string{"client_id", "redirect_uri", "response_type", "state", "nonce",
	"code_challenge", "code_challenge_method", "scope"}

// Validate checks the document as a form would, naming the first wrong field.
func (a *App) Validate() error {
	if err := ValidateName(a.ProviderName); err != nil {
		return err
	}
	if strings.TrimSpace(a.ClientID) == "" {
		return &ValidationError{"client_id", "the client ID is required (the provider shows it when you register the client)"}
	}
	for _, f := range Endpoints() {
		v := *f.Text(a)
		if v == "" {
			continue
		}
		if err := CheckEndpointURL(v); err != nil {
			return &ValidationError{f.JSON, err.Error()}
		}
	}
	// Only the authorization code grant sends a browser to the authorization URI; the device
	// flow needs its own endpoint instead, and client credentials needs neither.
	switch a.GrantType {
	case GrantAuthorizationCode:
		if a.AuthorizationURI == "" {
			return missingEndpoint("authorization_uri")
		}
	case GrantDeviceCode:
		if a.DeviceAuthorizationURI == "" {
			return &ValidationError{"device_authorization_uri", "the device flow needs the provider's device authorization URI: use discovery or give it by hand"}
		}
	case GrantClientCredentials:
	default:
		return &ValidationError{"grant_type", fmt.Sprintf("unknown grant type %q: use authorization_code, device_code or client_credentials", a.GrantType)}
	}
	if a.TokenURI == "" {
		return missingEndpoint("token_uri")
	}
	for _, s := range a.Scopes {
		if s == "" || strings.ContainsFunc(s, unicode.IsSpace) {
			return &ValidationError{"scopes", fmt.Sprintf("scope %q must be one word without spaces; give each scope on its own", s)}
		}
	}
	for _, p := range a.QueryParameters {
		if strings.TrimSpace(p.Key) == "" {
			return &ValidationError{"query_parameters", "an extra parameter needs a key"}
		}
		if slices.Contains(reservedParams, p.Key) {
			return &ValidationError{"query_parameters", fmt.Sprintf("extra parameter %q is set by the sign-in itself; remove it (scopes go in the scope list)", p.Key)}
		}
	}
	for _, h := range a.GitHosts {
		if err := CheckGitHost(h); err != nil {
			return &ValidationError{"git_hosts", err.Error()}
		}
	}
	switch a.PublishingStatus {
	case PublishingUnknown, PublishingTesting, PublishingProduction:
	default:
		return &ValidationError{FieldPublishingStatus, fmt.Sprintf("unknown publishing status %q: use testing, production or \"\" (unknown)", a.PublishingStatus)}
	}
	if _, err := SplitCommand(a.OnEvent); err != nil {
		return &ValidationError{FieldOnEvent, fmt.Sprintf("the event command %s", err.Error())}
	}
	if a.RegistrationEndpoint != "" {
		if err := CheckEndpointURL(a.RegistrationEndpoint); err != nil {
			return &ValidationError{"registration_endpoint", "the registration endpoint " + err.Error()}
		}
	}
	if r := a.Registration; r != nil && r.ClientURI != "" {
		if err := CheckEndpointURL(r.ClientURI); err != nil {
			return &ValidationError{"registration", "the registration's client URI " + err.Error()}
		}
	}
	switch a.RedirectHost {
	case HostIPv4, HostLocalhost, HostIPv6:
	default:
		return &ValidationError{"redirect_host", fmt.Sprintf("redirect host %q is not a loopback host: use 127.0.0.1, localhost or [::1]", a.RedirectHost)}
	}
	if !ValidCallbackPath(a.CallbackPath) {
		return &ValidationError{"callback_path", fmt.Sprintf("callback path %q is not /callback or /callback/NAME (lowercase letters, digits and dashes): set it to the path registered with the provider", a.CallbackPath)}
	}
	if a.RedirectPort < 0 || a.RedirectPort > 65535 {
		return &ValidationError{"redirect_port", fmt.Sprintf("redirect port %d is out of range: use 1-65535, or 0 for any free port", a.RedirectPort)}
	}
	switch a.TokenEndpointAuthMethod {
	case "", AuthMethodAuto, AuthMethodBasic, AuthMethodPost, AuthMethodNone: // "" reads as auto
	default:
		return &ValidationError{"token_endpoint_auth_method", fmt.Sprintf("unknown auth method %q: use auto, client_secret_basic, client_secret_post or none", a.TokenEndpointAuthMethod)}
	}
	return nil
}

// missingEndpoint is the error for a required endpoint left empty, naming it by the field
// table's label ("the token URI is required").
func missingEndpoint(field string) error {
	f, _ := FieldByJSON(field)
	name := f.Label
	if len(name) > 1 && !unicode.IsUpper(rune(name[1])) { // "Token URI" reads "token URI"; "JWKS URI" stays
		name = strings.ToLower(name[:1]) + name[1:]
	}
	return &ValidationError{field, fmt.Sprintf("the %s is required: use discovery or give it by hand", name)}
}

// ValidateName checks a provider_name: it is the command line's NAME and the button text.
func ValidateName(name string) error {
	switch {
	case strings.TrimSpace(name) == "":
		return &ValidationError{"provider_name", "the name is required"}
	case name != strings.TrimSpace(name):
		return &ValidationError{"provider_name", "the name may not start or end with spaces"}
	case utf8.RuneCountInString(name) > 100:
		return &ValidationError{"provider_name", "the name is longer than 100 characters"}
	case strings.ContainsFunc(name, unicode.IsControl):
		return &ValidationError{"provider_name", "the name may not contain control characters"}
	}
	return nil
}

// CheckEndpointURL accepts absolute https URLs, and http only on loopback (local test
// providers): anything else would send codes and secrets in clear text.
func CheckEndpointURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return fmt.Errorf("%q is not an absolute http(s) URL", raw)
	}
	// url.Parse refuses ASCII control characters; C1 and bidi marks would pass, and a URL is
	// printed and shown (see CleanText).
	if strings.ContainsFunc(raw, IsControlRune) {
		return fmt.Errorf("%q holds control characters", raw)
	}
	if u.Scheme == "http" && !IsLoopbackHost(u.Hostname()) {
		return fmt.Errorf("%q uses plain http: use https (plain http is allowed only on this machine's loopback)", raw)
	}
	return nil
}

// IsLoopbackHost is localhost or a loopback address.
func IsLoopbackHost(h string) bool {
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// appJSON is App's field set without methods, so MarshalJSON can add the computed URI.
type appJSON App

// MarshalJSON adds the computed, read-only redirect_uri, so every JSON view of the document
// shows it. UnmarshalJSON ignores it.
func (a App) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		appJSON
		RedirectURI string `json:"redirect_uri"`
	}{appJSON(a), a.RedirectURI()})
}

// SplitScopes accepts "a b" and repeated values alike and removes duplicates.
func SplitScopes(values ...string) []string {
	out := []string{}
	for _, v := range values {
		for _, s := range strings.Fields(v) {
			if !slices.Contains(out, s) {
				out = append(out, s)
			}
		}
	}
	return out
}

// gitHostName is a DNS name as git writes it in the host= line (letters, digits, dots, dashes).
var gitHostName = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$`)

// CheckGitHost accepts a host as git's credential protocol names it: "github.com",
// "git.example.com:8443" or "[::1]:3000"; no scheme, user, path or spaces, so what is saved
// is exactly what is compared with git's host= line.
func CheckGitHost(h string) error {
	bad := func(why string) error {
		return fmt.Errorf("git host %q %s: give it as host or host:port, e.g. github.com", h, why)
	}
	switch {
	case h == "":
		return bad("is empty")
	case strings.Contains(h, "://"):
		return bad("has a scheme")
	case strings.ContainsAny(h, "/?#@ \t"):
		return bad("has a path, user or space")
	}
	host, port := h, ""
	if strings.HasPrefix(h, "[") || strings.Count(h, ":") == 1 {
		if hp, pp, err := net.SplitHostPort(h); err == nil {
			host, port = hp, pp
		} else if !strings.HasPrefix(h, "[") || !strings.HasSuffix(h, "]") {
			return bad("is not host:port")
		} else {
			host = strings.Trim(h, "[]")
		}
		if strings.HasPrefix(h, "[") && net.ParseIP(host) == nil {
			return bad("is not an IPv6 address in brackets")
		}
	}
	if port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return bad("has a port that is not 1-65535")
		}
	}
	if net.ParseIP(host) == nil && (len(host) > 253 || !gitHostName.MatchString(host)) {
		return bad("is not a host name")
	}
	if !strings.HasPrefix(h, "[") && strings.Contains(host, ":") {
		return bad("is an IPv6 address without brackets")
	}
	return nil
}

// NormalizeGitHosts lowercases the hosts (host names do not depend on case), drops empty
// values and duplicates, and keeps the order given.
func NormalizeGitHosts(values ...string) []string {
	var out []string
	for _, v := range values {
		for _, h := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || unicode.IsSpace(r) }) {
			h = strings.ToLower(h)
			if !slices.Contains(out, h) {
				out = append(out, h)
			}
		}
	}
	return out
}

// HasGitHost reports whether git may get this app's token for host, as git's host= line
// names it; host names are compared without regard to case.
func (a *App) HasGitHost(host string) bool {
	host = strings.TrimSpace(host)
	return host != "" && slices.ContainsFunc(a.GitHosts, func(h string) bool { return strings.EqualFold(h, host) })
}

// ValidationError names the field of a document that is wrong and why, so a form can show
// the message beside the field and the command line can name the flag.
type ValidationError struct {
	Field   string // JSON field name, e.g. "token_uri"
	Message string
}

func (e *ValidationError) Error() string { return e.Field + ": " + e.Message }
func (e *ValidationError) Unwrap() error { return fail.ErrInvalid }
