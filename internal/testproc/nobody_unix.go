//go:build unix

package testproc

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// forgeCallbackEnv makes the test binary, re-run as another user, a hostile local user: it
// requests the URL it names (a forged callback to the victim's catcher), prints the status
// and exits before any test runs.
const forgeCallbackEnv = "CONNECTEDAPPS_TEST_FORGE_CALLBACK"

// AnswerForgedGET, called from a test package's init, makes the test binary re-run by
// ForgeAsNobody do its one request and exit before any test runs.
func AnswerForgedGET() {
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

// NobodyUID is the unprivileged user the attacker runs as.
const NobodyUID = 65534

// RequireNobodyCanRun skips unless this test may start a process as nobody from the temporary
// folder: it must be root, and nobody must be able to reach that folder (a chroot whose root
// was made by mktemp, mode 0700, as the fresh-machine check makes, cannot run any program as
// another user; every real system's / and /tmp can). Called first, on the test's goroutine.
func RequireNobodyCanRun(t testing.TB) {
	t.Helper()
	if os.Getuid() != 0 {
		t.Skip("needs root, to run the attacker as the user nobody")
	}
	SkipUnlessOthersCanEnter(t, os.TempDir())
}

// ForgeAsNobody sends a GET to target from a process of the user nobody and returns the
// status and page it got. The test binary is copied where nobody may run it.
func ForgeAsNobody(t testing.TB, target string) (int, string) {
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
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: NobodyUID, Gid: NobodyUID}}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the attacker process (uid %d): %v: %s", NobodyUID, err, out)
	}
	status, page, _ := strings.Cut(strings.TrimSpace(string(out)), " ")
	n, err := strconv.Atoi(status)
	if err != nil {
		t.Fatalf("the attacker process printed %q", out)
	}
	return n, page
}
