package oauth

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode"

	"golang.org/x/oauth2"

	"connectedapps/core/fail"
)

// TokenSet is what the keyring holds for a connected app, as one entry, so the token path
// costs one keyring read.
type TokenSet struct {
	AccessToken  string     `json:"access_token"`
	TokenType    string     `json:"token_type,omitempty"`
	RefreshToken string     `json:"refresh_token,omitempty"`
	IDToken      string     `json:"id_token,omitempty"`
	Expiry       *time.Time `json:"expires_at,omitempty"` // absolute, UTC; nil: unknown
	Scopes       []string   `json:"scopes,omitempty"`     // granted
	ObtainedAt   *time.Time `json:"obtained_at,omitempty"`
}

// ExpiresIn is the time left, or ok=false when the provider gave no expiry.
func (t *TokenSet) ExpiresIn(now time.Time) (d time.Duration, ok bool) {
	if t.Expiry == nil {
		return 0, false
	}
	return t.Expiry.Sub(now), true
}

// Type is the token type for an Authorization header ("Bearer" when the provider said none).
func (t *TokenSet) Type() string {
	if t.TokenType == "" || strings.EqualFold(t.TokenType, "bearer") {
		return "Bearer"
	}
	return t.TokenType
}

// Stale says the token must be renewed before it is handed out: it expires within minValid.
// When minValid is longer than the provider ever grants, no refresh can satisfy it; the
// token is then renewed at half its life instead, so a script asking for more than the
// provider gives does not refresh (and rotate the refresh token) on every call.
func (t *TokenSet) Stale(now time.Time, minValid time.Duration) bool {
	if t.Expiry == nil {
		return false
	}
	if t.ObtainedAt != nil {
		if lifetime := t.Expiry.Sub(*t.ObtainedAt); lifetime > 0 && minValid > lifetime/2 {
			minValid = lifetime / 2
		}
	}
	return t.Expiry.Sub(now) < minValid
}

// Config builds the x/oauth2 config for app. The auth style is fixed, never
// AutoDetect: auto-detection retries a failed request in the other style, so a real
// invalid_grant would be sent twice (and a rotated refresh token burnt).
func Config(app *App, secret, redirectURI string) *oauth2.Config {
	style := oauth2.AuthStyleInHeader
	if app.EffectiveAuthMethod().InBody() {
		style = oauth2.AuthStyleInParams
	}
	if !app.EffectiveAuthMethod().SendsSecret() {
		secret = "" // a public client sends client_id in the body and nothing else
	}
	return &oauth2.Config{
		ClientID:     app.ClientID,
		ClientSecret: secret,
		Endpoint:     oauth2.Endpoint{AuthURL: app.AuthorizationURI, TokenURL: app.TokenURI, AuthStyle: style},
		RedirectURL:  redirectURI,
		Scopes:       app.Scopes,
	}
}

// TokenSetFrom turns an x/oauth2 answer into what we store. prev supplies what a refresh
// answer may leave out: the refresh token (Frappe once erased it here) and the ID token.
func TokenSetFrom(tok *oauth2.Token, prev *TokenSet, requested []string) *TokenSet {
	ts := &TokenSet{AccessToken: tok.AccessToken, TokenType: tok.TokenType, RefreshToken: tok.RefreshToken}
	if !tok.Expiry.IsZero() { // x/oauth2 leaves Expiry zero when expires_in is absent
		e := tok.Expiry.UTC().Round(time.Second)
		ts.Expiry = &e
	}
	if idt, _ := tok.Extra("id_token").(string); idt != "" {
		ts.IDToken = idt
	}
	// RFC 6749 5.1: scope may be omitted when it equals what was requested.
	if scope, _ := tok.Extra("scope").(string); scope != "" {
		ts.Scopes = splitGrantedScopes(scope)
	} else if prev != nil && len(prev.Scopes) > 0 {
		ts.Scopes = prev.Scopes
	} else {
		ts.Scopes = append([]string(nil), requested...)
	}
	if prev != nil {
		if ts.RefreshToken == "" {
			ts.RefreshToken = prev.RefreshToken
		}
		if ts.IDToken == "" {
			ts.IDToken = prev.IDToken
		}
	}
	return ts
}

