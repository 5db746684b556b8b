package oauth

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
	"unicode"

	"connectedapps/core/fail"
)

// HTTPTimeout bounds every request to a provider.
const HTTPTimeout = 60 * time.Second

// MaxRedirectHops bounds the redirects a public fetch (discovery, JWKS) follows; providers
// that redirect their documents at all use one or two.
const MaxRedirectHops = 5

// NewHTTPClient is the one place the client that talks to providers is made, for the command
// line, the window and the defaults alike. transport nil means http.DefaultTransport (with
// its proxy settings from the environment).
//
// Redirects are the reason it exists: net/http follows them by default, and a 307 re-sends a
// POST with its body and, to the same host, its Authorization header. A token endpoint that
// answers 307 to http://elsewhere would thus hand the refresh token and the client secret to
// whoever is elsewhere, in clear. So only the public GETs of discovery and the JWKS follow
// redirects, and only to URLs an endpoint could be saved with (https, or http on loopback).
func NewHTTPClient(transport http.RoundTripper) *http.Client {
	return &http.Client{Timeout: HTTPTimeout, Transport: transport, CheckRedirect: checkRedirect}
}

var defaultHTTPClient = NewHTTPClient(nil)

// Client is the client a request is sent with: hc (or the default) with the redirect
// policy, whatever hc's own, so a Service built by hand, or a caller's client, cannot follow
// a redirect with a secret either.
func Client(hc *http.Client) *http.Client {
	if hc == nil {
		hc = defaultHTTPClient
	}
	c := *hc
	c.CheckRedirect = checkRedirect
	return &c
}

type publicFetchKey struct{}

// publicFetch marks ctx's requests as carrying no secret, so their redirects may be followed
// (still only to https or loopback). Only discovery and the JWKS are marked: every other
// request to a provider carries a token, a code or the client's credentials, and a request
// nobody marked is refused a redirect, so a new kind of request is safe by default.
func publicFetch(ctx context.Context) context.Context {
	return context.WithValue(ctx, publicFetchKey{}, true)
}

// RedirectRefusedError is a redirect that was not followed: nothing was sent to its Location.
type RedirectRefusedError struct {
	From     string // the URL that answered with the redirect, redacted
	Location string // where it pointed, redacted
	Status   int
	why      redirectReason
}

type redirectReason int

const (
	redirectCarriesSecret redirectReason = iota // the request holds a secret
	redirectInsecure                            // plain http off loopback, or not http(s)
	redirectTooMany                             // more than MaxRedirectHops
)

func (e *RedirectRefusedError) Error() string {
	switch e.why {
	case redirectInsecure:
		return fmt.Sprintf("%s redirected to %s, which is neither https nor this machine's loopback, so the redirect was not followed", e.From, e.Location)
	case redirectTooMany:
		return fmt.Sprintf("the server redirects in a loop (more than %d redirects, last from %s)", MaxRedirectHops, e.From)
	}
	return fmt.Sprintf("%s answered with a redirect (%d) to %s; requests that carry secrets never follow redirects, so nothing was sent there", e.From, e.Status, e.Location)
}

// Unwrap makes every refused redirect errInvalid: the app's URL is wrong or the provider is
// hostile; trying again as it is cannot help, and the grant itself is untouched.
func (e *RedirectRefusedError) Unwrap() error { return errInvalid }

// checkRedirect is the redirect policy of every client we use (see NewHTTPClient).
func checkRedirect(req *http.Request, via []*http.Request) error {
	first, last := via[0], via[len(via)-1]
	refused := &RedirectRefusedError{From: printableURL(RedactURL(last.URL)), Location: printableURL(RedactURL(req.URL))}
	if req.Response != nil {
		refused.Status = req.Response.StatusCode
	}
	switch {
	case carriesSecret(first):
		refused.why = redirectCarriesSecret
	case len(via) > MaxRedirectHops:
		refused.why = redirectTooMany
	case checkEndpointURL(req.URL.String()) != nil:
		refused.why = redirectInsecure
	default:
		return nil
	}
	return refused
}

