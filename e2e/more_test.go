package e2e

import (
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"
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
	if s.ConnectionState != "connected" || s.Connection == nil || !s.Connection.ReconnectToApply {
		t.Fatalf("after a scope change: %+v", s.Connection)
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
	if status, body, _ := op.tryRefresh(nativeClientID, "", before.RefreshToken); status != 400 || !strings.Contains(body, "invalid_grant") {
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
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(out.String(), "Waiting up to") && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
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
	target, _ := url.Parse(op.issuer)
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
