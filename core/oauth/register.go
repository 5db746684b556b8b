package oauth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"connectedapps/core/app"
	"connectedapps/core/fail"
)

// Dynamic client registration (RFC 7591) and its deletion (RFC 7592): the step a person would
// otherwise take in the provider's console, copying a client ID back. Stateless like the rest
// of the package: the document and the initial access token in, what the provider said out;
// where the client secret and the registration access token are kept is core's.

// ClientRegistration is what the provider answered (RFC 7591 section 3.2.1).
type ClientRegistration struct {
	ClientID     string
	ClientSecret string // "" for a public client
	// AuthMethod is how the client authenticates at the token endpoint, as the provider
	// registered it (it may differ from what was asked).
	AuthMethod app.AuthMethod
	// RegistrationAccessToken and RegistrationClientURI are RFC 7592's: the token that
	// manages the registration, and where. Either may be "" (the provider offers no management).
	RegistrationAccessToken string
	RegistrationClientURI   string
	ClientName              string
	GrantTypes              []string
}

// maxRegistrationBody bounds what is read of a registration answer; real ones are a few KiB.
const maxRegistrationBody = 1 << 20

// ClientName is the name a registered client is given, so the person recognizes it among the
// provider's clients: "Connected Apps on HOSTNAME".
func ClientName(hostname string) string {
	hostname = cleanText(strings.TrimSpace(hostname))
	if hostname == "" {
		return "Connected Apps"
	}
	return "Connected Apps on " + hostname
}

// RegistrationRedirectURI is the redirect URI a registered client is given: the app's own, or,
// for any port (0), the URI without a port, which RFC 8252 section 7.3 has a provider match
// against any port of the loopback interface for a native client.
func RegistrationRedirectURI(a *App) string {
	if a.RedirectPort == 0 {
		return "http://" + a.RedirectHost + a.Callback()
	}
	return a.RedirectURIForPort(a.RedirectPort)
}

// RegistrationAuthMethod is the token endpoint auth method a registered client asks for: the
// app's own when it names one; otherwise none (a public client with PKCE, as RFC 8252 has a
// desktop client be) unless the provider's discovery lists methods without none, or the grant
// is the client's own (client credentials), which needs a secret. Then client_secret_basic,
// or client_secret_post where only that is listed. A list without either (only JWT methods)
// cannot be served.
func RegistrationAuthMethod(a *App) (app.AuthMethod, error) {
	if m := a.TokenEndpointAuthMethod; m != "" && m != app.AuthMethodAuto {
		return m, nil
	}
	listed := a.TokenEndpointAuthMethodsSupported
	if a.GrantType.SignsIn() && (len(listed) == 0 || slices.Contains(listed, string(authMethodNone))) {
		return authMethodNone, nil
	}
	switch {
	case len(listed) == 0 || slices.Contains(listed, string(authMethodBasic)):
		// RFC 8414: an omitted list means client_secret_basic.
		return authMethodBasic, nil
	case slices.Contains(listed, string(authMethodPost)):
		return authMethodPost, nil
	}
	return "", failf(errInvalid, "%s: client registration is not possible: the provider accepts only clients that authenticate with %s, which this program cannot do",
		a.ProviderName, strings.Join(listed, ", ")).With(fail.RegisterByHandFor(a.ProviderName))
}

// registrationMetadata is the client metadata sent (RFC 7591 section 2).
type registrationMetadata struct {
	ApplicationType         string   `json:"application_type"`
	RedirectURIs            []string `json:"redirect_uris"`
	TokenEndpointAuthMethod string   `json:"token_endpoint_auth_method"`
	GrantTypes              []string `json:"grant_types"`
	ResponseTypes           []string `json:"response_types"`
	Scope                   string   `json:"scope,omitempty"`
	ClientName              string   `json:"client_name"`
}

// RegistrationMetadata is what Register asks the provider for: a native client with this app's
// redirect URI, the grants its kind of sign-in uses, its scopes and the auth method chosen.
func RegistrationMetadata(a *App, hostname string) (registrationMetadata, error) {
	method, err := RegistrationAuthMethod(a)
	if err != nil {
		return registrationMetadata{}, err
	}
	md := registrationMetadata{ApplicationType: "native", RedirectURIs: []string{}, TokenEndpointAuthMethod: string(method),
		ResponseTypes: []string{}, Scope: strings.Join(a.Scopes, " "), ClientName: ClientName(hostname)}
	switch a.GrantType {
	case app.GrantDeviceCode:
		md.GrantTypes = []string{"urn:ietf:params:oauth:grant-type:device_code", "refresh_token"}
	case app.GrantClientCredentials:
		md.GrantTypes = []string{"client_credentials"}
	default:
		md.GrantTypes = []string{"authorization_code", "refresh_token"}
		md.ResponseTypes = []string{"code"}
		md.RedirectURIs = []string{RegistrationRedirectURI(a)}
	}
	return md, nil
}

