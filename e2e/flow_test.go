package e2e

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"connectedapps/core"
	"connectedapps/core/secret"
	"connectedapps/core/secret/secrettest"
	"connectedapps/internal/testkit"
)

type shownApp struct {
	core.App
	RedirectURI     string     `json:"redirect_uri"`
	ConnectionState string     `json:"connection_state"`
	ExpiresAt       *time.Time `json:"expires_at"`
}

func (u *user) show(name string) shownApp {
	u.t.Helper()
	var a shownApp
	if err := json.Unmarshal([]byte(u.ok("", "show", name, "--json")), &a); err != nil {
		u.t.Fatal(err)
	}
	return a
}

// storedTokens reads what the keyring holds for an app, as a second program on the machine could.
func storedTokens(t *testing.T, appID string) (core.TokenSet, string) {
	t.Helper()
	var ts core.TokenSet
	raw, err := secrettest.StoredTokens(secret.NewSystemStore(), appID, heldAccount(appID), &ts)
	if err != nil {
		t.Fatalf("reading the tokens from the keyring: %v", err)
	}
	return ts, raw
}

// addNative registers the provider's public (native) client with discovery and any port.
func (u *user) addNative(name string, extra ...string) shownApp {
	u.t.Helper()
	args := append([]string{"add", name, "--discovery", op.Issuer, "--client-id", testkit.NativeClientID,
		"--scope", "openid profile email", "--scope", "offline_access", "--redirect-port", "0"}, extra...)
	out := u.ok("", args...)
	if !strings.Contains(out, "Registered "+name) || !strings.Contains(out, "Redirect URI: http://") {
		u.t.Fatalf("add output: %s", out)
	}
	return u.show(name)
}

