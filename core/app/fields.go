package app

// The field table: each field of the document described once. The command line's add and
// edit flags and their help, `show`'s rows, the form's rows and sections, Validate's URL
// checks, discovery's copy of the provider's metadata, the presets' templates and the
// Frappe import and export all walk Fields, so a new endpoint is one line below (and its
// struct field in App, and in ProviderMetadata when discovery advertises it).

// Section is where the form shows a field; the names are the form's headings.
type Section string

const (
	SectionName      Section = "Name"
	SectionDiscovery Section = "OpenID Configuration"
	SectionClient    Section = "Client Credentials"
	SectionScopes    Section = "Scopes"
	SectionParams    Section = "Extra Parameters"
	SectionEndpoints Section = "Endpoints"
	SectionAdvanced  Section = "Advanced"
)

// Kind says how generic a field is. Only endpoints are handled wholly by the table: every
// other field has a widget, a flag parser or a JSON shape of its own, and the table names it.
type Kind int

const (
	// KindEndpoint is an http(s) URL string (CheckEndpointURL): read, written, validated,
	// shown, templated, imported and exported through Field.Text alone.
	KindEndpoint Kind = iota
	// KindValue is any other field of the document.
	KindValue
	// KindSecret is the client secret: never in the document (the keyring has it), never
	// exported, never shown; the table names its label and flag.
	KindSecret
	// KindComputed is derived from other fields (the redirect URI): shown, never set.
	KindComputed
)

// Field describes one field of the document for every front end.
type Field struct {
	// JSON is its name in apps.json, `show --json`, an export and ValidationError.Field;
	// Frappe's name where Frappe has the field (Frappe says whether Frappe's Connected App
	// doctype does: an export writes every stored field under its JSON name, Frappe reads
	// those and ignores ours).
	JSON   string
	Frappe bool
	Kind   Kind
	// Noun is how a sentence names it ("the JWKS URI"): the front ends' words for a remedy
	// that points at the field.
	Noun string

	// The form: its label, the placeholder of its entry, its section, and whether an app
	// without discovery needs it first (Primary: the form puts it under the name).
	Label       string
	Placeholder string
	Section     Section
	Primary     bool

	// The command line: add/edit's flag (without "--"; "" for none), the value's name in
	// the help ("" for a switch) and the help, whose lines after the first continue it.
	// An endpoint without FlagHelp is listed on the help's one line of endpoint flags.
	Flag     string
	FlagArg  string
	FlagHelp string

	// ShowLabel is `show`'s row for it ("" when show does not print it).
	ShowLabel string

	// Text is the Go field of an endpoint.
	Text func(*App) *string
	// Discovered is the value discovery gives it (nil: discovery does not fill it).
	// KeepGiven: a value already there wins (a hand-given issuer is the one the provider's
	// document must name), where otherwise the discovered one replaces it.
	Discovered func(*ProviderMetadata) string
	KeepGiven  bool
}

// JSON names of the fields some code treats apart from the rest.
const (
	FieldProviderName        = "provider_name"
	FieldOpenIDConfiguration = "openid_configuration"
	FieldClientID            = "client_id"
	FieldClientSecret        = "client_secret"
	FieldIssuer              = "issuer"
	FieldOnEvent             = "on_event"
)