// Register registers a client for app at its registration endpoint (RFC 7591), with the
// initial access token as a Bearer token when one is given. Every refusal is one line with
// the next step: give an initial access token, or register the client by hand.
func Register(ctx context.Context, hc *http.Client, a *App, hostname, initialAccessToken string) (*ClientRegistration, error) {
	name := a.ProviderName
	if a.RegistrationEndpoint == "" {
		return nil, failf(errInvalid, "%s: the provider offers no client registration (its discovery document names no registration_endpoint)", name).
			With(fail.RegisterByHandFor(name))
	}
	if err := checkEndpointURL(a.RegistrationEndpoint); err != nil {
		return nil, failf(errInvalid, "%s: the registration endpoint is unusable: %v", name, err).With(fail.RegisterByHandFor(name))
	}
	md, err := RegistrationMetadata(a, hostname)
	if err != nil {
		return nil, err
	}
	body, err := json.Marshal(md)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.RegistrationEndpoint, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	initialAccessToken = strings.TrimSpace(initialAccessToken)
	if initialAccessToken != "" {
		req.Header.Set("Authorization", "Bearer "+initialAccessToken)
	}
	where := printableURL(a.RegistrationEndpoint)
	status, answer, err := sendRegistration(hc, req)
	if err != nil {
		return nil, registrationNetError(name, "client registration", where, err)
	}
	said := func() (code, desc string) {
		var oe struct {
			Error            string `json:"error"`
			ErrorDescription string `json:"error_description"`
		}
		_ = json.Unmarshal(answer, &oe)
		secrets := []string{initialAccessToken}
		return cleanText(oneLine(redactSecrets(oe.Error, secrets))), cleanText(oneLine(redactSecrets(oe.ErrorDescription, secrets)))
	}
	switch {
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		why := "the provider registers clients only with an initial access token; get one from its administrator"
		if initialAccessToken != "" {
			why = "the provider did not accept the initial access token (expired, spent or for another realm); get a new one from its administrator"
		}
		// Two ways on: the token (first: what the provider asked for), or a client by hand.
		byHand := failf(errClientRejected, "%s: client registration at %s was refused (HTTP %d): %s", name, where, status, why).
			With(fail.RegisterByHandFor(name))
		return nil, failf(nil, "%w", byHand).With(fail.GiveInitialTokenFor(name))
	case status == http.StatusBadRequest:
		code, desc := said()
		if desc != "" {
			desc = " (" + desc + ")"
		}
		switch code {
		case "invalid_redirect_uri":
			return nil, failf(errInvalid, "%s: client registration failed: the provider refused the redirect URI %s%s; another redirect host or port may be accepted",
				name, strings.Join(md.RedirectURIs, " "), desc).With(fail.RegisterByHandFor(name))
		case "invalid_client_metadata":
			return nil, failf(errInvalid, "%s: client registration failed: the provider refused the client's settings%s (asked: a native client, auth method %s, grants %s, scopes %q); other scopes or another auth method may be accepted",
				name, desc, md.TokenEndpointAuthMethod, strings.Join(md.GrantTypes, " "), md.Scope).With(fail.RegisterByHandFor(name))
		}
		if code == "" {
			code = "HTTP 400"
		}
		return nil, failf(errInvalid, "%s: client registration failed: the provider said %q%s", name, code, desc).
			With(fail.RegisterByHandFor(name))
	case status >= 500 || status == http.StatusTooManyRequests:
		return nil, failf(errTransient, "%s: client registration at %s failed: the provider answered HTTP %d; try again later", name, where, status)
	case status != http.StatusCreated && status != http.StatusOK:
		code, desc := said()
		if code == "" {
			code = "HTTP " + strconv.Itoa(status)
		}
		if desc != "" {
			desc = " (" + desc + ")"
		}
		return nil, failf(errInvalid, "%s: client registration at %s failed: the provider said %q%s; check the discovery URL", name, where, code, desc).
			With(fail.RegisterByHandFor(name))
	}
	var got struct {
		ClientID                string   `json:"client_id"`
		ClientSecret            string   `json:"client_secret"`
		TokenEndpointAuthMethod string   `json:"token_endpoint_auth_method"`
		RegistrationAccessToken string   `json:"registration_access_token"`
		RegistrationClientURI   string   `json:"registration_client_uri"`
		ClientName              string   `json:"client_name"`
		GrantTypes              []string `json:"grant_types"`
	}
	if err := json.Unmarshal(answer, &got); err != nil || strings.TrimSpace(got.ClientID) == "" {
		return nil, failf(errInvalid, "%s: client registration at %s answered without a client ID", name, where).
			With(fail.RegisterByHandFor(name))
	}
	reg := &ClientRegistration{ClientID: strings.TrimSpace(got.ClientID), ClientSecret: got.ClientSecret, AuthMethod: app.AuthMethod(md.TokenEndpointAuthMethod),
		RegistrationAccessToken: got.RegistrationAccessToken, ClientName: cleanText(got.ClientName), GrantTypes: got.GrantTypes}
	switch m := app.AuthMethod(got.TokenEndpointAuthMethod); m {
	case "":
	case authMethodNone, authMethodBasic, authMethodPost:
		reg.AuthMethod = m
	default:
		return reg, failf(errInvalid, "%s: the provider registered client %s with the auth method %q, which this program cannot use; delete it in the provider's console and register one by hand",
			name, reg.ClientID, cleanText(string(m))).With(fail.RegisterByHandFor(name))
	}
	if reg.AuthMethod.SendsSecret() && reg.ClientSecret == "" {
		return reg, failf(errInvalid, "%s: the provider registered client %s as confidential (%s) but gave no client secret", name, reg.ClientID, reg.AuthMethod).
			With(fail.RegisterByHandFor(name))
	}
	if !reg.AuthMethod.SendsSecret() {
		reg.ClientSecret = ""
	}
	if got.RegistrationClientURI != "" {
		// It is given the registration access token later: only a URL an endpoint could be
		// saved with is kept, so the token never goes in clear text or to a non-URL.
		if err := checkEndpointURL(got.RegistrationClientURI); err != nil {
			return reg, failf(errInvalid, "%s: the provider registered client %s, but its registration_client_uri is unusable: %v", name, reg.ClientID, err)
		}
		reg.RegistrationClientURI = got.RegistrationClientURI
	}
	return reg, nil
}