func TestFullLifecycleWithPublicClient(t *testing.T) {
	u := newUser(t)
	app := u.addNative("Example OP")
	if app.TokenURI != op.Issuer+"/oauth/token" || app.Issuer != op.Issuer || app.JWKSURI == "" || app.RevocationURI == "" || app.IntrospectionURI == "" {
		t.Fatalf("discovery did not fill the endpoints: %+v", app)
	}
	if app.ConnectionState != "not_connected" || !app.PKCE || app.EffectiveAuthMethod() != core.AuthMethodNone || app.RedirectURI != "http://127.0.0.1/callback/example-op (any port)" {
		t.Fatalf("new app: %+v", app)
	}

	out := u.ok("", "connect", "example op", "--timeout", "60s")
	if !strings.Contains(out, "Connected Example OP as Test User <test-user@zitadel.ch>") || !strings.Contains(out, "Refresh token: held") {
		t.Fatalf("connect output: %s", out)
	}
	var list []struct {
		Name      string     `json:"provider_name"`
		State     string     `json:"connection_state"`
		ExpiresAt *time.Time `json:"expires_at"`
	}
	if err := json.Unmarshal([]byte(u.ok("", "list", "--json")), &list); err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].State != "connected" || list[0].ExpiresAt == nil || time.Until(*list[0].ExpiresAt) < time.Minute {
		t.Fatalf("list after connect: %+v", list)
	}

	// The refresh token's issue is recorded by the sign-in, its use by each refresh (the
	// refresh-token health's dates); the provider is unknown to the presets, so no guess.
	connDates := func() (issued, used *time.Time, health any) {
		t.Helper()
		var doc struct {
			Connection struct {
				Issued *time.Time `json:"refresh_token_issued_at"`
				Used   *time.Time `json:"refresh_token_used_at"`
			} `json:"connection"`
			Health any `json:"refresh_token_health"`
		}
		if err := json.Unmarshal([]byte(u.ok("", "show", "Example OP", "--json")), &doc); err != nil {
			t.Fatal(err)
		}
		return doc.Connection.Issued, doc.Connection.Used, doc.Health
	}
	signedIn, used, health := connDates()
	if signedIn == nil || time.Since(*signedIn) > time.Minute || used != nil || health != nil {
		t.Fatalf("after connect: refresh token issued %v, used %v, health %v; want issued now, not used, no guess", signedIn, used, health)
	}

	// token, in every format, agrees with the keyring.
	first, _ := storedTokens(t, app.ID)
	if bare := u.ok("", "token", "Example OP"); bare != first.AccessToken+"\n" {
		t.Fatalf("token: %q, keyring has %q", bare, first.AccessToken)
	}
	if h := u.ok("", "token", "Example OP", "--format", "header"); h != "Authorization: Bearer "+first.AccessToken+"\n" {
		t.Fatalf("header: %q", h)
	}
	var tj struct {
		AccessToken string   `json:"access_token"`
		TokenType   string   `json:"token_type"`
		ExpiresAt   string   `json:"expires_at"`
		ExpiresIn   int      `json:"expires_in"`
		Scopes      []string `json:"scopes"`
	}
	if err := json.Unmarshal([]byte(u.ok("", "token", "Example OP", "--format", "json")), &tj); err != nil {
		t.Fatal(err)
	}
	if tj.AccessToken != first.AccessToken || tj.TokenType != "Bearer" || tj.ExpiresIn < 60 || tj.ExpiresIn > 300 || len(tj.Scopes) == 0 {
		t.Fatalf("token json: %+v", tj)
	}
	if _, err := time.Parse(time.RFC3339, tj.ExpiresAt); err != nil {
		t.Fatalf("expires_at %q: %v", tj.ExpiresAt, err)
	}
	if idt := strings.TrimSpace(u.ok("", "token", "Example OP", "--id-token")); idt != first.IDToken || strings.Count(idt, ".") != 2 {
		t.Fatalf("id token: %q", idt)
	}

	// userinfo with the access token.
	var ui map[string]any
	if err := json.Unmarshal([]byte(u.ok("", "userinfo", "Example OP")), &ui); err != nil {
		t.Fatal(err)
	}
	if ui["sub"] != "id1" || ui["email"] != "test-user@zitadel.ch" {
		t.Fatalf("userinfo: %v", ui)
	}

	// Forced refresh rotates the refresh token; the provider then refuses the old one.
	before := op.Refreshes()
	if out := u.ok("", "refresh", "Example OP"); !strings.HasPrefix(out, "Refreshed Example OP.") {
		t.Fatalf("refresh: %s", out)
	}
	if got := op.Refreshes() - before; got != 1 {
		t.Fatalf("refresh made %d requests at the provider, want 1", got)
	}
	second, _ := storedTokens(t, app.ID)
	if second.AccessToken == first.AccessToken || second.RefreshToken == first.RefreshToken || second.RefreshToken == "" {
		t.Fatal("refresh did not store a new access token and the rotated refresh token")
	}
	if status, body, _ := op.TryRefresh(testkit.NativeClientID, "", first.RefreshToken); status != 400 || !strings.Contains(body, "invalid_grant") {
		t.Fatalf("the provider still accepts the rotated-away refresh token: %d %s", status, body)
	}
	if issued, used, _ := connDates(); issued == nil || used == nil || !issued.Equal(*used) || issued.Before(*signedIn) {
		t.Fatalf("after a rotating refresh: issued %v, used %v; want both the refresh's time, not before the sign-in %v", issued, used, signedIn)
	}
	if bare := u.ok("", "token", "Example OP"); bare != second.AccessToken+"\n" {
		t.Fatalf("token after refresh: %q", bare)
	}
	// The refreshed ID token carries no email or name; who signed in is still known.
	if out := u.ok("", "show", "Example OP"); !strings.Contains(out, "Test User <test-user@zitadel.ch>") {
		t.Fatalf("the identity did not survive the refresh: %s", out)
	}

	// Disconnect revokes at the provider: the last refresh token is refused afterwards.
	if out := u.ok("", "disconnect", "Example OP"); !strings.Contains(out, "revoked") {
		t.Fatalf("disconnect: %s", out)
	}
	if status, body, _ := op.TryRefresh(testkit.NativeClientID, "", second.RefreshToken); status != 400 || !strings.Contains(body, "invalid_grant") {
		t.Fatalf("after disconnect the provider still accepts the refresh token: %d %s", status, body)
	}
	if _, err := secret.NewSystemStore().Get(userTokensKey(app.ID)); err == nil {
		t.Fatal("tokens left in the keyring after disconnect")
	}
	u.fails(3, "", []string{"token", "Example OP"}, "not connected", "connectedapps connect")
	if s := u.show("Example OP"); s.ConnectionState != "not_connected" {
		t.Fatalf("state after disconnect: %s", s.ConnectionState)
	}

	// remove deletes the registration.
	u.ok("", "remove", "Example OP")
	if out := u.ok("", "list"); !strings.Contains(out, "No apps registered") {
		t.Fatalf("list after remove: %s", out)
	}
}

