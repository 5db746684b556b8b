package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"connectedapps/core"
	"connectedapps/internal/testkit"
)

// hookRecorder writes a script that records its argv and environment, one file per event,
// and returns the --on-event command that runs it (no shell of ours: the script is the argv).
func hookRecorder(t *testing.T) (cmd, dir string) {
	t.Helper()
	dir = t.TempDir()
	script := filepath.Join(dir, "record hook.sh") // a space: the command's quotes must group it
	body := "#!/bin/sh\n{ echo \"argv=$0 $*\"; env; } > \"$1/$CONNECTEDAPPS_EVENT.tmp\" && mv \"$1/$CONNECTEDAPPS_EVENT.tmp\" \"$1/$CONNECTEDAPPS_EVENT.env\"\n"
	if err := os.WriteFile(script, []byte(body), 0o700); err != nil {
		t.Fatal(err)
	}
	return "'" + script + "' " + dir, dir
}

// recorded is what the hook saw for ev: its environment as a map and the whole record, which
// must hold none of the app's tokens.
func recorded(t *testing.T, dir, ev string, tokens ...core.TokenSet) map[string]string {
	t.Helper()
	path := filepath.Join(dir, ev+".env")
	var raw []byte
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		var err error
		if raw, err = os.ReadFile(path); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the hook did not record %s: %v", ev, err)
		}
	}
	_ = os.Remove(path)
	for _, ts := range tokens {
		for _, secret := range []string{ts.AccessToken, ts.RefreshToken, ts.IDToken} {
			if secret != "" && strings.Contains(string(raw), secret) {
				t.Fatalf("the %s hook was given a token:\n%s", ev, raw)
			}
		}
	}
	env := map[string]string{}
	for _, line := range strings.Split(string(raw), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			env[k] = v
		}
	}
	if env["CONNECTEDAPPS_APP"] != "Hooked" || env["CONNECTEDAPPS_EVENT"] != ev || !strings.HasSuffix(env["argv"], " "+dir) {
		t.Fatalf("the %s hook saw app %q, event %q, argv %q", ev, env["CONNECTEDAPPS_APP"], env["CONNECTEDAPPS_EVENT"], env["argv"])
	}
	if acct := env["CONNECTEDAPPS_ACCOUNT"]; acct != "test-user@zitadel.ch" && acct != "" {
		t.Fatalf("the %s hook was told the account %q; want the signed-in email (or none, for a client's own)", ev, acct)
	}
	if _, ok := env["CONNECTEDAPPS_PASSPHRASE"]; ok {
		t.Fatalf("the %s hook was given the vault passphrase", ev)
	}
	return env
}

// expiresAt checks the hook's CONNECTEDAPPS_EXPIRES_AT is the stored token's expiry.
func expiresAt(t *testing.T, env map[string]string, ts core.TokenSet) {
	t.Helper()
	got, err := time.Parse(time.RFC3339, env["CONNECTEDAPPS_EXPIRES_AT"])
	if err != nil || ts.Expiry == nil || !got.Equal(ts.Expiry.Truncate(time.Second)) {
		t.Fatalf("CONNECTEDAPPS_EXPIRES_AT %q (%v), the token expires %v", env["CONNECTEDAPPS_EXPIRES_AT"], err, ts.Expiry)
	}
}

func TestHooksRunOnEveryTokenEventWithoutAToken(t *testing.T) {
	cmd, dir := hookRecorder(t)
	u := newUser(t).with("CONNECTEDAPPS_PASSPHRASE=not-for-hooks")
	app := u.addNative("Hooked", "--on-event", cmd)
	if !strings.Contains(u.ok("", "show", "Hooked"), "On event:") {
		t.Fatal("show has no On event row")
	}

	u.ok("", "connect", "Hooked", "--timeout", "60s")
	first, _ := storedTokens(t, app.ID)
	expiresAt(t, recorded(t, dir, "connected", first), first)

	expireStoredToken(t, app.ID)
	u.ok("", "token", "Hooked")
	second, _ := storedTokens(t, app.ID)
	if second.AccessToken == first.AccessToken {
		t.Fatal("token did not refresh")
	}
	expiresAt(t, recorded(t, dir, "refreshed", first, second), second)

	// Another program rotates the refresh token away: the next refresh is invalid_grant.
	if status, body, _ := op.TryRefresh(testkit.NativeClientID, "", second.RefreshToken); status != 200 {
		t.Fatalf("refresh: %d %s", status, body)
	}
	expireStoredToken(t, app.ID)
	u.fails(3, "", []string{"token", "Hooked"}, "invalid_grant")
	if env := recorded(t, dir, "needs_reauth", first, second); env["CONNECTEDAPPS_EXPIRES_AT"] != "" {
		t.Fatalf("needs_reauth told an expiry: %q", env["CONNECTEDAPPS_EXPIRES_AT"])
	}

	u.ok("", "connect", "Hooked", "--timeout", "60s")
	third, _ := storedTokens(t, app.ID)
	recorded(t, dir, "connected", third)
	u.ok("", "disconnect", "Hooked")
	if env := recorded(t, dir, "disconnected", first, second, third); env["CONNECTEDAPPS_EXPIRES_AT"] != "" {
		t.Fatalf("disconnected told an expiry: %q", env["CONNECTEDAPPS_EXPIRES_AT"])
	}
}

