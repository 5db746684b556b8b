package oauth

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"connectedapps/core/fail"
)

// DiscoveryTimeout bounds the whole discovery request.
const DiscoveryTimeout = 15 * time.Second

const WellKnownSuffix = "/.well-known/openid-configuration"

// maxDiscoveryBody bounds what is read of a discovery answer; real documents are a few KiB.
const maxDiscoveryBody = 1 << 20

// DiscoveryURL turns an issuer URL or a full well-known URL into the document's URL, and
// returns the issuer that document must name. A query (Microsoft documents
// ".../.well-known/openid-configuration?appid=ID") stays on the document URL only.
func DiscoveryURL(raw string) (docURL, expectedIssuer string, err error) {
	raw = strings.TrimSpace(raw)
	if err := checkEndpointURL(raw); err != nil {
		return "", "", fmt.Errorf("discovery URL: %w", err)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", "", fmt.Errorf("discovery URL: %w", err)
	}
	u.Fragment, u.RawFragment = "", ""
	// Every trailing slash goes ("https://idp.example.com//" is that issuer too), so the
	// document URL given back names the same issuer.
	base := strings.TrimRight(strings.TrimSuffix(strings.TrimRight(u.Path, "/"), WellKnownSuffix), "/")
	issuer := url.URL{Scheme: u.Scheme, Host: u.Host, Path: base}
	u.Path, u.RawPath = base+WellKnownSuffix, ""
	return u.String(), issuer.String(), nil
}

// Discover fetches and checks the provider's configuration. The document's issuer must equal
// the one derived from the URL, unless expectedIssuer is given: some providers (Microsoft's
// multi-tenant endpoints) advertise a templated issuer that never equals the URL, so an app
// that names its issuer by hand takes responsibility for it, and ID tokens are then checked
// against that named issuer, not the document's.
func Discover(ctx context.Context, hc *http.Client, rawURL, expectedIssuer string) (*ProviderMetadata, error) {
	docURL, derivedIssuer, err := DiscoveryURL(rawURL)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, DiscoveryTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(publicFetch(ctx), http.MethodGet, docURL, nil)
	if err != nil {
		return nil, fmt.Errorf("discovery at %s: %w", docURL, err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := Client(hc).Do(req)
	if err != nil {
		return nil, fmt.Errorf("discovery at %s failed: %w", docURL, describeNetError(err))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxDiscoveryBody+1))
	if err != nil {
		return nil, fmt.Errorf("discovery at %s failed while reading the answer: %w", docURL, describeNetError(err))
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("discovery at %s failed: the server answered %s; check the URL (it should be the issuer or its %s document)", docURL, resp.Status, WellKnownSuffix)
	}
	if len(body) > maxDiscoveryBody {
		// Not "not JSON": the cut is ours, and the document is simply not what was asked for.
		return nil, fmt.Errorf("discovery at %s failed: the answer is larger than 1 MiB, far more than an OpenID configuration; check the URL", docURL)
	}
	var md ProviderMetadata
	if err := json.Unmarshal(body, &md); err != nil {
		return nil, fmt.Errorf("discovery at %s failed: the answer is not an OpenID configuration (not JSON: %s); check the URL", docURL, oneLine(err.Error()))
	}
	// The lists are printed by `discover` and offered in the window's scope field.
	for _, list := range [][]string{md.ScopesSupported, md.CodeChallengeMethodsSupported, md.TokenEndpointAuthMethodsSupported} {
		for i := range list {
			list[i] = cleanText(list[i])
		}
	}
	if md.AuthorizationEndpoint == "" || md.TokenEndpoint == "" {
		return nil, fmt.Errorf("discovery at %s failed: the document names no authorization_endpoint or token_endpoint; check the URL, or give the endpoints by hand", docURL)
	}
	if expectedIssuer == "" {
		if md.Issuer != derivedIssuer && md.Issuer != derivedIssuer+"/" && !tenantTemplateMatches(md.Issuer, derivedIssuer) {
			return nil, failf(nil, "discovery at %s failed: the document's issuer %q does not match %q; use the provider's exact issuer URL, or name the expected issuer", docURL, md.Issuer, derivedIssuer).
				With(fail.Remedy{Do: fail.FixField, Field: "issuer"})
		}
	}
	for name, u := range map[string]string{"authorization_endpoint": md.AuthorizationEndpoint, "token_endpoint": md.TokenEndpoint,
		"userinfo_endpoint": md.UserinfoEndpoint, "jwks_uri": md.JWKSURI, "revocation_endpoint": md.RevocationEndpoint,
		"introspection_endpoint": md.IntrospectionEndpoint, "device_authorization_endpoint": md.DeviceAuthorizationEndpoint,
		"registration_endpoint": md.RegistrationEndpoint} {
		if u == "" {
			continue
		}
		if err := checkEndpointURL(u); err != nil {
			return nil, fmt.Errorf("discovery at %s failed: its %s is unusable: %v", docURL, name, err)
		}
	}
	return &md, nil
}

// tenantTemplateMatches accepts a multi-tenant issuer template (see tenantIDPlaceholder) for
// the URL it was fetched from, when the URL names the tenant group (common, organizations,
// ...) where the template has its placeholder: ID tokens are then checked against their tid.
func tenantTemplateMatches(template, derived string) bool {
	_, ok := templateTenant(template, derived)
	return ok
}

// describeNetError names the kind of network failure in words a person can act on, and
// unwraps to the failure itself (a context deadline, a *net.OpError).
func describeNetError(err error) error {
	return &fail.Described{Text: netProblem(err), Cause: err}
}

func netProblem(err error) string {
	var certErr *tls.CertificateVerificationError
	var unknownAuth x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var dnsErr *net.DNSError
	var opErr *net.OpError
	var refused *RedirectRefusedError
	switch {
	case errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
		return "no answer in time (timeout); check the network and the URL"
	case errors.As(err, &certErr) || errors.As(err, &unknownAuth) || errors.As(err, &hostErr):
		return fmt.Sprintf("TLS certificate not trusted (%s); check the URL, or the system's certificate store", oneLine(err.Error()))
	case errors.As(err, &dnsErr):
		return fmt.Sprintf("host not found (%s); check the URL and the network", dnsErr.Name)
	case errors.As(err, &opErr) && opErr.Op == "dial":
		return fmt.Sprintf("cannot connect (%s); check the URL and that the server is up", oneLine(opErr.Err.Error()))
	case errors.As(err, &refused):
		// Not the url.Error around it: that names the Location as if it had been asked.
		return fmt.Sprintf("%s; check the URL", refused.Error())
	}
	return oneLine(err.Error())
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