// printableURL keeps a URL the provider chose safe to print: url.Parse lets C1 control
// characters (an ESC sequence's CSI among them) through in a query, so every control or
// unprintable character is percent-encoded.
func printableURL(s string) string {
	if !strings.ContainsFunc(s, func(r rune) bool { return !unicode.IsPrint(r) }) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if unicode.IsPrint(r) {
			b.WriteRune(r)
			continue
		}
		for _, c := range []byte(string(r)) {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// carriesSecret says a request must not follow a redirect: anything but a GET marked as a
// public fetch, and any request with credentials in it even then.
func carriesSecret(req *http.Request) bool {
	public, _ := req.Context().Value(publicFetchKey{}).(bool)
	return !public || req.Method != http.MethodGet || req.Header.Get("Authorization") != "" ||
		req.Header.Get("Cookie") != "" || req.URL.User != nil || req.ContentLength != 0 || req.GetBody != nil
}

// bodyTooLargeError is what a capped body returns once more than its limit was sent.
type bodyTooLargeError struct{ limit int64 }

func (e *bodyTooLargeError) Error() string {
	return "the answer is larger than " + byteSize(e.limit)
}

// byteSize words a limit: "1 MiB", "64 KiB", "100 bytes".
func byteSize(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// cappedTransport cuts every answer's body at limit bytes: reading past it is an error, not
// a silent truncation that a JSON parser would misreport. It is for fetches whose bodies a
// library reads whole (go-oidc's JWKS), where the reader cannot be bounded otherwise.
// exceeded, when set, is told (go-oidc passes a read error on as text only).
type cappedTransport struct {
	base     http.RoundTripper
	limit    int64
	exceeded func(error)
}

func (t *cappedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	base := t.base
	if base == nil {
		base = http.DefaultTransport
	}
	resp, err := base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	resp.Body = &cappedBody{rc: resp.Body, left: t.limit, limit: t.limit, exceeded: t.exceeded}
	return resp, nil
}

type cappedBody struct {
	rc          io.ReadCloser
	left, limit int64
	exceeded    func(error)
}

func (b *cappedBody) Read(p []byte) (int, error) {
	// One byte more than allowed is asked for, so a body of exactly the limit ends cleanly.
	if int64(len(p)) > b.left+1 {
		p = p[:b.left+1]
	}
	n, err := b.rc.Read(p)
	if b.left -= int64(n); b.left < 0 {
		tooLarge := &bodyTooLargeError{limit: b.limit}
		if b.exceeded != nil {
			b.exceeded(tooLarge)
		}
		return 0, tooLarge
	}
	return n, err
}

func (b *cappedBody) Close() error { return b.rc.Close() }

// endpointOf names the endpoint a step of the flows talks to, and the document's field of it.
func endpointOf(step string) (what, field string) {
	switch step {
	case "revocation":
		return "revocation endpoint", "revocation_uri"
	case "introspection":
		return "introspection endpoint", "introspection_uri"
	case "userinfo":
		return "userinfo endpoint", "userinfo_uri"
	case "device authorization":
		return "device authorization endpoint", "device_authorization_uri"
	}
	return "token endpoint", "token_uri" // refresh, token exchange, token request, device sign-in
}

// RefusedRedirect words a refused redirect at app's endpoint for step, with what was kept
// and how to put a moved endpoint in the app; nil when err is no refused redirect.
func RefusedRedirect(app *App, step, kept string, err error) error {
	var refused *RedirectRefusedError
	if !errors.As(err, &refused) {
		return nil
	}
	what, field := endpointOf(step)
	return failf(errInvalid, "%s: %s failed: the %s %s%s", app.ProviderName, step, what, refused.Error(), kept).
		With(fail.MoveEndpointOf(app.ProviderName, field))
}