// A hook that fails, is missing or hangs never fails or holds up the refresh: the token is
// printed and the failure is one line on stderr.
func TestFailingHooksNeverBlockARefresh(t *testing.T) {
	u := newUser(t)
	app := u.addNative("Hooked")
	u.ok("", "connect", "Hooked", "--timeout", "60s")
	for _, c := range []struct{ cmd, want string }{
		{"sh -c 'exit 1'", "Hooked: the refreshed event's command sh failed: exit status 1; the tokens are unaffected"},
		{"/nonexistent/notifier --urgent", "Hooked: the refreshed event's command /nonexistent/notifier was not found; the tokens are unaffected"},
	} {
		u.ok("", "edit", "Hooked", "--on-event", c.cmd)
		expireStoredToken(t, app.ID)
		r := u.run("", "token", "Hooked")
		now, _ := storedTokens(t, app.ID)
		if r.code != 0 || r.stdout != now.AccessToken+"\n" {
			t.Fatalf("%s: token exit %d, stdout %q: the refresh must succeed", c.cmd, r.code, r.stdout)
		}
		if strings.Count(r.stderr, "\n") != 1 || !strings.Contains(r.stderr, c.want) {
			t.Fatalf("%s: stderr %q, want one line with %q", c.cmd, r.stderr, c.want)
		}
	}

	// A hang: the token is on stdout (closed) at once; the process then waits out the hook's
	// 30 s, kills it and says so in one line.
	u.ok("", "edit", "Hooked", "--on-event", "sleep 600")
	expireStoredToken(t, app.ID)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	p := exec.CommandContext(ctx, bin, "token", "Hooked")
	p.Env = u.env
	stdout, err := p.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	p.Stderr = &stderr
	start := time.Now()
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(bufio.NewReader(stdout))
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Fatalf("the token took %s behind a hanging hook", took)
	}
	now, _ := storedTokens(t, app.ID)
	if string(out) != now.AccessToken+"\n" {
		t.Fatalf("stdout %q is not the refreshed token", out)
	}
	if err := p.Wait(); err != nil {
		t.Fatalf("token: %v: %s", err, stderr.String())
	}
	want := "Hooked: the refreshed event's command sleep ran past 30s and was killed; the tokens are unaffected"
	if strings.Count(stderr.String(), "\n") != 1 || !strings.Contains(stderr.String(), want) {
		t.Fatalf("stderr %q, want one line with %q", stderr.String(), want)
	}
}

// An access token runs out and the provider gave no refresh token (no offline_access): the
// first `token` says so, records the account as needing a new sign-in (accounts and list show
// it) and fires needs_reauth; the next `token` says it from the record and fires nothing
// again (each process waits for its hooks before it exits, so none is still to come). A new
// sign-in clears it.
func TestNeedsReauthFiresOnceWhenATokenRunsOutWithoutRefreshToken(t *testing.T) {
	cmd, dir := hookRecorder(t)
	u := newUser(t)
	u.ok("", "add", "Hooked", "--discovery", op.Issuer, "--client-id", testkit.NativeClientID,
		"--scope", "openid profile email", "--redirect-port", "0", "--on-event", cmd)
	app := u.show("Hooked")
	u.ok("", "connect", "Hooked", "--timeout", "60s")
	first, _ := storedTokens(t, app.ID)
	if first.RefreshToken != "" {
		t.Fatal("the provider gave a refresh token without offline_access; this test needs none")
	}
	recorded(t, dir, "connected", first)

	expireStoredToken(t, app.ID)
	u.fails(3, "", []string{"token", "Hooked"}, "the access token has run out and the provider gave no refresh token", "connectedapps connect")
	if env := recorded(t, dir, "needs_reauth", first); env["CONNECTEDAPPS_EXPIRES_AT"] != "" || env["CONNECTEDAPPS_ACCOUNT"] != "test-user@zitadel.ch" {
		t.Fatalf("needs_reauth told expiry %q, account %q", env["CONNECTEDAPPS_EXPIRES_AT"], env["CONNECTEDAPPS_ACCOUNT"])
	}
	if rows := u.accounts("Hooked"); len(rows) != 1 || rows[0].State != "needs_reauth" {
		t.Fatalf("accounts after the token ran out: %+v; want needs_reauth", rows)
	}
	var list []struct {
		ProviderName    string `json:"provider_name"`
		ConnectionState string `json:"connection_state"`
	}
	if err := json.Unmarshal([]byte(u.ok("", "list", "--json")), &list); err != nil || len(list) != 1 || list[0].ConnectionState != "needs_reauth" {
		t.Errorf("list --json: %+v, %v; want Hooked needs_reauth", list, err)
	}

	u.fails(3, "", []string{"token", "Hooked"}, "needs you to sign in again", "no refresh token", "connectedapps connect")
	u.fails(3, "", []string{"token", "Hooked"}, "needs you to sign in again")
	if _, err := os.Stat(filepath.Join(dir, "needs_reauth.env")); !os.IsNotExist(err) {
		t.Fatalf("needs_reauth fired again on a later token call (%v)", err)
	}

	u.ok("", "connect", "Hooked", "--timeout", "60s")
	again, _ := storedTokens(t, app.ID)
	recorded(t, dir, "connected", first, again)
	if got := strings.TrimSpace(u.ok("", "token", "Hooked")); got != again.AccessToken {
		t.Fatal("after signing in again token did not hand out the new access token")
	}
	if rows := u.accounts("Hooked"); len(rows) != 1 || rows[0].State != "connected" {
		t.Fatalf("accounts after signing in again: %+v", rows)
	}
}
