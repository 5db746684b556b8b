package e2e

import (
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"connectedapps/core"
	"connectedapps/internal/testkit"
)

// addDevice registers the provider's device client (confidential, device grant only).
func (u *user) addDevice(name string, extra ...string) shownApp {
	u.t.Helper()
	args := append([]string{"add", name, "--discovery", op.Issuer, "--client-id", testkit.DeviceClientID, "--client-secret-stdin",
		"--scope", "openid email profile"}, extra...)
	u.ok(testkit.DeviceClientSecret, args...)
	return u.show(name)
}

// The scripted browser, handed verification_uri_complete through $BROWSER, signs in and
// approves the code on the provider's /device pages while connect polls.
func TestDeviceFlowApprovedInTheBrowser(t *testing.T) {
	u := newUser(t)
	app := u.addDevice("TV", "--grant", "device_code")
	if app.DeviceAuthorizationURI != op.Issuer+"/device_authorization" || app.GrantType != core.GrantDeviceCode {
		t.Fatalf("device app: %+v", app.App)
	}
	out := u.ok("", "connect", "TV")
	lines := strings.Split(out, "\n")
	if !containsLine(lines, "  "+op.Issuer+"/device") {
		t.Errorf("the verification URI is not on a line of its own:\n%s", out)
	}
	if !regexp.MustCompile(`(?m)^  [A-Z]{4}-[A-Z]{4}$`).MatchString(out) {
		t.Errorf("the user code is not on a line of its own:\n%s", out)
	}
	if !strings.Contains(out, "Your browser is opening") || !strings.Contains(out, "Connected TV as Test User <test-user@zitadel.ch>") {
		t.Fatalf("connect output:\n%s", out)
	}
	// The ID token was verified (no nonce in this flow) and the identity recorded.
	s := u.show("TV")
	if s.ConnectionState != "connected" || s.Connection().Subject != "id1" || s.Connection().Email != "test-user@zitadel.ch" {
		t.Fatalf("after the device flow: %+v", s.Connection())
	}
	tokens, _ := storedTokens(t, app.ID)
	if tok := u.ok("", "token", "TV"); tok != tokens.AccessToken+"\n" || tokens.IDToken == "" {
		t.Fatalf("token %q, keyring %+v", tok, tokens)
	}
	var ui map[string]any
	if err := json.Unmarshal([]byte(u.ok("", "userinfo", "TV")), &ui); err != nil || ui["sub"] != "id1" {
		t.Fatalf("userinfo with the device token: %v %v", ui, err)
	}
}

// connect --device on an authorization code app, with no browser: the person reads the page
// and the code off the terminal and types the code on another device.
func TestDeviceFlowTypedCodeAndCancel(t *testing.T) {
	u := newUser(t)
	u.addDevice("Laptop", "--redirect-port", "0")
	cmd, stdin, out := u.start("connect", "Laptop", "--device", "--no-browser")
	defer stdin.Close()
	page, code := waitForDeviceCode(t, out)
	if strings.Contains(out.String(), "browser is opening") || !strings.Contains(out.String(), "?user_code="+code) {
		t.Errorf("--no-browser output:\n%s", out.String())
	}
	if err := testkit.DeviceSignIn(page, code, true, testkit.UserID); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("connect --device: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "Connected Laptop as") {
		t.Fatalf("output:\n%s", out.String())
	}

	// Ctrl+C while waiting: one line, and nothing recorded. Over SSH (no display, no
	// $BROWSER) no browser is started: the link with the code is printed instead.
	u.ok("", "disconnect", "Laptop", "--local-only")
	cmd, stdin2, out := u.with("BROWSER=", "DISPLAY=", "WAYLAND_DISPLAY=").start("connect", "Laptop", "--device")
	defer stdin2.Close()
	waitForDeviceCode(t, out)
	if !strings.Contains(out.String(), "This link has the code in it already") {
		t.Errorf("headless device connect:\n%s", out.String())
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	if ee, ok := err.(interface{ ExitCode() int }); !ok || ee.ExitCode() != 1 || !strings.Contains(out.String(), "connectedapps: Laptop: sign-in canceled\n") {
		t.Fatalf("canceled connect: %v\n%s", err, out.String())
	}
	if s := u.show("Laptop"); s.ConnectionState != "not_connected" {
		t.Fatalf("state after cancel: %s", s.ConnectionState)
	}
}

// waitForDeviceCode reads the verification URI and the user code a device connect printed.
func waitForDeviceCode(t *testing.T, out *syncBuffer) (page, code string) {
	t.Helper()
	out.await(t, 30*time.Second, "device code", func(s string) bool { return strings.Contains(s, "Waiting for the approval") })
	s := out.String()
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		switch strings.TrimSpace(l) {
		case "To sign in, open this page on any device with a browser:":
			page = strings.TrimSpace(lines[i+2])
		case "and enter the code:":
			code = strings.TrimSpace(lines[i+2])
		}
	}
	if page == "" || code == "" {
		t.Fatalf("no page or code in:\n%s", s)
	}
	return page, code
}

