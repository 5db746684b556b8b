package e2e

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"connectedapps/internal/testkit"
)

// A keyring that never answers: a D-Bus "session bus" that accepts the connection and then
// says nothing, as a keyring waiting on an unlock prompt nobody can see does. Every keyring
// call gives up after CONNECTEDAPPS_KEYRING_TIMEOUT with one line saying so; the registration
// is still saved, and connect stops before the browser opens (so no tokens are issued that
// could not be kept).
func TestSlowKeyring(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "silent-bus")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c) // held open, never answered
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})

	u := newUser(t).with("DBUS_SESSION_BUS_ADDRESS=unix:path="+sock, "CONNECTEDAPPS_KEYRING_TIMEOUT=500ms")
	start := time.Now()
	r := u.fails(1, testkit.WebClientSecret, []string{"add", "Sluggish", "--client-id", "c", "--client-secret-stdin",
		"--auth-url", op.Issuer + "/auth", "--token-url", op.Issuer + "/oauth/token"},
		"Sluggish was registered", "did not answer a read within 500ms", "unlock it", "--client-secret-stdin")
	if !strings.Contains(r.stdout, "Registered Sluggish") {
		t.Fatalf("stdout: %s", r.stdout)
	}
	reg, _ := os.ReadFile(u.registryPath())
	if !strings.Contains(string(reg), `"Sluggish"`) || strings.Contains(string(reg), testkit.WebClientSecret) {
		t.Fatalf("registry: %s", reg)
	}

	// A public client has no secret to read, so connect's first keyring call is the tokens'.
	u.ok("", "add", "Public", "--client-id", testkit.NativeClientID, "--auth-url", op.Issuer+"/auth", "--token-url", op.Issuer+"/oauth/token")
	r = u.fails(1, "", []string{"connect", "Public", "--timeout", "30s"}, "did not answer a read within 500ms")
	if strings.Contains(r.stdout, "http") {
		t.Errorf("connect went on to the sign-in with no keyring to keep the tokens: %s", r.stdout)
	}

	// An app connected while the keyring worked, whose keyring then stops answering: token
	// fails in one line within the timeout, and nothing is lost for when it answers again.
	v := newUser(t)
	app := v.addNative("Stalled")
	v.ok("", "connect", "Stalled")
	before, _ := storedTokens(t, app.ID)
	stalled := v.with("DBUS_SESSION_BUS_ADDRESS=unix:path="+sock, "CONNECTEDAPPS_KEYRING_TIMEOUT=500ms")
	stalled.fails(1, "", []string{"token", "Stalled"}, "did not answer a read within 500ms")
	stalled.fails(1, "", []string{"refresh", "Stalled"}, "did not answer a read within 500ms")
	if after, _ := storedTokens(t, app.ID); after.RefreshToken != before.RefreshToken || after.AccessToken != before.AccessToken {
		t.Error("the tokens changed while the keyring did not answer")
	}
	if s := v.show("Stalled"); s.ConnectionState != "connected" {
		t.Errorf("state %s; want still connected", s.ConnectionState)
	}
	if tok := v.ok("", "token", "Stalled"); tok != before.AccessToken+"\n" {
		t.Error("once the keyring answers again, token does not hand out the kept token")
	}
	if d := time.Since(start); d > 30*time.Second {
		t.Errorf("a silent keyring held the commands for %s", d)
	}
}
