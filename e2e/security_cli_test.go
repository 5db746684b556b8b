package e2e

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"connectedapps/core/secret"
	"connectedapps/core/secret/secrettest"
)

// "keyring status --help" once answered "keyring needs one of: ..." with exit 2: the real
// binary now prints the command's help and exits 0, for a subcommand and a plain command alike,
// before it opens any store (so a vault without its passphrase cannot stand in the way).
func TestSubcommandHelpExitsZero(t *testing.T) {
	u := newUser(t)
	for _, args := range [][]string{{"keyring", "status", "--help"}, {"keyring", "use-vault", "-h"}, {"git-credential", "GitHub", "get", "--help"}, {"token", "--help"}} {
		r := u.run("", args...)
		if r.code != 0 || r.stderr != "" || !strings.HasPrefix(r.stdout, "connectedapps "+args[0]) {
			t.Errorf("%v: exit %d, stderr %q, stdout %q", args, r.code, r.stderr, r.stdout)
		}
	}
}

// The attack from the issue, as typed: git-credential asked about another host answers
// nothing on stdout (so git tries its next helper) and exits 0, with one line on stderr.
func TestGitCredentialRefusesOtherHosts(t *testing.T) {
	u := newUser(t)
	u.ok("", "add", "GitHub", "--preset", "github", "--client-id", "gh-client")
	if show := u.show("GitHub"); strings.Join(show.GitHosts, " ") != "github.com" {
		t.Fatalf("the GitHub preset's git hosts: %v", show.GitHosts)
	}
	cmd := exec.Command("sh", "-c", `printf 'protocol=https\nhost=evil.example\n\n' | "$BIN" git-credential GitHub get`)
	cmd.Env = append(u.env, "BIN="+bin)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil || stdout.String() != "" || strings.Count(stderr.String(), "\n") != 1 ||
		!strings.Contains(stderr.String(), "GitHub has no git host evil.example") {
		t.Fatalf("git-credential for evil.example: %v, stdout %q, stderr %q", err, stdout.String(), stderr.String())
	}
	// An app without git hosts answers no host at all.
	u.addNative("Plain")
	if r := u.run("protocol=https\nhost=github.com\n\n", "git-credential", "Plain", "get"); r.code != 0 || r.stdout != "" || !strings.Contains(r.stderr, "Plain has no git hosts") {
		t.Fatalf("an app without git hosts: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	// The allowed host, once connected, gets the token (the host-scoped case with a real git
	// is in TestGitCredentialHelperWithGit).
	u.ok("", "connect", "Plain")
	u.ok("", "edit", "Plain", "--git-host", "git.example")
	if r := u.run("protocol=https\nhost=git.example\n\n", "git-credential", "Plain", "get"); r.code != 0 || !strings.Contains(r.stdout, "password=") || r.stderr != "" {
		t.Fatalf("the app's own git host: exit %d, stdout has a password: %v, stderr %q", r.code, strings.Contains(r.stdout, "password="), r.stderr)
	}
}

// hostileProvider answers with terminal escape sequences wherever a provider's words reach
// the person: the device user code and page, the name in the ID token, error_description.
type hostileProvider struct {
	srv *httptest.Server
	key *rsa.PrivateKey
}

// escapes is what a provider slipped in: retitle the window (OSC 0 ... BEL), clear the
// screen (CSI 2J), and an 8-bit CSI (U+009B) for terminals that take C1 codes.
const escapes = "\x1b]0;pwned\x07\x1b[2J\u009b31m\x7f"

func startHostileProvider(t *testing.T) *hostileProvider {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	p := &hostileProvider{key: key}
	answer := func(w http.ResponseWriter, status int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(v)
	}
	// Unstarted, so p.srv is set before any handler reads p.srv.URL.
	p.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		switch r.URL.Path {
		case "/jwks":
			answer(w, 200, map[string]any{"keys": []map[string]string{{"kty": "RSA", "kid": "k1", "alg": "RS256", "use": "sig",
				"n": base64.RawURLEncoding.EncodeToString(key.N.Bytes()), "e": "AQAB"}}})
		case "/device":
			answer(w, 200, map[string]any{"device_code": "dc-" + r.Form.Get("client_id"), "user_code": "WDJB-" + escapes + "MJHT",
				"verification_uri": p.srv.URL + "/activate\u009b2J", "verification_uri_complete": p.srv.URL + "/activate?code=WDJB" + escapes,
				"expires_in": 60, "interval": 1})
		case "/token":
			switch {
			case r.Form.Get("client_id") == "deny" || r.Form.Get("device_code") == "dc-deny":
				answer(w, 400, map[string]string{"error": "access_denied", "error_description": "Denied " + escapes + "by the admin\nof this tenant"})
			case r.Form.Get("grant_type") == "refresh_token":
				answer(w, 400, map[string]string{"error": "invalid_grant", "error_description": "Token " + escapes + "revoked"})
			default:
				answer(w, 200, map[string]any{"access_token": "at-hostile", "token_type": "Bearer", "expires_in": 3600,
					"refresh_token": "rt-hostile", "id_token": p.idToken(t, r.Form.Get("client_id"))})
			}
		default:
			http.NotFound(w, r)
		}
	}))
	p.srv.Start()
	t.Cleanup(p.srv.Close)
	return p
}