// splitGrantedScopes reads a granted scope list: space-separated (RFC 6749 section 3.3), or
// comma-separated as GitHub sends it. A comma splits only a list without spaces, so a scope
// that itself holds a comma survives in a standard answer.
func splitGrantedScopes(scope string) []string {
	if !strings.ContainsFunc(scope, unicode.IsSpace) && strings.Contains(scope, ",") {
		return slices.DeleteFunc(strings.Split(scope, ","), func(s string) bool { return s == "" })
	}
	return strings.Fields(scope)
}

// anchorExpiry counts expires_in from the service's clock rather than x/oauth2's, so expiry
// and staleness are judged by the same clock.
func (t *TokenSet) AnchorExpiry(tok *oauth2.Token, now time.Time) {
	obtained := now.UTC().Round(time.Second)
	t.ObtainedAt = &obtained
	if tok.ExpiresIn > 0 {
		e := now.UTC().Add(time.Duration(tok.ExpiresIn) * time.Second).Round(time.Second)
		t.Expiry = &e
	}
}

// TransientAnswer says an error answer from a token endpoint is worth retrying as it is.
func TransientAnswer(re *oauth2.RetrieveError) bool {
	status := 0
	if re.Response != nil {
		status = re.Response.StatusCode
	}
	return status >= 500 || status == http.StatusTooManyRequests || re.ErrorCode == "temporarily_unavailable" || re.ErrorCode == "server_error"
}

// TokenRequestProblem words a token request that got no OAuth answer: either the endpoint
// was not reached, or it answered with something that is not a token (an HTML page, a
// portal, a wrong URL), which "could not reach" would misdescribe.
func TokenRequestProblem(app *App, err error) error {
	var ue *url.Error
	if errors.As(err, &ue) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) ||
		strings.HasPrefix(err.Error(), "oauth2: cannot fetch token") {
		return &fail.Described{Text: fmt.Sprintf("could not reach %s (%s)", app.TokenURI, netProblem(err)), Cause: err}
	}
	return &fail.Described{Text: fmt.Sprintf("%s answered with something that is not a token (%s): check the token URI", app.TokenURI, oneLine(err.Error())), Cause: err}
}

// ProviderErrorFrom reads an OAuth error answer; a body that is not an OAuth error is
// summarised by its HTTP status.
func ProviderErrorFrom(app *App, step string, re *oauth2.RetrieveError) *ProviderError {
	var sent []string
	if re.Response != nil {
		sent = sentSecrets(re.Response.Request)
	}
	pe := &ProviderError{App: app.ProviderName, Step: step, Code: cleanText(redactSecrets(re.ErrorCode, sent)),
		Description: cleanText(redactSecrets(re.ErrorDescription, sent)), URI: cleanText(redactSecrets(re.ErrorURI, sent))}
	if re.Response != nil {
		pe.Status = re.Response.StatusCode
	}
	if pe.Code == "" {
		pe.Code = fmt.Sprintf("HTTP %d", pe.Status)
		pe.Description = oneLine(cleanText(redactSecrets(string(re.Body), sent))) // redacted before it is cut
	}
	return pe
}

// IssuerSubject is who an ID token names.
type IssuerSubject struct {
	Issuer  string `json:"iss"`
	Subject string `json:"sub"`
}

// UnverifiedClaims reads a JWT's claims without checking it, for a token that was checked
// when it was stored.
func UnverifiedClaims(raw string, v any) error {
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return fmt.Errorf("not a JWT")
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return err
	}
	return json.Unmarshal(payload, v)
}
