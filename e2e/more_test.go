package e2e

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"connectedapps/internal/testkit"
)

func TestEditDropsOrKeepsTokens(t *testing.T) {
	u := newUser(t)
	app := u.addNative("Editable")
	u.ok("", "connect", "Editable")
	before, _ := storedTokens(t, app.ID)

	// New scopes keep the tokens, marked "reconnect to apply".
	out := u.ok("", "edit", "Editable", "--scope", "openid email offline_access")
	if !strings.Contains(out, "run connect again to apply the new scopes") {
		t.Fatalf("edit scopes: %s", out)
	}
	s := u.show("Editable")
	if s.ConnectionState != "connected" || s.Connection() == nil || !s.Connection().ReconnectToApply {
		t.Fatalf("after a scope change: %+v", s.Connection())
	}
	if tok := u.ok("", "token", "Editable"); tok != before.AccessToken+"\n" {
		t.Fatal("a scope change lost the token")
	}

	// Rename keeps everything; the id is stable.
	u.ok("", "edit", "Editable", "--rename", "Renamed")
	if s := u.show("renamed"); s.ID != app.ID || s.ConnectionState != "connected" {
		t.Fatalf("after rename: %+v", s)
	}
	u.fails(1, "", []string{"show", "Editable"}, "no app named")

	// A new client ID revokes and deletes the tokens, saying so.
	out = u.ok("", "edit", "Renamed", "--client-id", "web")
	if !strings.Contains(out, "old tokens were revoked and deleted") {
		t.Fatalf("edit client id: %s", out)
	}
	if status, body, _ := op.TryRefresh(testkit.NativeClientID, "", before.RefreshToken); status != 400 || !strings.Contains(body, "invalid_grant") {
		t.Fatalf("the old grant was not revoked: %d %s", status, body)
	}
	if s := u.show("Renamed"); s.ConnectionState != "not_connected" {
		t.Fatalf("state: %s", s.ConnectionState)
	}
	// Bad edits name the flag and change nothing.
	u.fails(1, "", []string{"edit", "Renamed", "--redirect-host", "0.0.0.0"}, "--redirect-host", "loopback")
	u.fails(1, "", []string{"edit", "Renamed", "--scope", "a", "--param", "state=x"}, "--param", "state")
	if s := u.show("Renamed"); s.RedirectHost != "127.0.0.1" || s.ClientID != "web" {
		t.Fatalf("a refused edit changed the app: %+v", s.App)
	}
}

func TestSecondConnectIsRefusedAndTimeout(t *testing.T) {
	u := newUser(t)
	u.addNative("Once")
	cmd, stdin, out := u.start("connect", "Once", "--no-browser", "--timeout", "3s")
	defer stdin.Close()
	out.await(t, 20*time.Second, "wait for the sign-in", func(s string) bool { return strings.Contains(s, "Waiting up to") })
	u.fails(4, "", []string{"connect", "Once"}, "already running")
	err := cmd.Wait()
	if err == nil || !strings.Contains(out.String(), "nobody signed in within 3s") {
		t.Fatalf("connect that nobody completes: %v\n%s", err, out.String())
	}
}

func TestLocalhostRedirectHost(t *testing.T) {
	u := newUser(t)
	u.addNative("Both families", "--redirect-host", "localhost")
	out := u.ok("", "connect", "Both families")
	if !strings.Contains(out, "redirect_uri=http%3A%2F%2Flocalhost%3A") || !strings.Contains(out, "Connected Both families") {
		t.Fatalf("connect: %s", out)
	}
}