func TestConfidentialClientIntrospectAndNoSecretLeaks(t *testing.T) {
	u := newUser(t)
	u.ok(testkit.WebClientSecret+"\n", "add", "Web", "--discovery", op.Issuer+"/.well-known/openid-configuration", "--client-id", testkit.WebClientID,
		"--client-secret-stdin", "--scope", "openid email offline_access", "--redirect-port", strconv.Itoa(op.WebClientPort))
	app := u.show("Web")
	if !app.HasClientSecret || app.EffectiveAuthMethod() != core.AuthMethodBasic || app.RedirectURI != op.WebRedirect {
		t.Fatalf("confidential app: %+v", app)
	}
	var logs strings.Builder
	for _, args := range [][]string{
		{"--verbose", "connect", "Web"},
		{"--verbose", "refresh", "Web"},
		{"token", "Web", "--verbose"},
		{"--verbose", "introspect", "Web"},
	} {
		r := u.run("", args...)
		if r.code != 0 {
			t.Fatalf("%v: exit %d: %s", args, r.code, r.stderr)
		}
		logs.WriteString(r.stderr)
		if args[1] == "introspect" {
			var in map[string]any
			if err := json.Unmarshal([]byte(r.stdout), &in); err != nil || in["active"] != true || in["client_id"] != testkit.WebClientID {
				t.Fatalf("introspection: %v %s", err, r.stdout)
			}
		}
	}
	if !strings.Contains(logs.String(), "/oauth/token") {
		t.Fatalf("--verbose logged no token request: %s", logs.String())
	}
	tokens, raw := storedTokens(t, app.ID)
	registry, err := os.ReadFile(u.registryPath())
	if err != nil {
		t.Fatal(err)
	}
	if info, _ := os.Stat(u.registryPath()); info.Mode().Perm() != 0o600 {
		t.Fatalf("apps.json mode %v", info.Mode().Perm())
	}
	secrets := map[string]string{"client secret": testkit.WebClientSecret, "access token": tokens.AccessToken,
		"refresh token": tokens.RefreshToken, "id token": tokens.IDToken, "token record": raw}
	for what, s := range secrets {
		forms := []string{s, base64.StdEncoding.EncodeToString([]byte(s)), base64.RawURLEncoding.EncodeToString([]byte(s)),
			url.QueryEscape(s), base64.StdEncoding.EncodeToString([]byte(testkit.WebClientID + ":" + s))}
		for _, f := range forms {
			if strings.Contains(string(registry), f) {
				t.Errorf("the %s (or an encoding of it) is in apps.json", what)
			}
			if strings.Contains(logs.String(), f) {
				t.Errorf("the %s (or an encoding of it) is in the --verbose log", what)
			}
		}
	}
	for _, args := range [][]string{{"show", "Web"}, {"show", "Web", "--json"}, {"list", "--json"}} {
		if out := u.ok("", args...); strings.Contains(out, testkit.WebClientSecret) || strings.Contains(out, tokens.AccessToken) {
			t.Errorf("%v prints a secret", args)
		}
	}
	// The client secret is in the keyring and nowhere in the config folder.
	if got, err := secret.NewSystemStore().Get("app/" + app.ID + "/client_secret"); err != nil || got != testkit.WebClientSecret {
		t.Fatalf("client secret in keyring: %q %v", got, err)
	}
	_ = filepathWalkNoSecret(t, u.configDir, testkit.WebClientSecret)
	u.ok("", "remove", "Web")
}

func filepathWalkNoSecret(t *testing.T, dir, secret string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		p := dir + "/" + e.Name()
		if e.IsDir() {
			_ = filepathWalkNoSecret(t, p, secret)
			continue
		}
		if b, err := os.ReadFile(p); err == nil && strings.Contains(string(b), secret) {
			t.Errorf("%s holds the client secret", p)
		}
	}
	return nil
}

