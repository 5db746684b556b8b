package e2e

import (
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"connectedapps/internal/testkit"
)

// elsewhereProxy is where a hostile redirect points: a loopback HTTP proxy the binary is
// given as HTTP_PROXY and HTTPS_PROXY, so a request for any host off this machine would reach
// it (net/http never proxies loopback, so the provider is still reached directly). It records
// everything that arrives and forwards nothing.
type elsewhereProxy struct {
	*httptest.Server
	mu      sync.Mutex
	arrived []string
}

func newElsewhereProxy(t *testing.T) *elsewhereProxy {
	e := &elsewhereProxy{}
	e.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		e.mu.Lock()
		e.arrived = append(e.arrived, r.Method+" "+r.Host+r.URL.RequestURI()+" "+string(body))
		e.mu.Unlock()
		http.Error(w, "elsewhere", http.StatusForbidden)
	}))
	t.Cleanup(e.Close)
	return e
}

func (e *elsewhereProxy) env() []string {
	return []string{"HTTP_PROXY=" + e.URL, "HTTPS_PROXY=" + e.URL, "http_proxy=" + e.URL, "https_proxy=" + e.URL, "NO_PROXY=", "no_proxy="}
}

func (e *elsewhereProxy) take() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	got := e.arrived
	e.arrived = nil
	return got
}

// The harness: the binary does send a request for another host through the proxy, so the
// tests below would see one if a redirect were followed.
func assertBinaryUsesTheProxy(t *testing.T, u *user, e *elsewhereProxy) {
	t.Helper()
	u.run("", "discover", "https://attacker.invalid")
	if got := e.take(); len(got) != 1 || !strings.HasPrefix(got[0], "CONNECT attacker.invalid:443") {
		t.Fatalf("the proxy standing for elsewhere saw %q; want the binary's CONNECT", got)
	}
}

