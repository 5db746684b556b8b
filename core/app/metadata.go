package app

import (
	"regexp"
	"strings"

	"connectedapps/core/fail"
)

// ProviderMetadata is the part of an OpenID Provider Configuration document we use.
type ProviderMetadata struct {
	Issuer                      string `json:"issuer"`
	AuthorizationEndpoint       string `json:"authorization_endpoint"`
	TokenEndpoint               string `json:"token_endpoint"`
	UserinfoEndpoint            string `json:"userinfo_endpoint,omitempty"`
	JWKSURI                     string `json:"jwks_uri,omitempty"`
	RevocationEndpoint          string `json:"revocation_endpoint,omitempty"`
	IntrospectionEndpoint       string `json:"introspection_endpoint,omitempty"`
	DeviceAuthorizationEndpoint string `json:"device_authorization_endpoint,omitempty"`
	// RegistrationEndpoint is RFC 7591's: where a client registers itself.
	RegistrationEndpoint              string   `json:"registration_endpoint,omitempty"`
	ScopesSupported                   []string `json:"scopes_supported,omitempty"`
	CodeChallengeMethodsSupported     []string `json:"code_challenge_methods_supported,omitempty"`
	TokenEndpointAuthMethodsSupported []string `json:"token_endpoint_auth_methods_supported,omitempty"`

	// RFC 9207: the provider names itself (iss) in every authorization response.
	AuthorizationResponseIssParameterSupported bool `json:"authorization_response_iss_parameter_supported,omitempty"`
}

// ApplyMetadata fills the app's endpoints from discovery. Fields the provider does not
// advertise are kept as they were, so a hand-given revocation URI survives.
func (a *App) ApplyMetadata(md *ProviderMetadata, discoveryURL string) {
	a.OpenIDConfiguration = discoveryURL
	a.copyMetadata(md, false)
}

// IssuerContradicted is what to tell when the discovery document names another issuer than
// the one the app keeps (a preset's, or one given by hand: a kept issuer wins over the
// discovered one, see KeepGiven), nil when they agree. ID tokens are checked against the kept
// issuer, so a contradiction would otherwise be met only at connect, far from its cause. A
// multi-tenant template agrees with the document's issuer when one reads as the other with a
// tenant in the placeholder's place, or when both are the same template.
func (a *App) IssuerContradicted(md *ProviderMetadata) error {
	if md == nil || md.Issuer == "" || a.Issuer == "" || md.Issuer == a.Issuer || a.IssuerMatches(md.Issuer) {
		return nil
	}
	if tenant, ok := TemplateTenant(md.Issuer, a.Issuer); ok && IsTenantID(tenant) {
		return nil // one tenant of the document's multi-tenant issuer, kept on purpose
	}
	return fail.Failf(nil, "the discovery document names the issuer %q, not the kept issuer %q: ID tokens are checked against the kept one; give the discovered issuer, or keep it if the provider's ID tokens carry it",
		md.Issuer, a.Issuer).With(fail.Remedy{Do: fail.FixField, Field: FieldIssuer, App: a.ProviderName})
}

// FillFromMetadata fills only the endpoints the app leaves empty, as an imported document is
// completed: what the file says wins over what discovery says.
func (a *App) FillFromMetadata(md *ProviderMetadata) { a.copyMetadata(md, true) }

// copyMetadata copies each discovered endpoint the provider advertises (only into empty ones
// when onlyEmpty, or for a KeepGiven field) and what the provider supports.
func (a *App) copyMetadata(md *ProviderMetadata, onlyEmpty bool) {
	for _, f := range Fields {
		if f.Discovered == nil {
			continue
		}
		if v, dst := f.Discovered(md), f.Text(a); v != "" && (*dst == "" || !(onlyEmpty || f.KeepGiven)) {
			*dst = v
		}
	}
	a.ScopesSupported = md.ScopesSupported
	a.CodeChallengeMethodsSupported = md.CodeChallengeMethodsSupported
	a.TokenEndpointAuthMethodsSupported = md.TokenEndpointAuthMethodsSupported
	a.IssParameterSupported = md.AuthorizationResponseIssParameterSupported
	if md.RegistrationEndpoint != "" || !onlyEmpty {
		a.RegistrationEndpoint = md.RegistrationEndpoint
	}
}

// UnsupportedScopes lists requested scopes the provider does not advertise: advice only,
// since providers need not list every scope they accept.
func (a *App) UnsupportedScopes() []string {
	if len(a.ScopesSupported) == 0 {
		return nil
	}
	var out []string
	for _, s := range a.Scopes {
		found := false
		for _, t := range a.ScopesSupported {
			if s == t {
				found = true
				break
			}
		}
		if !found {
			out = append(out, s)
		}
	}
	return out
}

// TenantIDPlaceholder in an app's issuer marks a multi-tenant provider: Microsoft's common,
// organizations and consumers endpoints advertise https://login.microsoftonline.com/{tenantid}/v2.0,
// and each ID token names the tenant that issued it in its tid claim.
const TenantIDPlaceholder = "{tenantid}"

// MultiTenantIssuer reports whether the issuer is a template checked against the tid claim.
func (a *App) MultiTenantIssuer() bool { return strings.Contains(a.Issuer, TenantIDPlaceholder) }

// tenantIDPattern is a Microsoft tenant ID (a GUID). Anything else in tid could smuggle
// another issuer's path into the template.
var tenantIDPattern = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// IsTenantID says tid is a Microsoft tenant ID (a GUID), the only value a templated issuer
// is filled with.
func IsTenantID(tid string) bool { return tenantIDPattern.MatchString(tid) }

// IssuerMatches says iss names the app's issuer: exactly (RFC 9207 compares as strings), or,
// for a templated issuer, the template with a tenant ID in place of the placeholder.
func (a *App) IssuerMatches(iss string) bool {
	if !a.MultiTenantIssuer() {
		return iss == a.Issuer
	}
	tenant, ok := TemplateTenant(a.Issuer, iss)
	return ok && IsTenantID(tenant)
}

// TemplateTenant is the tenant value puts where template has its placeholder: the issuer
// template is one pattern, read the same way for discovery, ID tokens and the iss of a
// sign-in answer.
func TemplateTenant(template, value string) (tenant string, ok bool) {
	prefix, suffix, ok := strings.Cut(template, TenantIDPlaceholder)
	if !ok || !strings.HasPrefix(value, prefix) || !strings.HasSuffix(value, suffix) || len(value) < len(prefix)+len(suffix) {
		return "", false
	}
	tenant = value[len(prefix) : len(value)-len(suffix)]
	return tenant, tenant != "" && !strings.ContainsAny(tenant, "/?#")
}