// DeleteRegistration deletes the client's registration at clientURI (RFC 7592 section 2.3)
// with its registration access token. A registration the provider no longer knows (404, 410)
// is gone already, which is what was asked.
func DeleteRegistration(ctx context.Context, hc *http.Client, a *App, clientURI, accessToken string) error {
	name := a.ProviderName
	if err := checkEndpointURL(clientURI); err != nil {
		return failf(errInvalid, "%s: the registration cannot be deleted at the provider: its client URI is unusable: %v", name, err)
	}
	if accessToken == "" {
		return failf(errInvalid, "%s: the registration cannot be deleted at the provider: its registration access token is missing from the secret store", name)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodDelete, clientURI, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+accessToken)
	req.Header.Set("Accept", "application/json")
	where := printableURL(clientURI)
	status, _, err := sendRegistration(hc, req)
	if err != nil {
		return registrationNetError(name, "deleting the client's registration", where, err)
	}
	switch {
	case status == http.StatusNoContent || status == http.StatusOK || status == http.StatusNotFound || status == http.StatusGone:
		return nil
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return failf(errClientRejected, "%s: deleting the client's registration at %s was refused (HTTP %d): the provider no longer accepts its registration access token; delete the client in the provider's console",
			name, where, status)
	case status >= 500 || status == http.StatusTooManyRequests:
		return failf(errTransient, "%s: deleting the client's registration at %s failed: the provider answered HTTP %d; try again later", name, where, status)
	}
	return failf(errInvalid, "%s: deleting the client's registration at %s failed: the provider answered HTTP %d", name, where, status)
}

// sendRegistration sends req through the one client and its redirect policy (a registration
// request carries a token or client metadata, so no redirect is followed) and reads a bounded
// answer.
func sendRegistration(hc *http.Client, req *http.Request) (int, []byte, error) {
	resp, err := Client(hc).Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxRegistrationBody+1))
	if err != nil {
		return 0, nil, err
	}
	if len(body) > maxRegistrationBody {
		return 0, nil, &bodyTooLargeError{limit: maxRegistrationBody}
	}
	return resp.StatusCode, body, nil
}

func registrationNetError(name, step, where string, err error) error {
	var refused *RedirectRefusedError
	if errors.As(err, &refused) {
		e := failf(errInvalid, "%s: %s failed: %s", name, step, refused.Error())
		if step == "client registration" {
			e = e.With(fail.RegisterByHandFor(name))
		}
		return e
	}
	var tooLarge *bodyTooLargeError
	if errors.As(err, &tooLarge) {
		return failf(errInvalid, "%s: %s at %s failed: %v", name, step, where, err)
	}
	return failf(errTransient, "%s: %s at %s failed: %w", name, step, where, describeNetError(err))
}

// String never prints the secrets, should a registration ever be formatted.
func (r ClientRegistration) String() string {
	return fmt.Sprintf("client %s (%s)", r.ClientID, r.AuthMethod)
}