func TestTenConcurrentTokenCallsMakeOneRefresh(t *testing.T) {
	u := newUser(t)
	app := u.addNative("Busy")
	u.ok("", "connect", "Busy")
	// The token has expired (rewritten so in the keyring, as time would do). With --min-valid
	// asking for more than the provider's five-minute tokens can give, the fresh token must
	// still satisfy the processes that come after the refresh.
	for _, args := range [][]string{{"token", "Busy"}, {"token", "Busy", "--min-valid", "1h"}} {
		old, _ := storedTokens(t, app.ID)
		expireStoredToken(t, app.ID)
		before := op.Refreshes()
		const n = 10
		results := make([]result, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() { results[i] = u.run("", args...) })
		}
		wg.Wait()
		for i, r := range results {
			if r.code != 0 || r.stderr != "" {
				t.Fatalf("%v, process %d: exit %d: %s", args, i, r.code, r.stderr)
			}
			if r.stdout != results[0].stdout {
				t.Fatalf("%v: process %d got another token", args, i)
			}
		}
		if got := op.Refreshes() - before; got != 1 {
			t.Fatalf("%v: %d refreshes at the provider, want exactly 1", args, got)
		}
		now, _ := storedTokens(t, app.ID)
		if results[0].stdout != now.AccessToken+"\n" || now.AccessToken == old.AccessToken {
			t.Fatalf("%v: the processes did not all get the refreshed token", args)
		}
	}
}

// expireStoredToken moves the stored access token's expiry into the past, as if its five
// minutes had gone by.
func expireStoredToken(t *testing.T, appID string) {
	t.Helper()
	if err := secrettest.ExpireStoredToken(secret.NewSystemStore(), appID, heldAccount(appID)); err != nil {
		t.Fatal(err)
	}
}

// heldAccount is the account of appID whose tokens the keyring holds: the example provider's
// first user's, its second's, or the one a sign-in naming nobody makes (client credentials).
func heldAccount(appID string) string {
	for _, id := range []string{core.AccountIDFor(testkit.UserID), core.AccountIDFor("id2"), core.AnonymousAccount} {
		if _, err := secret.NewSystemStore().Get(secrettest.TokensKey(appID, id)); err == nil {
			return id
		}
	}
	return core.AccountIDFor(testkit.UserID)
}

func TestRevokedGrantNeedsReauth(t *testing.T) {
	u := newUser(t)
	app := u.addNative("Revoked")
	u.ok("", "connect", "Revoked")
	ts, _ := storedTokens(t, app.ID)
	// Another program uses (and so rotates away) the refresh token: ours is no longer accepted.
	if status, body, _ := op.TryRefresh(testkit.NativeClientID, "", ts.RefreshToken); status != 200 {
		t.Fatalf("refresh: %d %s", status, body)
	}
	expireStoredToken(t, app.ID)
	u.fails(3, "", []string{"token", "Revoked"}, "invalid_grant", "connect")
	if s := u.show("Revoked"); s.ConnectionState != "needs_reauth" {
		t.Fatalf("state: %s", s.ConnectionState)
	}
	// The tokens were kept (nothing is thrown away on a failed refresh) and the next call
	// says the same without asking the provider again.
	before := op.Refreshes()
	u.fails(3, "", []string{"token", "Revoked"}, "sign in again")
	if op.Refreshes() != before {
		t.Fatal("a needs_reauth app asked the provider again")
	}
	// Signing in again repairs it.
	u.ok("", "connect", "Revoked")
	if s := u.show("Revoked"); s.ConnectionState != "connected" {
		t.Fatalf("state after reconnect: %s", s.ConnectionState)
	}
}

// A sign-in the person declines or the provider refuses ends in one line with the provider's
// own words and the next step, and leaves the app not connected: for the code flow (the
// person declines; the provider itself answers login_required to prompt=none without a
// session) and for the device flow (the person declines on the provider's /device page).
func TestProviderErrorsReachThePerson(t *testing.T) {
	for _, c := range []struct {
		name, mode string
		device     bool     // the device client and grant, else the native client's code flow
		extra      []string // add's extra flags
		connect    []string // connect's flags
		want       []string // in the one line on stderr
		stdout     string   // in stdout, if not ""
	}{
		{name: "Denied", mode: testkit.ModeDeny, connect: []string{"--timeout", "30s"},
			want: []string{`"access_denied"`, "declined", "The user declined <the> request"}},
		{name: "Silent", mode: testkit.ModeFollow, extra: []string{"--param", "prompt=none"}, connect: []string{"--timeout", "30s"},
			want: []string{`"login_required"`}},
		{name: "Declined", mode: testkit.ModeDeny, device: true, extra: []string{"--grant", "device_code"},
			want: []string{`"access_denied"`, "declined", "connect again"}, stdout: "Waiting for the approval"},
	} {
		t.Run(c.name, func(t *testing.T) {
			u := newUser(t).with(testkit.BrowserModeEnv + "=" + c.mode)
			if c.device {
				u.addDevice(c.name, c.extra...)
			} else {
				u.addNative(c.name, c.extra...)
			}
			r := u.fails(1, "", append([]string{"connect", c.name}, c.connect...), c.want...)
			if !strings.Contains(r.stdout, c.stdout) {
				t.Errorf("stdout %q lacks %q", r.stdout, c.stdout)
			}
			if s := u.show(c.name); s.ConnectionState != "not_connected" {
				t.Errorf("state after the refusal: %s", s.ConnectionState)
			}
		})
	}
}