// idToken signs an ID token (RS256) whose name carries the escape sequences.
func (p *hostileProvider) idToken(t *testing.T, clientID string) string {
	enc := func(v any) string {
		b, _ := json.Marshal(v)
		return base64.RawURLEncoding.EncodeToString(b)
	}
	now := time.Now().Unix()
	input := enc(map[string]string{"alg": "RS256", "kid": "k1", "typ": "JWT"}) + "." + enc(map[string]any{
		"iss": p.srv.URL, "sub": "u1", "aud": clientID, "iat": now, "exp": now + 600,
		"name": "Mallory " + escapes + "Evil", "email": "m@evil.example\x1b[8m"})
	sum := sha256.Sum256([]byte(input))
	sig, err := rsa.SignPKCS1v15(rand.Reader, p.key, crypto.SHA256, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	return input + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// controlIn names the first control character (C0, DEL, C1) in s, also as a JSON escape.
func controlIn(s string) string {
	for _, r := range s {
		if (r < 0x20 && r != '\n') || r == 0x7f || (r >= 0x80 && r <= 0x9f) {
			return fmt.Sprintf("%U", r)
		}
	}
	for _, esc := range []string{`\u001b`, `\u0007`, `\u007f`, `\u009b`} {
		if strings.Contains(s, esc) {
			return esc
		}
	}
	return ""
}

// The attack: a provider's words carry escape sequences. What the command line prints, what
// apps.json keeps and what show displays hold none of them, and the words are still there.
func TestProviderTextCannotDriveTheTerminal(t *testing.T) {
	p := startHostileProvider(t)
	u := newUser(t)
	base := []string{"--grant", "device_code", "--device-url", p.srv.URL + "/device", "--token-url", p.srv.URL + "/token"}
	u.ok("", append([]string{"add", "Dev", "--client-id", "dev", "--scope", "openid", "--issuer", p.srv.URL, "--jwks-url", p.srv.URL + "/jwks"}, base...)...)
	u.ok("", append([]string{"add", "Deny", "--client-id", "deny"}, base...)...)

	clean := func(what, s string, words ...string) {
		t.Helper()
		if c := controlIn(s); c != "" {
			t.Errorf("%s holds the control character %s: %q", what, c, s)
		}
		for _, w := range words {
			if !strings.Contains(s, w) {
				t.Errorf("%s lost the words %q: %q", what, w, s)
			}
		}
	}
	// The user code, the page and the name in the ID token.
	r := u.run("", "connect", "Dev", "--no-browser", "--timeout", "30s")
	if r.code != 0 {
		t.Fatalf("connect Dev: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	clean("connect's stdout", r.stdout, "WDJB-", "MJHT", "/activate", "Connected Dev as Mallory ", "Evil <m@evil.example")
	clean("connect's stderr", r.stderr)
	clean("show", u.ok("", "show", "Dev"), "Mallory", "Evil")

	// error_description, at a refresh (kept in apps.json as the last error) and at sign-in.
	app := u.show("Dev")
	if err := secrettest.ExpireStoredToken(secret.NewSystemStore(), app.ID, app.Default().ID); err != nil {
		t.Fatal(err)
	}
	r = u.fails(3, "", []string{"token", "Dev"}, "invalid_grant", "Token ", "revoked")
	clean("token's stderr", r.stderr)
	clean("show after the refusal", u.ok("", "show", "Dev"), "Last error", "revoked")
	r = u.run("", "connect", "Deny", "--no-browser", "--timeout", "30s")
	if r.code == 0 {
		t.Fatalf("connect Deny succeeded: %s", r.stdout)
	}
	clean("the refused connect's stderr", r.stderr, "access_denied", "Denied ", "by the admin of this tenant")
	clean("the refused connect's stdout", r.stdout)

	registry, err := os.ReadFile(u.registryPath())
	if err != nil {
		t.Fatal(err)
	}
	clean("apps.json", string(registry), "Mallory", "revoked")
}

// The same through the browser: a hostile provider redirects back to the catcher with an
// error_description full of escapes; connect's one line of error holds none of them.
func TestSignInErrorFromTheProviderIsCleaned(t *testing.T) {
	p := startHostileProvider(t)
	u := newUser(t)
	u.ok("", "add", "Web", "--client-id", "web", "--auth-url", p.srv.URL+"/auth", "--token-url", p.srv.URL+"/token", "--redirect-port", "0")
	cmd, _, out := u.start("connect", "Web", "--no-browser", "--timeout", "30s")
	var link *url.URL
	out.await(t, 20*time.Second, "sign-in link", func(s string) bool {
		for _, f := range strings.Fields(s) {
			if l, err := url.Parse(f); err == nil && strings.HasPrefix(f, p.srv.URL+"/auth?") {
				link = l
			}
		}
		return link != nil
	})
	q := link.Query()
	back := q.Get("redirect_uri") + "?" + url.Values{"state": {q.Get("state")}, "error": {"access_denied"},
		"error_description": {"Denied " + escapes + "by the admin"}}.Encode()
	if resp, err := http.Get(back); err == nil {
		resp.Body.Close()
	} else {
		t.Fatalf("the redirect back to the catcher: %v", err)
	}
	if err := cmd.Wait(); err == nil {
		t.Fatalf("connect succeeded on an error answer: %s", out.String())
	}
	if c := controlIn(out.String()); c != "" || !strings.Contains(out.String(), "Denied ") || !strings.Contains(out.String(), "by the admin") {
		t.Fatalf("connect's output (control character %q): %q", c, out.String())
	}
}

// The attack: a "Google" client file whose endpoints lead elsewhere (sent by someone, or
// edited on the way) would send the sign-in, the code and the client secret there. The
// whole file is refused in one line naming the host: nothing is registered or stored.
func TestImportRefusesAGoogleFileWithForeignEndpoints(t *testing.T) {
	u := newUser(t)
	dir := t.TempDir()
	const clientSecret = "GOCSPX-foreign-endpoint-secret"
	for _, c := range []struct{ field, value, host string }{
		{"token_uri", "https://evil.example/token", "evil.example"},
		{"auth_uri", "https://accounts.google.com.evil.example/o/oauth2/auth", "accounts.google.com.evil.example"},
		{"auth_provider_x509_cert_url", "http://www.googleapis.com/oauth2/v1/certs", "www.googleapis.com"},
	} {
		client := map[string]any{"client_id": "1234-desk.apps.googleusercontent.com", "client_secret": clientSecret,
			"auth_uri": "https://accounts.google.com/o/oauth2/auth", "token_uri": "https://oauth2.googleapis.com/token",
			"redirect_uris": []string{"http://localhost"}}
		client[c.field] = c.value
		file := filepath.Join(dir, "client_secret_"+c.field+".json")
		writeJSON(t, file, map[string]any{"installed": client})
		u.fails(1, "", []string{"import", file}, "Google client file's "+c.field+" points at "+c.host, "not Google's", "nothing was imported")
	}
	if out := u.ok("", "list", "--json"); strings.TrimSpace(out) != "[]" {
		t.Fatalf("something was registered: %s", out)
	}
	_ = filepathWalkNoSecret(t, u.configDir, clientSecret)
	if _, err := exec.LookPath("secret-tool"); err == nil {
		out, _ := exec.Command("secret-tool", "search", "--all", "service", secret.KeyringService).CombinedOutput()
		if strings.Contains(string(out), clientSecret) {
			t.Fatal("the client secret of a refused file is in the keyring")
		}
	}
}
