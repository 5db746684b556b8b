package oauth

import (
	"fmt"
	"strings"

	"connectedapps/core/fail"
)

// ProviderError is an OAuth error answer (RFC 6749 section 5.2 / 4.1.2.1) in the provider's
// own words, with the step that produced it.
type ProviderError struct {
	App         string // provider_name
	Step        string // "sign-in", "token exchange", "refresh", "revocation", ...
	Code        string // "invalid_grant", "access_denied", ...
	Description string
	URI         string
	Status      int   // HTTP status, 0 for a redirect error
	Kind        error // the kind of failure it is (errTransient, errClientRejected, …); nil: none of them
}

func (e *ProviderError) Error() string {
	var b strings.Builder
	if e.App != "" {
		b.WriteString(e.App + ": ")
	}
	// Cleaned again here, so a ProviderError built anywhere prints no control character.
	fmt.Fprintf(&b, "%s failed: the provider said %q", e.Step, cleanText(e.Code))
	if e.Description != "" {
		fmt.Fprintf(&b, " (%s)", oneLine(cleanText(e.Description)))
	}
	if advice := providerAdvice(e.Step, e.Code); advice != "" {
		b.WriteString(": ")
		b.WriteString(advice)
	}
	return b.String()
}

func (e *ProviderError) Unwrap() error { return e.Kind }

// Advice is the next step the message ends with for the answer's standard code ("" for
// none), so a front end that words the message in another language words the same advice.
func (e *ProviderError) Advice() string { return providerAdvice(e.Step, e.Code) }

// NextStep is what to do about the answer beyond what its words say: a refused client is
// checked where it is registered (the client ID and secret here, its settings at the provider).
func (e *ProviderError) NextStep() fail.Remedy {
	switch e.Code {
	case "invalid_client", "unauthorized_client":
		return fail.CheckClientOf(e.App)
	}
	return fail.Remedy{}
}

// providerAdvice turns the standard error codes into the next step a person can take.
func providerAdvice(step, code string) string {
	switch code {
	case "access_denied":
		return "sign-in was declined; connect again and approve the request"
	case "expired_token":
		return "the code expired before it was approved; connect again and approve it sooner"
	case "invalid_grant":
		if step == "refresh" {
			return "the refresh token is no longer accepted; connect again to sign in"
		}
		return "the code was refused; connect again"
	case "invalid_client", "unauthorized_client":
		return "the provider does not accept this client"
	case "invalid_scope":
		return "check the scopes against what the provider offers"
	case "invalid_request":
		if step == "sign-in" {
			return "check the redirect URI registered with the provider and the extra parameters"
		}
		return "check the app's settings"
	case "temporarily_unavailable", "server_error":
		return "the provider has a problem; try again later"
	}
	// An answer that was no OAuth error at all is named by its HTTP status (see
	// providerErrorFrom); without advice the person would not know what to do with it.
	if status, ok := strings.CutPrefix(code, "HTTP "); ok {
		switch {
		case strings.HasPrefix(status, "5") || strings.HasPrefix(status, "429"):
			return "the provider has a problem or is busy; try again later"
		case step == "token exchange" || step == "refresh" || step == "token request" || step == "device sign-in":
			return "the answer is not an OAuth error; check the token URI and the client's settings at the provider"
		}
	}
	return ""
}