func TestPortInUse(t *testing.T) {
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	u := newUser(t)
	u.addNative("Blocked", "--redirect-port", strconv.Itoa(port))
	start := time.Now()
	u.fails(1, "", []string{"connect", "Blocked"}, fmt.Sprintf("port %d", port), "already in use", "--redirect-port")
	if time.Since(start) > 20*time.Second {
		t.Fatal("a port in use must fail at once, not after the sign-in timeout")
	}
}

func TestPasteBackWithoutBrowser(t *testing.T) {
	u := newUser(t)
	u.addNative("Remote")
	cmd, stdin, stdout := u.start("connect", "Remote", "--no-browser", "--timeout", "60s")
	link := ""
	stdout.await(t, 30*time.Second, "sign-in link", func(out string) bool {
		for _, line := range strings.Split(out, "\n") {
			if l := strings.TrimSpace(line); strings.HasPrefix(l, op.Issuer) {
				link = l
			}
		}
		return link != ""
	})
	final, err := testkit.SignIn(link, testkit.ModeCapture, op.Username())
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintln(stdin, "this is not a URL")
	fmt.Fprintln(stdin, final)
	stdin.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("connect --no-browser: %v\n%s", err, stdout.String())
	}
	out := stdout.String()
	if !strings.Contains(out, "that is not the redirect URL") || !strings.Contains(out, "Connected Remote as") {
		t.Fatalf("output: %s", out)
	}
}

func TestKeyringUnreachable(t *testing.T) {
	// The real go-keyring against a D-Bus address where nothing listens.
	u := newUser(t).with("DBUS_SESSION_BUS_ADDRESS=unix:path="+t.TempDir()+"/no-bus", "CONNECTEDAPPS_KEYRING_TIMEOUT=10s")
	r := u.fails(1, testkit.WebClientSecret, []string{"add", "NoKeyring", "--client-id", "c", "--client-secret-stdin",
		"--auth-url", op.Issuer + "/auth", "--token-url", op.Issuer + "/oauth/token"},
		"NoKeyring was registered", "keyring cannot be reached", "--client-secret-stdin")
	if !strings.Contains(r.stdout, "Registered NoKeyring") {
		t.Fatalf("stdout: %s", r.stdout)
	}
	reg, _ := os.ReadFile(u.registryPath())
	if !strings.Contains(string(reg), "NoKeyring") || strings.Contains(string(reg), testkit.WebClientSecret) {
		t.Fatalf("registry: %s", reg)
	}
	_ = filepathWalkNoSecret(t, u.configDir, testkit.WebClientSecret)
	u.fails(1, "", []string{"connect", "NoKeyring"}, "keyring")
}

func TestChunkedSecretsInTheRealKeyring(t *testing.T) {
	u := newUser(t).with("CONNECTEDAPPS_KEYRING_CHUNK_LIMIT=64")
	app := u.addNative("Chunky")
	u.ok("", "connect", "Chunky")
	raw, err := (&secret.KeyringStore{Timeout: 10 * time.Second}).Get(userTokensKey(app.ID))
	if err != nil || !strings.HasPrefix(raw, "connectedapps-chunked:v1:") {
		t.Fatalf("the token record is not split into pieces: %q %v", raw, err)
	}
	tok := u.ok("", "token", "Chunky")
	u.ok("", "refresh", "Chunky")
	if tok2 := u.ok("", "token", "Chunky"); tok2 == tok {
		t.Fatal("refresh through chunks did not store the new token")
	}
	u.ok("", "remove", "Chunky")
}

