package e2e

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"connectedapps/internal/testkit"
	"connectedapps/internal/testproc"
)

// attackerEnv makes this test binary, run as the user nobody with the victim's authorization
// link as its argument, the other local user of issue 8: it signs in at the provider with its
// own account (test-user2), keeps the redirect it is sent to the victim's catcher (the
// victim's state, a code for the attacker's account), delivers it, and prints the status.
const attackerEnv = "CONNECTEDAPPS_E2E_ATTACKER"

const (
	attackerUser = testkit.SecondUser // the example provider's second user; its subject is id2
	nobodyUID    = 65534
)

func init() {
	attackFirst = attackAsNobody // the scripted browser runs in TestMain, after every init
	if os.Getenv(attackerEnv) != "1" || len(os.Args) < 2 {
		return
	}
	forged, err := testkit.SignIn(os.Args[1], testkit.ModeCapture, attackerUser)
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Get(forged)
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	resp.Body.Close()
	fmt.Println(resp.StatusCode)
	os.Exit(0)
}

// attackAsNobody runs the attacker as nobody (a copy of this binary where nobody may run it)
// against the link the victim's browser was given, and wants the catcher's 403.
func attackAsNobody(authURL string) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "connectedapps-attacker")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	data, err := os.ReadFile(self)
	if err != nil {
		return err
	}
	bin := filepath.Join(dir, "attacker")
	if err := os.Chmod(dir, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(bin, data, 0o755); err != nil {
		return err
	}
	cmd := exec.Command(bin, authURL)
	cmd.Dir = dir
	cmd.Env = []string{attackerEnv + "=1", "PATH=/usr/bin:/bin"}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobodyUID, Gid: nobodyUID}}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("the attacker (uid %d): %v: %s", nobodyUID, err, out)
	}
	if got := strings.TrimSpace(string(out)); got != "403" {
		return fmt.Errorf("the attacker's callback, with the right state and a code for %s, was answered %q; want 403", attackerUser, got)
	}
	return nil
}

// Issue 8, item 1, against the built binary and the real provider: while the person signs in,
// another local user (nobody), who can read the authorization link on the browser's command
// line, signs in with their own account and delivers that code, with the right state, to the
// person's catcher. The catcher refuses it (403) without ending the attempt; the person's own
// sign-in then completes, and the app holds the person's tokens, not the attacker's.
func TestAnotherLocalUserCannotCompleteTheSignIn(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root, to run the attacker as the user nobody")
	}
	// A chroot whose root was made by mktemp (mode 0700), as the fresh-machine check makes,
	// cannot run any program as another user; every real system's / and /tmp can.
	testproc.SkipUnlessOthersCanEnter(t, os.TempDir())
	browserLog := filepath.Join(t.TempDir(), "browser.log")
	u := newUser(t).with(testkit.BrowserModeEnv+"="+testkit.ModeAttacked, testkit.BrowserLogEnv+"="+browserLog)
	u.addNative("Victim")
	r := u.run("", "connect", "Victim", "--timeout", "60s")
	log, _ := os.ReadFile(browserLog)
	if strings.Contains(string(log), "failed") || !strings.Contains(string(log), "finished") {
		t.Fatalf("the attack or the sign-in did not go as planned (connect: exit %d, %s):\n%s", r.code, r.stderr, log)
	}
	if r.code != 0 || !strings.Contains(r.stdout, "Connected Victim as Test User") {
		t.Fatalf("connect: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if s := u.show("Victim"); s.ConnectionState != "connected" || s.Connection() == nil || s.Connection().Subject != testkit.UserID {
		t.Fatalf("the app holds the connection %+v; want the person's own (subject %s), not %s's", s.Connection(), testkit.UserID, attackerUser)
	}
}

// Mid sign-in, a cross-site request with a state of its own and a DNS-rebinding page (the
// real callback under another Host) reach the catcher: both get 400 (the browser checks) and
// the sign-in goes on; the real redirect, after them, connects. Before issue 8 the first of
// them ended the sign-in.
func TestCrossSiteAndReboundRequestsDoNotEndTheSignIn(t *testing.T) {
	browserLog := filepath.Join(t.TempDir(), "browser.log")
	u := newUser(t).with(testkit.BrowserModeEnv+"="+testkit.ModeTamperState, testkit.BrowserLogEnv+"="+browserLog)
	u.addNative("Tampered")
	out := u.ok("", "connect", "Tampered", "--timeout", "30s")
	if log, _ := os.ReadFile(browserLog); strings.Contains(string(log), "failed") || !strings.Contains(string(log), "finished") {
		t.Fatalf("the cross-site and rebound requests were not refused as they should be:\n%s", log)
	}
	if !strings.Contains(out, "Connected Tampered") {
		t.Fatalf("connect output: %s", out)
	}
	if s := u.show("Tampered"); s.ConnectionState != "connected" {
		t.Fatalf("state: %s", s.ConnectionState)
	}
}

// The mix-up attack (RFC 9207) against the built binary and the real provider: the answer to
// the person's sign-in arrives with iss naming another provider. connect refuses it in one
// line naming the app and the possible mix-up, and no code exchange reaches the token
// endpoint.
func TestMixedUpAnswerIsNeverExchanged(t *testing.T) {
	browserLog := filepath.Join(t.TempDir(), "browser.log")
	u := newUser(t).with(testkit.BrowserModeEnv+"="+testkit.ModeMixedUp, testkit.BrowserLogEnv+"="+browserLog)
	u.addNative("Honest")
	before := op.CodeExchanges()
	u.fails(1, "", []string{"connect", "Honest", "--timeout", "30s"}, "Honest: the sign-in answer came from another provider", testkit.MixUpIssuer, "mix-up", "its code was not used")
	if log, _ := os.ReadFile(browserLog); strings.Contains(string(log), "failed") || !strings.Contains(string(log), "finished") {
		t.Fatalf("the mixed-up answer was not refused as it should be:\n%s", log)
	}
	if n := op.CodeExchanges() - before; n != 0 {
		t.Errorf("%d code exchanges reached the token endpoint; want none", n)
	}
	if s := u.show("Honest"); s.ConnectionState != "not_connected" {
		t.Fatalf("state: %s", s.ConnectionState)
	}
	// The count is real: the honest answer, as the provider sent it, is exchanged once.
	before = op.CodeExchanges()
	v := newUser(t)
	v.addNative("Honest")
	v.ok("", "connect", "Honest", "--timeout", "30s")
	if n := op.CodeExchanges() - before; n != 1 {
		t.Errorf("a normal sign-in made %d code exchanges; want 1", n)
	}
}