func containsLine(lines []string, want string) bool {
	for _, l := range lines {
		if l == want {
			return true
		}
	}
	return false
}

func TestClientCredentialsGrant(t *testing.T) {
	u := newUser(t)
	out := u.ok(testkit.ServiceClientSecret, "add", "Service", "--discovery", op.Issuer, "--grant", "client_credentials",
		"--client-id", testkit.ServiceClientID, "--client-secret-stdin", "--scope", "read")
	if strings.Contains(out, "Redirect URI") {
		t.Errorf("a client credentials app has no redirect URI to register:\n%s", out)
	}
	app := u.show("Service")

	// token obtains the first token with no browser ($BROWSER would fail the test).
	before := op.ClientCredentialsGrants()
	first := u.with("BROWSER=false").ok("", "token", "Service")
	if got := op.ClientCredentialsGrants() - before; got != 1 {
		t.Fatalf("%d client credentials requests, want 1", got)
	}
	stored, _ := storedTokens(t, app.ID)
	if first != stored.AccessToken+"\n" || stored.RefreshToken != "" || stored.IDToken != "" || stored.Expiry == nil {
		t.Fatalf("stored: %+v", stored)
	}
	// Cached: no request while it is fresh.
	if again := u.ok("", "token", "Service"); again != first || op.ClientCredentialsGrants()-before != 1 {
		t.Fatal("a fresh client credentials token was fetched again")
	}
	var in map[string]any
	if err := json.Unmarshal([]byte(u.ok("", "introspect", "Service")), &in); err != nil || in["active"] != true {
		t.Fatalf("introspection: %v %v", in, err)
	}
	s := u.show("Service")
	if s.ConnectionState != "connected" || s.Connection().HasRefreshToken {
		t.Fatalf("connection: %+v", s.Connection())
	}

	// Near expiry, ten processes at once: one new token from the provider, the same for all.
	expireStoredToken(t, app.ID)
	before = op.ClientCredentialsGrants()
	results := make([]result, 10)
	var wg sync.WaitGroup
	for i := range results {
		wg.Go(func() { results[i] = u.run("", "token", "Service") })
	}
	wg.Wait()
	for i, r := range results {
		if r.code != 0 || r.stderr != "" || r.stdout != results[0].stdout || r.stdout == first {
			t.Fatalf("process %d: exit %d %q %q", i, r.code, r.stdout, r.stderr)
		}
	}
	if got := op.ClientCredentialsGrants() - before; got != 1 {
		t.Fatalf("%d client credentials requests for ten processes, want 1", got)
	}

	// connect just fetches a token.
	before = op.ClientCredentialsGrants()
	if out := u.ok("", "connect", "Service"); !strings.Contains(out, "Connected Service with its client credentials") || op.ClientCredentialsGrants()-before != 1 {
		t.Fatalf("connect: %s", out)
	}
	// The example OP records no client for a client credentials token, so it refuses to
	// revoke it for anyone: the refusal keeps the token here, and --local-only forgets it.
	u.fails(3, "", []string{"disconnect", "Service"}, "token was not issued for this client", "--local-only")
	if out := u.ok("", "disconnect", "Service", "--local-only"); !strings.Contains(out, "deleted here") {
		t.Fatalf("disconnect --local-only: %s", out)
	}
	// And the next token call simply fetches a new one.
	if tok := u.ok("", "token", "Service"); tok == "" || tok == first {
		t.Fatalf("token after disconnect: %q", tok)
	}
}

func TestClientCredentialsWrongSecretAndMissingSecret(t *testing.T) {
	u := newUser(t)
	u.ok("not-the-secret", "add", "Wrong", "--token-url", op.Issuer+"/oauth/token", "--grant", "client_credentials",
		"--client-id", testkit.ServiceClientID, "--client-secret-stdin")
	r := u.fails(3, "", []string{"token", "Wrong"}, "Wrong", "invalid_client", "client ID and secret")
	if strings.Contains(r.stderr, "not-the-secret") {
		t.Fatal("the secret is in the error")
	}
	u.fails(1, "", []string{"add", "NoSecret", "--token-url", op.Issuer + "/oauth/token", "--grant", "client_credentials", "--client-id", testkit.ServiceClientID},
		"--client-secret-stdin", "client credentials grant needs the client secret")
}