func TestCorruptRegistryIsReportedNotOverwritten(t *testing.T) {
	u := newUser(t)
	if err := os.MkdirAll(u.configDir+"/connectedapps", 0o700); err != nil {
		t.Fatal(err)
	}
	garbage := []byte(`{"version": 1, "apps": [ {"provider_name": "half`)
	if err := os.WriteFile(u.registryPath(), garbage, 0o600); err != nil {
		t.Fatal(err)
	}
	u.fails(1, "", []string{"list"}, u.registryPath(), "cannot parse")
	u.fails(1, "", []string{"add", "X", "--client-id", "c", "--auth-url", "https://example.com/a", "--token-url", "https://example.com/t"}, u.registryPath())
	if b, _ := os.ReadFile(u.registryPath()); string(b) != string(garbage) {
		t.Fatal("the corrupt registry was changed")
	}
}

func TestTwoProcessesChangeTheRegistryAtOnce(t *testing.T) {
	u := newUser(t)
	var wg sync.WaitGroup
	codes := make([]int, 16)
	for i := range codes {
		wg.Go(func() {
			r := u.run("", "add", fmt.Sprintf("App %02d", i), "--client-id", "c", "--auth-url", "https://example.com/a", "--token-url", "https://example.com/t")
			codes[i] = r.code
		})
	}
	wg.Wait()
	var list []map[string]any
	if err := json.Unmarshal([]byte(u.ok("", "list", "--json")), &list); err != nil {
		t.Fatal(err)
	}
	if len(list) != len(codes) {
		t.Fatalf("%d apps registered by %d processes (exit codes %v)", len(list), len(codes), codes)
	}
}

func TestDiscoveryFailuresRegisterNothing(t *testing.T) {
	u := newUser(t)
	srv := newBadDiscoveryServer(t)
	cases := []struct {
		path string
		want []string
	}{
		{"/missing", []string{"404", srv.URL + "/missing/.well-known/openid-configuration"}},
		{"/html", []string{"not JSON", srv.URL + "/html"}},
		{"/other-issuer", []string{"does not match", "--issuer"}},
	}
	for _, c := range cases {
		u.fails(1, "", []string{"discover", srv.URL + c.path}, c.want...)
		u.fails(1, "", []string{"add", "Bad", "--discovery", srv.URL + c.path, "--client-id", "c"}, c.want...)
	}
	if out := u.ok("", "list"); !strings.Contains(out, "No apps registered") {
		t.Fatalf("a failed discovery registered something: %s", out)
	}
	var md core.ProviderMetadata
	if err := json.Unmarshal([]byte(u.ok("", "discover", op.Issuer)), &md); err != nil || md.Issuer != op.Issuer {
		t.Fatalf("discover: %+v %v", md, err)
	}
}

func TestQuietStderrAndUsageErrors(t *testing.T) {
	u := newUser(t)
	for _, lang := range []string{"C", "C.UTF-8", "", "en_US.UTF-8"} {
		r := u.with("LANG="+lang).run("", "list")
		if r.code != 0 || r.stderr != "" {
			t.Fatalf("list under LANG=%s: exit %d, stderr %q", lang, r.code, r.stderr)
		}
		if r := u.with("LANG="+lang).run("", "token", "nope"); r.stderr != "connectedapps: no app named \"nope\": see `connectedapps list`\n" {
			t.Fatalf("token under LANG=%s: stderr %q", lang, r.stderr)
		}
	}
	for _, c := range []struct {
		code int
		args []string
		want []string
	}{
		{2, []string{"frobnicate"}, []string{"unknown command"}},
		{2, []string{"token"}, []string{"NAME"}},
		{2, []string{"token", "x", "--format", "yaml"}, []string{"--format"}},
		{2, []string{"add", "x", "--bogus"}, []string{"bogus"}},
		{1, []string{"token", "nope"}, []string{`no app named "nope"`}},
		{1, []string{"add", "x", "--client-id", "c", "--auth-url", "http://example.com/a", "--token-url", "https://example.com/t"}, []string{"--auth-url", "plain http"}},
	} {
		u.fails(c.code, "", c.args, c.want...)
	}
	if out := u.ok("", "help"); !strings.Contains(out, "connect") {
		t.Fatalf("help: %s", out)
	}
	// Without a display the window is refused in one line pointing to the command line.
	noDisplay := u.with("DISPLAY=", "WAYLAND_DISPLAY=")
	noDisplay.fails(1, "", []string{}, "no display", "connectedapps help")
}
