// Package oauthtest is the one fake provider of the unit tests of core and core/oauth: an
// httptest server whose every endpoint (discovery, token, device authorization, revocation,
// userinfo, introspection, anything) answers as the test scripts it, records each request
// per path, and serves a JWKS for the ID tokens it signs, so verification runs against real
// RS256 signatures. e2e uses a real OpenID Provider instead (internal/testkit); this one is
// for the answers a real provider will not give on demand (slow_down, a 500, a bad issuer).
//
// It speaks only HTTP and imports nothing of the project, so core/oauth's own tests can use
// it without an import cycle.
package oauthtest

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
)

// Request is what the provider saw of one request.
type Request struct {
	Method, Path  string
	Header        http.Header
	Authorization string
	// HasBasic says the client sent HTTP Basic credentials. BasicUser and BasicPass are
	// decoded (RFC 6749 2.3.1 form-encodes them first); RawBasicPass is as sent.
	HasBasic                           bool
	BasicUser, BasicPass, RawBasicPass string
	Form                               url.Values // the POST body's form (the query on a GET)
	// Body is a JSON request's body as sent (client registration posts JSON, not a form).
	Body []byte
}

// Answer writes the n-th answer (n counts the path's requests from 1) to req.
type Answer func(w http.ResponseWriter, n int, req Request)

// JWKSPath is where the provider serves the key its ID tokens are signed with.
const JWKSPath = "/jwks"

// Provider is the fake. A path with no Answer gets 404 (and is still recorded).
type Provider struct {
	*httptest.Server
	t       testing.TB
	mu      sync.Mutex
	reqs    map[string][]Request
	answers map[string]Answer
	keys    Answer // the JWKS of the signing key
}

// keys[0] signs and is served; keys[1] is a stranger's, for tokens that must fail.
var keys [2]struct {
	sync.Once
	k   *rsa.PrivateKey
	err error
}

// signingKey is made once per test binary: a 2048-bit RSA key takes a while under -race.
func signingKey(t testing.TB, i int) *rsa.PrivateKey {
	t.Helper()
	keys[i].Do(func() { keys[i].k, keys[i].err = rsa.GenerateKey(rand.Reader, 2048) })
	if keys[i].err != nil {
		t.Fatal(keys[i].err)
	}
	return keys[i].k
}

// NewProvider starts a provider on loopback, closed when the test ends. It answers the JWKS
// at JWKSPath; every other path is the test's to script with Handle.
func NewProvider(t testing.TB) *Provider {
	t.Helper()
	k := signingKey(t, 0)
	p := &Provider{t: t, reqs: map[string][]Request{}, answers: map[string]Answer{}}
	b64 := base64.RawURLEncoding.EncodeToString
	p.keys = func(w http.ResponseWriter, _ int, _ Request) {
		JSON(w, http.StatusOK, map[string]any{"keys": []map[string]string{{"kty": "RSA", "kid": "k1", "use": "sig", "alg": "RS256",
			"n": b64(k.N.Bytes()), "e": b64(big.NewInt(int64(k.E)).Bytes())}}})
	}
	p.answers[JWKSPath] = p.keys
	p.Server = httptest.NewServer(http.HandlerFunc(p.serve))
	t.Cleanup(p.Close)
	return p
}

func (p *Provider) serve(w http.ResponseWriter, r *http.Request) {
	var body []byte
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		body, _ = io.ReadAll(io.LimitReader(r.Body, 1<<20))
	}
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	req := Request{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), Authorization: r.Header.Get("Authorization"), Form: r.Form, Body: body}
	if r.Method == http.MethodPost {
		req.Form = r.PostForm
	}
	if u, pw, ok := r.BasicAuth(); ok {
		req.HasBasic, req.RawBasicPass = true, pw
		req.BasicUser, _ = url.QueryUnescape(u)
		req.BasicPass, _ = url.QueryUnescape(pw)
	}
	p.mu.Lock()
	p.reqs[req.Path] = append(p.reqs[req.Path], req)
	n := len(p.reqs[req.Path])
	answer := p.answers[req.Path]
	p.mu.Unlock()
	if answer == nil {
		http.NotFound(w, r)
		return
	}
	answer(w, n, req)
}

// KeysAnswer is the JWKS answer the provider starts with (its signing key, kid "k1"), for a
// test that scripts JWKSPath and serves the real keys in some of its answers.
func (p *Provider) KeysAnswer() Answer { return p.keys }

// Handle scripts path's answers (replacing any before).
func (p *Provider) Handle(path string, a Answer) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.answers[path] = a
}

// Requests are the requests path received, oldest first.
func (p *Provider) Requests(path string) []Request {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.reqs[path])
}

// Count is how many requests path received.
func (p *Provider) Count(path string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.reqs[path])
}

// Total is how many requests the provider received on any path.
func (p *Provider) Total() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, r := range p.reqs {
		n += len(r)
	}
	return n
}

// At is path's absolute URL on this provider.
func (p *Provider) At(path string) string { return p.URL + path }

// Sign makes an RS256 JWT of claims with the key the JWKS serves (kid "k1").
func (p *Provider) Sign(claims map[string]any) string {
	p.t.Helper()
	return Sign(p.t, claims)
}

// Sign is Provider.Sign for a test that checks a signature against some provider's JWKS: all
// providers of a test binary share the one key.
func Sign(t testing.TB, claims map[string]any) string {
	t.Helper()
	return sign(t, signingKey(t, 0), claims)
}

// SignUnknown signs claims with a key no provider serves, under the same kid: a forgery.
func SignUnknown(t testing.TB, claims map[string]any) string {
	t.Helper()
	return sign(t, signingKey(t, 1), claims)
}

func sign(t testing.TB, k *rsa.PrivateKey, claims map[string]any) string {
	enc := func(v any) string {
		b, _ := json.Marshal(v)
		return base64.RawURLEncoding.EncodeToString(b)
	}
	input := enc(map[string]string{"alg": "RS256", "kid": "k1", "typ": "JWT"}) + "." + enc(claims)
	sum := sha256.Sum256([]byte(input))
	sig, err := rsa.SignPKCS1v15(rand.Reader, k, crypto.SHA256, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	return input + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// JSON writes v as a token endpoint does: JSON, no-store, the status given.
func JSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// Always answers every request with status and v as JSON.
func Always(status int, v any) Answer {
	return func(w http.ResponseWriter, _ int, _ Request) { JSON(w, status, v) }
}
