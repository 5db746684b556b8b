package e2e

import (
	"bufio"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"connectedapps/core/agent"
	"connectedapps/internal/testkit"
)

// startAgent runs `connectedapps agent` for u until the test ends (or kill), once it says it
// serves.
func (u *user) startAgent() (cmd *exec.Cmd, out *syncBuffer) {
	u.t.Helper()
	cmd, _, out = u.start("agent")
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(out.String(), "agent: serving") {
		if time.Now().After(deadline) {
			u.t.Fatalf("connectedapps agent did not start serving: %s", out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	return cmd, out
}

// touchRegistry marks apps.json changed, as every process's refresh does: a test that
// rewrote the keyring behind everyone's back (expireStoredToken) tells the agent so.
func (u *user) touchRegistry() {
	u.t.Helper()
	now := time.Now()
	if err := os.Chtimes(u.registryPath(), now, now); err != nil {
		u.t.Fatal(err)
	}
}

// Issue 11, items 1 and 4: a token handed out by the agent works at the provider, and the
// command line that printed it never touched the keyring: the agent read it once, then the
// command line runs on a dead session bus (no keyring at all) and still gets it from the
// agent, where without the agent the same command fails.
func TestAgentServesTokensWithoutTheCommandLineReadingTheKeyring(t *testing.T) {
	u := newUser(t)
	app := u.addNative("Served", "--git-host", "git.example")
	u.ok("", "connect", "Served")
	_, agentOut := u.startAgent()
	want, _ := storedTokens(t, app.ID)
	if got := u.ok("", "token", "Served"); got != want.AccessToken+"\n" {
		t.Fatalf("token through the agent printed another token than the keyring holds")
	}
	noKeyring := u.with("DBUS_SESSION_BUS_ADDRESS=unix:path=/nonexistent/bus", "CONNECTEDAPPS_KEYRING_TIMEOUT=2s")
	if got := noKeyring.ok("", "token", "Served"); got != want.AccessToken+"\n" {
		t.Fatalf("token without a keyring, through the agent: %q", got)
	}
	if got := noKeyring.ok("", "exec", "Served", "--", "sh", "-c", `printf %s "$ACCESS_TOKEN"`); got != want.AccessToken {
		t.Fatalf("exec without a keyring, through the agent: %q", got)
	}
	if got := noKeyring.ok("protocol=https\nhost=git.example\n\n", "git-credential", "Served", "get"); !strings.Contains(got, "password="+want.AccessToken+"\n") {
		t.Fatalf("git-credential without a keyring, through the agent: %q", got)
	}
	var shown struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal([]byte(noKeyring.ok("", "token", "Served", "--format", "json")), &shown); err != nil || shown.AccessToken != want.AccessToken {
		t.Fatalf("token --format json through the agent: %+v %v", shown, err)
	}
	// The same command without the agent needs the keyring, and fails without one.
	if r := noKeyring.with(agent.DisableEnv+"=off").run("", "token", "Served"); r.code == 0 {
		t.Fatalf("without the agent and without a keyring, token succeeded: the command above may not have used the agent")
	}
	// Errors keep their exit code and message through the agent.
	u.fails(1, "", []string{"token", "Nosuch"}, `"Nosuch"`)
	// The token works at the provider.
	req, _ := http.NewRequest(http.MethodGet, app.UserinfoURI, nil)
	req.Header.Set("Authorization", "Bearer "+want.AccessToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("userinfo with the agent's token: %v %v", resp, err)
	}
	resp.Body.Close()
	status := u.ok("", "agent", "--status")
	if !strings.Contains(status, "served by: connectedapps agent") || !strings.Contains(status, "secrets:   system") {
		t.Fatalf("agent --status: %s", status)
	}
	if strings.Contains(agentOut.String(), want.AccessToken) || strings.Contains(agentOut.String(), want.RefreshToken) {
		t.Fatalf("the agent printed a token: %s", agentOut.String())
	}
}

// Issue 11, item 4: the agent SIGKILLed while its refresh is on the way to the provider. The
// command line that asked it does the refresh itself (the dead agent's lock is free at
// once), the stored tokens were never lost, and the provider acted on one refresh.
func TestAgentKilledMidRefreshLosesNoToken(t *testing.T) {
	u := newUser(t)
	app := u.addNative("Killed")
	u.ok("", "connect", "Killed")
	agentCmd, _ := u.startAgent()
	u.ok("", "token", "Killed") // the agent holds the token in memory
	old, _ := storedTokens(t, app.ID)
	expireStoredToken(t, app.ID)
	u.touchRegistry()
	before, arrived := op.Refreshes(), op.RefreshesArrived()
	op.DelayNextRefresh(3 * time.Second)
	defer op.DelayNextRefresh(0)
	cmd, _, out := u.start("token", "Killed")
	deadline := time.Now().Add(20 * time.Second)
	for op.RefreshesArrived() == arrived {
		if time.Now().After(deadline) {
			t.Fatal("the agent's refresh never reached the provider")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := agentCmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = agentCmd.Wait()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("token, its agent killed mid-refresh: %v: %s", err, out.String())
	}
	now, _ := storedTokens(t, app.ID)
	if out.String() != now.AccessToken+"\n" || now.AccessToken == old.AccessToken || now.RefreshToken == old.RefreshToken {
		t.Fatalf("after the kill: printed %q; stored access token renewed %v, refresh token rotated %v", out.String(), now.AccessToken != old.AccessToken, now.RefreshToken != old.RefreshToken)
	}
	if n := op.Refreshes() - before; n != 1 {
		t.Fatalf("the provider acted on %d refreshes, want 1", n)
	}
	// The next agent replaces the dead one's socket and serves the renewed token.
	u.startAgent()
	if got := u.ok("", "token", "Killed"); got != now.AccessToken+"\n" {
		t.Fatalf("the next agent: %q", got)
	}
}

// Issue 11, items 2 and 4: 50 concurrent `token` on an expired token whose refresh token
// rotates make exactly one refresh, and all 50 print the new token: without an agent, with
// one, and with one SIGKILLed while its refresh is on the way.
func TestFiftyConcurrentTokenCallsMakeOneRefresh(t *testing.T) {
	for _, mode := range []string{"no agent", "agent", "agent killed"} {
		t.Run(mode, func(t *testing.T) {
			u := newUser(t)
			app := u.addNative("Busy")
			u.ok("", "connect", "Busy")
			var agentCmd *exec.Cmd
			if mode != "no agent" {
				agentCmd, _ = u.startAgent()
				u.ok("", "token", "Busy")
			}
			old, _ := storedTokens(t, app.ID)
			expireStoredToken(t, app.ID)
			u.touchRegistry()
			before, arrived := op.Refreshes(), op.RefreshesArrived()
			if mode == "agent killed" {
				op.DelayNextRefresh(2 * time.Second)
				defer op.DelayNextRefresh(0)
				go func() {
					for op.RefreshesArrived() == arrived {
						time.Sleep(5 * time.Millisecond)
					}
					_ = agentCmd.Process.Signal(syscall.SIGKILL)
				}()
			}
			const n = 50
			results := make([]result, n)
			var wg sync.WaitGroup
			for i := range n {
				wg.Go(func() { results[i] = u.run("", "token", "Busy") })
			}
			wg.Wait()
			now, _ := storedTokens(t, app.ID)
			for i, r := range results {
				if r.code != 0 || r.stderr != "" || r.stdout != now.AccessToken+"\n" {
					t.Fatalf("process %d: exit %d, stderr %q, printed the stored token: %v", i, r.code, r.stderr, r.stdout == now.AccessToken+"\n")
				}
			}
			if now.AccessToken == old.AccessToken {
				t.Fatal("the token was not renewed")
			}
			if got := op.Refreshes() - before; got != 1 {
				t.Fatalf("%d refreshes at the provider, want exactly 1", got)
			}
		})
	}
}

// Issue 11, item 4: a socket left by a dead agent, and a "hung agent" (a listener that
// accepts and never answers), cost the command line nothing and at most agent.FirstByteWait:
// then it does the work itself.
func TestCommandLineFallsBackFromAStaleOrHungAgent(t *testing.T) {
	u := newUser(t)
	app := u.addNative("Alone")
	u.ok("", "connect", "Alone")
	want, _ := storedTokens(t, app.ID)
	sock, _, err := agent.Paths(filepath.Dir(u.registryPath()))
	if err != nil {
		t.Skipf("no agent socket here: %v", err)
	}
	if err := os.MkdirAll(filepath.Dir(sock), 0o700); err != nil {
		t.Fatal(err)
	}
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: sock, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	ln.SetUnlinkOnClose(false)
	ln.Close() // the file stays: a killed agent's
	start := time.Now()
	if got := u.ok("", "token", "Alone"); got != want.AccessToken+"\n" {
		t.Fatalf("token beside a stale socket: %q", got)
	}
	t.Logf("token beside a stale socket: %s", time.Since(start))

	os.Remove(sock)
	hung, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer hung.Close()
	var held []net.Conn
	var mu sync.Mutex
	go func() {
		for {
			conn, err := hung.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			held = append(held, conn) // read nothing, answer nothing
			mu.Unlock()
			go bufio.NewReader(conn).ReadString('\n')
		}
	}()
	defer func() {
		mu.Lock()
		defer mu.Unlock()
		for _, c := range held {
			c.Close()
		}
	}()
	start = time.Now()
	if got := u.ok("", "token", "Alone"); got != want.AccessToken+"\n" {
		t.Fatalf("token beside a hung agent: %q", got)
	}
	if d := time.Since(start); d < agent.FirstByteWait || d > agent.FirstByteWait+3*time.Second {
		t.Fatalf("token beside a hung agent took %s; want the %s wait, then the keyring", d, agent.FirstByteWait)
	}
	mu.Lock()
	n := len(held)
	mu.Unlock()
	if n != 1 {
		t.Fatalf("the hung agent was asked %d times, want 1", n)
	}
}

// Issue 11, item 1: the vault is unlocked once, by the agent (its passphrase from the
// environment it started with): a command line without the passphrase, and without a
// terminal to type it at, gets the token from the agent, where alone it cannot open the vault.
func TestAgentUnlocksTheVaultOnce(t *testing.T) {
	u := newUser(t)
	pu := u.with(passphraseEnv + "=" + vaultPassphrase)
	pu.ok("", "keyring", "use-vault")
	pu.addNative("Vaulted")
	pu.ok("", "connect", "Vaulted")
	want := pu.ok("", "token", "Vaulted")
	pu.startAgent()
	if r := u.runNoTerminal("token", "Vaulted"); r.code != 0 || r.stdout != want || r.stderr != "" {
		t.Fatalf("token without the passphrase, through the agent: exit %d, %q", r.code, r.stderr)
	}
	if r := u.with(agent.DisableEnv+"=off").runNoTerminal("token", "Vaulted"); r.code == 0 || !strings.Contains(r.stderr, passphraseEnv) {
		t.Fatalf("token without the passphrase and without the agent: exit %d, %q; want the vault's passphrase asked for", r.code, r.stderr)
	}
	if status := u.ok("", "agent", "--status"); !strings.Contains(status, "secrets:   vault") {
		t.Fatalf("agent --status: %s", status)
	}
}

// Issue 11, item 1: while the window runs it is the agent. `agent --status` names it, and a
// command line whose session bus is out of reach gets the token from the window.
func TestWindowIsTheAgent(t *testing.T) {
	d := startDesktop(t)
	d.startApp()
	if status := d.cli("agent", "--status"); !strings.Contains(status, "served by: the window") {
		t.Fatalf("agent --status with the window open: %s", status)
	}
	d.cli("add", "Windowed", "--discovery", op.Issuer, "--client-id", testkit.NativeClientID,
		"--scope", "openid profile email", "--scope", "offline_access", "--redirect-port", "0")
	d.cli("connect", "Windowed")
	want := d.cli("token", "Windowed")
	cmd := exec.Command(bin, "token", "Windowed")
	cmd.Env = withEnv(d.env, nil, []string{"DBUS_SESSION_BUS_ADDRESS=unix:path=/nonexistent/bus", "CONNECTEDAPPS_KEYRING_TIMEOUT=2s"})
	out, err := cmd.Output()
	if err != nil || string(out) != want {
		t.Fatalf("token without a keyring while the window runs: %v, printed the same token: %v", err, string(out) == want)
	}
}
