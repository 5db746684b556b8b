package core

import (
	"connectedapps/internal/testproc"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The owner check of the sign-in listener (core/oauth's catcherpeer_linux.go) through Connect;
// the catcher's own tests are core/oauth/catcherpeer_linux_test.go, whose helpers these are.

// forgeCallbackEnv makes the test binary, re-run as another user, a hostile local user: it
// requests the URL it names (a forged callback to the victim's catcher), prints the status
// and exits before any test runs.
const forgeCallbackEnv = "CONNECTEDAPPS_TEST_FORGE_CALLBACK"

func init() {
	if target := os.Getenv(forgeCallbackEnv); target != "" {
		resp, err := (&http.Client{Timeout: 10 * time.Second}).Get(target)
		if err != nil {
			fmt.Println("error:", err)
			os.Exit(3)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		fmt.Printf("%d %s\n", resp.StatusCode, strings.Join(strings.Fields(string(body)), " "))
		os.Exit(0)
	}
}

// nobodyUID is the unprivileged user the attacker runs as.
const nobodyUID = 65534

// requireNobodyCanRun skips unless this test may start a process as nobody from the temporary
// folder: it must be root, and nobody must be able to reach that folder (a chroot whose root
// was made by mktemp, mode 0700, as the fresh-machine check makes, cannot run any program as
// another user; every real system's / and /tmp can). Called first, on the test's goroutine.
func requireNobodyCanRun(t *testing.T) {
	t.Helper()
	if os.Getuid() != 0 {
		t.Skip("needs root, to run the attacker as the user nobody")
	}
	testproc.SkipUnlessOthersCanEnter(t, os.TempDir())
}

// forgeAsNobody sends a GET to target from a process of the user nobody and returns the
// status and page it got. The test binary is copied where nobody may run it.
func forgeAsNobody(t *testing.T, target string) (int, string) {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "connectedapps-attacker")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "attacker")
	data, err := os.ReadFile(self)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, data, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin)
	cmd.Dir = dir
	cmd.Env = []string{forgeCallbackEnv + "=" + target, "PATH=/usr/bin:/bin"}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobodyUID, Gid: nobodyUID}}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the attacker process (uid %d): %v: %s", nobodyUID, err, out)
	}
	status, page, _ := strings.Cut(strings.TrimSpace(string(out)), " ")
	n, err := strconv.Atoi(status)
	if err != nil {
		t.Fatalf("the attacker process printed %q", out)
	}
	return n, page
}

// The same attack through Connect: the forged callback of another user arrives first; the
// sign-in goes on, and what is kept is the person's own account, never the attacker's code.
func TestConnectRefusesAnotherUsersCallback(t *testing.T) {
	requireNobodyCanRun(t)
	f := newFltFixture(t, nil, "")
	var status int
	f.setBrowser(func(link *url.URL) error {
		q := link.Query()
		status, _ = forgeAsNobody(t, q.Get("redirect_uri")+"?"+url.Values{"state": {q.Get("state")}, "code": {"attackers-code"}}.Encode())
		return f.signIn(link)
	})
	res, err := f.connect(t)
	if err != nil {
		t.Fatalf("Connect after another user's callback: %v", err)
	}
	if status != http.StatusForbidden {
		t.Errorf("the other user's callback got %d; want 403", status)
	}
	forms := f.p.exchangeForms()
	if len(forms) != 1 || forms[0].Get("code") == "attackers-code" || res.Identity.Subject != fltSubject {
		t.Errorf("exchanges %v, identity %+v; want one exchange, of our own code", forms, res.Identity)
	}
}