// A provider that is down or overloaded during a refresh: the token endpoint is reached
// through a proxy the test can switch off.
func TestTransientRefreshFailureKeepsTokens(t *testing.T) {
	target, _ := url.Parse(op.Issuer)
	var down atomic.Bool
	proxy := httputil.NewSingleHostReverseProxy(target)
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if down.Load() {
			http.Error(w, `{"error":"temporarily_unavailable"}`, http.StatusServiceUnavailable)
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	defer front.Close()

	u := newUser(t)
	app := u.addNative("Flaky", "--token-url", front.URL+"/oauth/token")
	u.ok("", "connect", "Flaky")
	_, before := storedTokens(t, app.ID)

	down.Store(true)
	u.fails(4, "", []string{"refresh", "Flaky"}, "temporarily_unavailable", "try again")
	// Still handed out while it is valid.
	tokens, _ := storedTokens(t, app.ID)
	if tok := u.ok("", "token", "Flaky"); tok != tokens.AccessToken+"\n" {
		t.Fatal("token not handed out after a transient failure")
	}
	expireStoredToken(t, app.ID)
	_, expired := storedTokens(t, app.ID)
	u.fails(4, "", []string{"token", "Flaky"}, "temporarily_unavailable", "every token was kept")
	front.Close() // and now nothing answers at all
	u.fails(4, "", []string{"token", "Flaky"}, "could not reach", "every token was kept")
	if _, after := storedTokens(t, app.ID); after != expired {
		t.Fatal("a transient failure changed the stored tokens")
	}
	if before == expired {
		t.Fatal("the test did not expire the token")
	}
	if s := u.show("Flaky"); s.ConnectionState != "connected" {
		t.Fatalf("a transient failure changed the state to %s", s.ConnectionState)
	}
}

// A keyring that exists but is locked, in a D-Bus session of its own (never the shared one):
// with no display to ask for the password, every call must fail at once with words that say
// "locked", and the registration must still be saved.
func TestLockedKeyring(t *testing.T) {
	u := newUser(t)
	runtime := t.TempDir()
	script := `
set -e
echo -n pw | gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1
# the daemon creates and unlocks the login collection shortly after it starts
for i in $(seq 100); do echo -n x | secret-tool store --label=probe service probe user probe 2>/dev/null && break; sleep 0.1; done
[ "$(secret-tool lookup service probe user probe)" = x ] || { echo "the private keyring did not come up unlocked" >&2; exit 1; }
dbus-send --session --dest=org.freedesktop.secrets --print-reply /org/freedesktop/secrets org.freedesktop.Secret.Service.Lock array:objpath:/org/freedesktop/secrets/collection/login >/dev/null
set +e
echo "$SECRET" | "$BIN" add Locked --client-id c --client-secret-stdin --auth-url "$ISSUER/auth" --token-url "$ISSUER/oauth/token"
echo "exit=$?"
"$BIN" add Public --client-id native --auth-url "$ISSUER/auth" --token-url "$ISSUER/oauth/token" >/dev/null || exit 1
"$BIN" connect Public --timeout 30s 2>&1 | sed 's/^/connect: /'
echo "connect-exit=${PIPESTATUS[0]}"
`
	cmd := exec.Command("dbus-run-session", "--", "bash", "-c", script)
	// Its own HOME and XDG_DATA_HOME: a keyring file of its own, not the shared session's.
	cmd.Env = append(u.env, "XDG_RUNTIME_DIR="+runtime, "HOME="+t.TempDir(), "XDG_DATA_HOME="+t.TempDir(), "DISPLAY=", "BIN="+bin, "ISSUER="+op.Issuer,
		"SECRET="+testkit.WebClientSecret, "CONNECTEDAPPS_KEYRING_TIMEOUT=20s")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	cmd.WaitDelay = 5 * time.Second // the keyring daemon may outlive the session briefly
	if err := cmd.Run(); err != nil {
		t.Fatalf("locked-keyring session: %v\n%s\n%s", err, out.String(), errb.String())
	}
	if !strings.Contains(out.String(), "Registered Locked") || !strings.Contains(out.String(), "exit=1") {
		t.Fatalf("stdout: %s", out.String())
	}
	if !strings.Contains(errb.String(), "connectedapps: Locked was registered, but its client secret was not stored: the system keyring is locked") {
		t.Fatalf("stderr: %s", errb.String())
	}
	// A public client's first connect has no entry to find locked: the keyring is still asked
	// whether the tokens could be kept, and connect stops before the provider issues them.
	var connectSaid []string
	for _, line := range strings.Split(out.String(), "\n") {
		if said, ok := strings.CutPrefix(line, "connect: "); ok {
			connectSaid = append(connectSaid, said)
		}
	}
	if len(connectSaid) != 1 || !strings.HasPrefix(connectSaid[0], "connectedapps: the system keyring is locked") || !strings.Contains(out.String(), "connect-exit=1") {
		t.Fatalf("connect with the keyring locked: want one line saying it is locked and no sign-in link, got: %s", out.String())
	}
	reg, _ := os.ReadFile(u.registryPath())
	if !strings.Contains(string(reg), `"Locked"`) || strings.Contains(string(reg), testkit.WebClientSecret) {
		t.Fatalf("registry: %s", reg)
	}
	_ = filepathWalkNoSecret(t, u.configDir, testkit.WebClientSecret)
}