// A connected confidential app whose endpoints start answering 307 to plain http elsewhere:
// refresh, token, introspect, userinfo, disconnect and connect each fail in one line naming the
// endpoint and the Location, nothing (no refresh token, code, verifier or client secret, no request at all)
// reaches elsewhere, the tokens and the connection stay as they were, and once the endpoint
// behaves the same grant refreshes again: it was never sent anywhere, nor marked for sign-in.
func TestRedirectingEndpointsSendNoSecretElsewhere(t *testing.T) {
	target, _ := url.Parse(op.Issuer)
	proxy := httputil.NewSingleHostReverseProxy(target)
	var redirecting atomic.Bool
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if redirecting.Load() {
			w.Header().Set("Location", "http://attacker.invalid/steal")
			w.WriteHeader(http.StatusTemporaryRedirect)
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	defer front.Close()
	// The provider's own endpoints, reached through the front.
	resp, err := http.Get(op.Issuer + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	var md map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&md)
	resp.Body.Close()
	via := func(key string) string {
		s, _ := md[key].(string)
		if !strings.HasPrefix(s, op.Issuer) {
			t.Fatalf("discovery has no %s under %s: %q", key, op.Issuer, s)
		}
		return front.URL + strings.TrimPrefix(s, op.Issuer)
	}

	e := newElsewhereProxy(t)
	u := newUser(t).with(e.env()...)
	assertBinaryUsesTheProxy(t, u, e)
	u.ok(testkit.WebClientSecret+"\n", "add", "Moved", "--discovery", op.Issuer, "--client-id", testkit.WebClientID, "--client-secret-stdin",
		"--scope", "openid email offline_access", "--redirect-port", strconv.Itoa(op.WebClientPort),
		"--token-url", via("token_endpoint"), "--introspection-url", via("introspection_endpoint"),
		"--userinfo-url", via("userinfo_endpoint"), "--revocation-url", via("revocation_endpoint"))
	app := u.show("Moved")
	u.ok("", "connect", "Moved")
	_, before := storedTokens(t, app.ID)
	registryBefore, _ := os.ReadFile(u.registryPath())

	redirecting.Store(true)
	steps := []struct {
		args           []string
		endpoint, flag string
	}{
		{[]string{"refresh", "Moved"}, "token endpoint " + via("token_endpoint"), "--token-url"},
		{[]string{"introspect", "Moved"}, "introspection endpoint " + via("introspection_endpoint"), "--introspection-url"},
		{[]string{"userinfo", "Moved"}, "userinfo endpoint " + via("userinfo_endpoint"), "--userinfo-url"},
		{[]string{"disconnect", "Moved"}, "revocation endpoint " + via("revocation_endpoint"), "--revocation-url"},
	}
	for _, s := range steps {
		u.fails(1, "", s.args, "Moved", "the "+s.endpoint+" answered with a redirect (307) to http://attacker.invalid/steal",
			"never follow redirects", "nothing was sent there", s.flag+" URL")
	}
	// A new sign-in: the person signs in at the provider, and the code, the PKCE verifier and
	// the client secret stop at the token endpoint's redirect; the old grant stays.
	u.fails(1, "", []string{"connect", "Moved", "--timeout", "30s"}, "token exchange failed",
		"the token endpoint "+via("token_endpoint")+" answered with a redirect (307) to http://attacker.invalid/steal", "--token-url URL")
	expireStoredToken(t, app.ID)
	_, expired := storedTokens(t, app.ID)
	u.fails(1, "", []string{"token", "Moved"}, "refresh failed", "redirect (307) to http://attacker.invalid/steal", "every token was kept")
	if got := e.take(); len(got) != 0 {
		t.Fatalf("requests reached elsewhere: %q", got)
	}
	if _, after := storedTokens(t, app.ID); after != expired {
		t.Fatal("a refused redirect changed the stored tokens")
	}
	if before == expired {
		t.Fatal("the test did not expire the token")
	}
	if s := u.show("Moved"); s.ConnectionState != "connected" || s.Connection() == nil || s.Connection().LastError != "" {
		t.Fatalf("a refused redirect changed the connection: %+v", s.Connection())
	}
	if after, _ := os.ReadFile(u.registryPath()); string(after) != string(registryBefore) {
		t.Errorf("apps.json changed:\n%s\nwas:\n%s", after, registryBefore)
	}

	redirecting.Store(false)
	u.ok("", "refresh", "Moved")
	u.ok("", "disconnect", "Moved")
	u.ok("", "remove", "Moved", "--local-only")
}

// Discovery over https that redirects to plain http elsewhere (a downgrade) is refused by
// `discover` and `add --discovery` alike, and nothing reaches elsewhere or is registered.
func TestDiscoveryDowngradeIsRefused(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://attacker.invalid"+r.URL.Path, http.StatusFound)
	}))
	defer srv.Close()
	// The binary trusts the test server's certificate, and nothing else, through SSL_CERT_FILE.
	certFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	e := newElsewhereProxy(t)
	u := newUser(t).with(append(e.env(), "SSL_CERT_FILE="+certFile, "SSL_CERT_DIR="+t.TempDir())...)
	assertBinaryUsesTheProxy(t, u, e)
	doc := srv.URL + "/.well-known/openid-configuration"
	want := []string{"discovery at " + doc + " failed", "redirected to http://attacker.invalid/.well-known/openid-configuration",
		"neither https nor this machine's loopback", "not followed", "check the URL"}
	u.fails(1, "", []string{"discover", srv.URL}, want...)
	u.fails(1, "", []string{"add", "Downgraded", "--discovery", srv.URL, "--client-id", "x"}, want...)
	if got := e.take(); len(got) != 0 {
		t.Fatalf("requests reached elsewhere: %q", got)
	}
	if out := u.ok("", "list", "--json"); strings.Contains(out, "Downgraded") {
		t.Fatalf("a refused discovery registered the app: %s", out)
	}
}