// Fields is the document, in the form's order (top to bottom), which is also `show`'s order
// and the order Validate checks the endpoints in.
var Fields = []Field{
	{JSON: FieldProviderName, Noun: "name", Frappe: true, Kind: KindValue, Label: "Provider Name", Placeholder: "e.g. Google Mail", Section: SectionName, ShowLabel: "Provider name"},
	{JSON: FieldOpenIDConfiguration, Noun: "discovery URL", Frappe: true, Kind: KindEndpoint, Label: "OpenID Configuration", Section: SectionDiscovery, ShowLabel: "OpenID configuration",
		Placeholder: "https://accounts.google.com or …/.well-known/openid-configuration",
		Flag:        "discovery", FlagArg: "URL", FlagHelp: "issuer or its /.well-known/openid-configuration; fills the endpoints",
		Text: func(a *App) *string { return &a.OpenIDConfiguration }},
	{JSON: FieldClientID, Noun: "client ID", Frappe: true, Kind: KindValue, Label: "Client ID", Section: SectionClient, ShowLabel: "Client ID",
		Placeholder: "from the provider's client registration", Flag: "client-id", FlagArg: "ID", FlagHelp: "the client ID from the provider"},
	{JSON: FieldClientSecret, Noun: "client secret", Frappe: true, Kind: KindSecret, Label: "Client Secret", Section: SectionClient, ShowLabel: "Client secret",
		Flag: "client-secret-stdin", FlagHelp: "read the client secret from stdin (never from the command line)"},
	{JSON: "redirect_uri", Noun: "redirect URI", Frappe: true, Kind: KindComputed, Label: "Redirect URI", Section: SectionClient, ShowLabel: "Redirect URI"},
	{JSON: "scopes", Noun: "scopes", Frappe: true, Kind: KindValue, Label: "Scopes", Section: SectionScopes, ShowLabel: "Scopes",
		Flag: "scope", FlagArg: "S", FlagHelp: "a scope; repeat it, or give several separated by spaces"},
	{JSON: "query_parameters", Noun: "extra parameters", Frappe: true, Kind: KindValue, Label: "Extra Parameters", Section: SectionParams, ShowLabel: "Extra parameter",
		Flag: "param", FlagArg: "KEY=VALUE", FlagHelp: "extra authorization parameter, e.g. access_type=offline; repeatable"},

	// The endpoints: one line each.
	{JSON: "authorization_uri", Noun: "authorization URI", Frappe: true, Label: "Authorization URI", Placeholder: "https://…/authorize", Section: SectionEndpoints, Primary: true, Flag: "auth-url", ShowLabel: "Authorization URI", Text: func(a *App) *string { return &a.AuthorizationURI }, Discovered: func(m *ProviderMetadata) string { return m.AuthorizationEndpoint }},
	{JSON: "token_uri", Noun: "token URI", Frappe: true, Label: "Token URI", Placeholder: "https://…/token", Section: SectionEndpoints, Primary: true, Flag: "token-url", ShowLabel: "Token URI", Text: func(a *App) *string { return &a.TokenURI }, Discovered: func(m *ProviderMetadata) string { return m.TokenEndpoint }},
	{JSON: "revocation_uri", Noun: "revocation URI", Frappe: true, Label: "Revocation URI", Placeholder: "optional", Section: SectionEndpoints, Flag: "revocation-url", ShowLabel: "Revocation URI", Text: func(a *App) *string { return &a.RevocationURI }, Discovered: func(m *ProviderMetadata) string { return m.RevocationEndpoint }},
	{JSON: "userinfo_uri", Noun: "userinfo URI", Frappe: true, Label: "Userinfo URI", Placeholder: "optional", Section: SectionEndpoints, Flag: "userinfo-url", ShowLabel: "Userinfo URI", Text: func(a *App) *string { return &a.UserinfoURI }, Discovered: func(m *ProviderMetadata) string { return m.UserinfoEndpoint }},
	{JSON: "introspection_uri", Noun: "introspection URI", Frappe: true, Label: "Introspection URI", Placeholder: "optional", Section: SectionEndpoints, Flag: "introspection-url", ShowLabel: "Introspection URI", Text: func(a *App) *string { return &a.IntrospectionURI }, Discovered: func(m *ProviderMetadata) string { return m.IntrospectionEndpoint }},
	{JSON: "device_authorization_uri", Noun: "device authorization URI", Label: "Device authorization URI", Placeholder: "optional", Section: SectionEndpoints, Flag: "device-url", ShowLabel: "Device authorization URI", Text: func(a *App) *string { return &a.DeviceAuthorizationURI }, Discovered: func(m *ProviderMetadata) string { return m.DeviceAuthorizationEndpoint }},
	{JSON: FieldIssuer, Noun: "issuer", Label: "Issuer", Placeholder: "needed to verify ID tokens (openid)", Section: SectionEndpoints, Flag: "issuer", FlagArg: "URL", FlagHelp: "expected issuer (when the document advertises another, or without discovery)", ShowLabel: "Issuer", Text: func(a *App) *string { return &a.Issuer }, Discovered: func(m *ProviderMetadata) string { return m.Issuer }, KeepGiven: true},
	{JSON: "jwks_uri", Noun: "JWKS URI", Label: "JWKS URI", Placeholder: "needed to verify ID tokens (openid)", Section: SectionEndpoints, Flag: "jwks-url", FlagArg: "URL", FlagHelp: "JWKS URI, to verify ID tokens without discovery", ShowLabel: "JWKS URI", Text: func(a *App) *string { return &a.JWKSURI }, Discovered: func(m *ProviderMetadata) string { return m.JWKSURI }},

	{JSON: "redirect_host", Noun: "redirect host", Kind: KindValue, Label: "Redirect host", Section: SectionAdvanced,
		Flag: "redirect-host", FlagArg: "H", FlagHelp: "127.0.0.1 (default), localhost (both IPv4 and IPv6) or [::1]"},
	{JSON: "redirect_port", Noun: "redirect port", Kind: KindValue, Label: "Redirect port", Placeholder: "e.g. 8765", Section: SectionAdvanced,
		Flag: "redirect-port", FlagArg: "N", FlagHelp: "default 8765; 0 = any free port, for providers that accept any loopback port"},
	{JSON: "pkce", Noun: "PKCE setting", Kind: KindValue, Label: "PKCE", Section: SectionAdvanced, ShowLabel: "PKCE",
		Flag: "no-pkce", FlagHelp: "turn PKCE off (only for providers that reject it)"},
	{JSON: "token_endpoint_auth_method", Noun: "auth method", Kind: KindValue, Label: "Client secret sent", Section: SectionAdvanced, ShowLabel: "Token endpoint auth",
		Flag: "auth-method", FlagArg: "M", FlagHelp: "auto (default), client_secret_basic, client_secret_post or none"},
	{JSON: "grant_type", Noun: "grant type", Kind: KindValue, Label: "How to sign in", Section: SectionAdvanced, ShowLabel: "Grant type",
		Flag: "grant", FlagArg: "G", FlagHelp: "authorization_code (default; the browser), device_code (a code approved on\n" +
			"another device) or client_credentials (the client's own token, nobody signs in;\nneeds --client-secret-stdin, or --auth-method none)"},
	{JSON: "git_hosts", Noun: "git hosts", Kind: KindValue, Label: "Git hosts", Section: SectionAdvanced, ShowLabel: "Git hosts",
		Flag: "git-host", FlagArg: "HOST", FlagHelp: "a host (github.com, or host:port) git-credential gives the token to; repeatable.\n" +
			"git asking for any other host gets nothing. The github and gitlab presets fill it."},
	{JSON: FieldPublishingStatus, Noun: "publishing status", Kind: KindValue, Label: "Publishing status", Section: SectionAdvanced, ShowLabel: "Publishing status",
		Flag: "publishing-status", FlagArg: "S", FlagHelp: "testing or production: where the provider keeps the app (Google's OAuth consent\n" +
			"screen; in Testing its refresh tokens end 7 days after sign-in); \"\" = unknown"},
	{JSON: FieldOnEvent, Noun: "event command", Kind: KindValue, Label: "On event", Placeholder: "e.g. notify-send Connected-Apps", Section: SectionAdvanced, ShowLabel: "On event",
		Flag: "on-event", FlagArg: "CMD", FlagHelp: "a command run on connected, refreshed, needs_reauth and disconnected, told\n" +
			"CONNECTEDAPPS_APP, _EVENT and _EXPIRES_AT (never a token); words split as a shell\n" +
			"would, run without one (write sh -c '...' for one); \"\" removes it"},
}

// FieldByJSON is the field of that JSON name (false: no such field).
func FieldByJSON(name string) (Field, bool) {
	for _, f := range Fields {
		if f.JSON == name {
			return f, true
		}
	}
	return Field{}, false
}

// Endpoints are the endpoint fields, in the table's order.
func Endpoints() []Field {
	var out []Field
	for _, f := range Fields {
		if f.Kind == KindEndpoint {
			out = append(out, f)
		}
	}
	return out
}

// Stored says the field is part of the document as saved and exported (not the secret, not
// the computed redirect URI).
func (f Field) Stored() bool { return f.Kind == KindEndpoint || f.Kind == KindValue }
