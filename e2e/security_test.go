package e2e

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
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

// tokenTap sits in front of the provider's token endpoint. It records the secrets each
// request carries (the code, the PKCE verifier, the refresh token), which exist nowhere else
// the test could read them, and can switch to quoting the request back in an error, as a
// debugging proxy or a careless provider does.
type tokenTap struct {
	*httptest.Server
	mu      sync.Mutex
	secrets map[string]string // value -> what it is
	echo    atomic.Bool
}

func newTokenTap(t *testing.T) *tokenTap {
	target, _ := url.Parse(op.Issuer)
	proxy := httputil.NewSingleHostReverseProxy(target)
	tap := &tokenTap{secrets: map[string]string{}}
	tap.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		form, _ := url.ParseQuery(string(body))
		tap.mu.Lock()
		for _, k := range []string{"code", "code_verifier", "refresh_token"} {
			if v := form.Get(k); v != "" {
				tap.secrets[v] = k
			}
		}
		tap.mu.Unlock()
		if tap.echo.Load() {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			_ = json.NewEncoder(w).Encode(map[string]string{"error": "invalid_grant",
				"error_description": "refused " + string(body) + " with " + r.Header.Get("Authorization")})
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(tap.Close)
	return tap
}

func (tap *tokenTap) add(value, what string) {
	tap.mu.Lock()
	defer tap.mu.Unlock()
	if value != "" {
		tap.secrets[value] = what
	}
}

func (tap *tokenTap) count(what string) int {
	tap.mu.Lock()
	defer tap.mu.Unlock()
	n := 0
	for _, w := range tap.secrets {
		if w == what {
			n++
		}
	}
	return n
}

// absentFrom fails for every secret found in text as is, URL-encoded, or base64.
func (tap *tokenTap) absentFrom(t *testing.T, where, text string) {
	t.Helper()
	tap.mu.Lock()
	defer tap.mu.Unlock()
	for s, what := range tap.secrets {
		for _, form := range []string{s, url.QueryEscape(s), base64.StdEncoding.EncodeToString([]byte(s)),
			base64.RawURLEncoding.EncodeToString([]byte(s)), base64.StdEncoding.EncodeToString([]byte(testkit.WebClientID + ":" + s))} {
			if strings.Contains(text, form) {
				t.Errorf("the %s (or an encoding of it) is in %s", what, where)
				break
			}
		}
	}
}

// TestNoSecretLeaksVerifierExportsAndErrors extends TestConfidentialClientIntrospectAndNoSecretLeaks:
// besides the client secret and the tokens, the PKCE verifier and the code; besides apps.json
// and the --verbose log, every line a command prints (its stdout, except what token hands out
// on purpose), the export, every file in the configuration folder, and the error messages of
// failures whose answers quote the request back.
func TestNoSecretLeaksVerifierExportsAndErrors(t *testing.T) {
	tap := newTokenTap(t)
	u := newUser(t)
	u.ok(testkit.WebClientSecret+"\n", "add", "Tapped", "--discovery", op.Issuer, "--client-id", testkit.WebClientID, "--client-secret-stdin",
		"--scope", "openid email offline_access", "--redirect-port", strconv.Itoa(op.WebClientPort), "--token-url", tap.URL+"/oauth/token")
	app := u.show("Tapped")
	tap.add(testkit.WebClientSecret, "client secret")

	var printed strings.Builder // everything the commands printed that is not a token handed out
	run := func(code int, args ...string) result {
		t.Helper()
		r := u.run("", args...)
		if r.code != code {
			t.Fatalf("%v: exit %d, want %d: %s", args, r.code, code, r.stderr)
		}
		printed.WriteString(r.stderr)
		printed.WriteString(r.stdout)
		return r
	}
	run(0, "--verbose", "connect", "Tapped")
	run(0, "--verbose", "refresh", "Tapped")
	if r := u.run("", "--verbose", "token", "Tapped"); r.code != 0 {
		t.Fatalf("token: %s", r.stderr)
	} else {
		printed.WriteString(r.stderr) // its stdout is the access token, on purpose
	}
	run(0, "--verbose", "introspect", "Tapped")
	run(0, "--verbose", "userinfo", "Tapped")
	run(0, "show", "Tapped", "--json")
	run(0, "list", "--json")
	export := run(0, "export").stdout
	run(0, "export", "Tapped")
	exportFile := filepath.Join(t.TempDir(), "export.json")
	if err := os.WriteFile(exportFile, []byte(export), 0o600); err != nil {
		t.Fatal(err)
	}
	ts, _ := storedTokens(t, app.ID)
	tap.add(ts.AccessToken, "access token")
	tap.add(ts.RefreshToken, "refresh token")
	tap.add(ts.IDToken, "ID token")

	// Now the token endpoint quotes every request back in its refusal.
	tap.echo.Store(true)
	r := run(3, "--verbose", "refresh", "Tapped")
	if !strings.Contains(r.stderr, "invalid_grant") || !strings.Contains(r.stderr, "refused") {
		t.Fatalf("refresh against the quoting endpoint: %s", r.stderr)
	}
	run(3, "--verbose", "token", "Tapped")
	r = run(1, "--verbose", "connect", "Tapped", "--timeout", "30s")
	if !strings.Contains(r.stderr, "token exchange failed") || !strings.Contains(r.stderr, "refused") {
		t.Fatalf("connect against the quoting endpoint: %s", r.stderr)
	}
	run(0, "import", exportFile, "--as", "Tapped again")

	if tap.count("code_verifier") < 2 || tap.count("code") < 2 || tap.count("refresh_token") < 2 {
		t.Fatalf("the tap saw too little: %d verifiers, %d codes, %d refresh tokens",
			tap.count("code_verifier"), tap.count("code"), tap.count("refresh_token"))
	}
	if !strings.Contains(printed.String(), "/oauth/token") {
		t.Fatalf("no --verbose log of the token requests in: %s", printed.String())
	}
	tap.absentFrom(t, "what the commands printed (stderr, --verbose log, errors, stdout)", printed.String())
	tap.absentFrom(t, "the export", export)
	_ = filepath.WalkDir(u.configDir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := os.ReadFile(p)
			tap.absentFrom(t, p, string(b))
		}
		return nil
	})
	u.ok("", "remove", "Tapped", "--local-only")
	u.ok("", "remove", "Tapped again", "--local-only")
}
