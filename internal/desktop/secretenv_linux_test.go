package desktop

import (
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// takeSecretEnvHelperEnv selects TestHelperProcessTakeSecretEnv in a child run of this test
// binary: TakeSecretEnv must be seen from a process that was started with the variable, since
// what it blanks is the environment block the kernel gave that process.
const takeSecretEnvHelperEnv = "CONNECTEDAPPS_TEST_TAKE_SECRET_ENV"

// TestHelperProcessTakeSecretEnv is not a test: TestTakeSecretEnvRemovesAndBlanksThePassphrase
// runs the binary again with this one selected, and reads the line it prints.
func TestHelperProcessTakeSecretEnv(t *testing.T) {
	if os.Getenv(takeSecretEnvHelperEnv) == "" {
		t.Skip("helper process for TestTakeSecretEnvRemovesAndBlanksThePassphrase")
	}
	taken := TakeSecretEnv()
	_, still := os.LookupEnv(PassphraseEnv)
	environ, _ := os.ReadFile("/proc/self/environ")
	fmt.Printf("RESULT taken=%q still=%v environ-holds-it=%v environ-holds-the-rest=%v\n", taken[PassphraseEnv], still,
		strings.Contains(string(environ), taken[PassphraseEnv]), strings.Contains(string(environ), "KEEP=me"))
}

// takeSecretEnvChild runs the helper with env added and returns what its RESULT line says.
func takeSecretEnvChild(t *testing.T, env ...string) string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcessTakeSecretEnv$", "-test.count=1")
	cmd.Env = append(append(os.Environ(), takeSecretEnvHelperEnv+"=1"), env...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("the helper failed: %v\n%s%s", err, out, stderr.String())
	}
	for _, line := range strings.Split(string(out), "\n") {
		if rest, ok := strings.CutPrefix(line, "RESULT "); ok {
			return strings.TrimSpace(rest)
		}
	}
	t.Fatalf("the helper printed no RESULT:\n%s%s", out, stderr.String())
	return ""
}

// The system browser never gets the vault passphrase, even when it is still in this process's
// environment (a caller that did not take it out first): a $BROWSER that writes down its
// environment shows the rest of ours and not the passphrase.
func TestSystemBrowserNeverHandsOnThePassphrase(t *testing.T) {
	dir := t.TempDir()
	dump := filepath.Join(dir, "browser.env")
	script := filepath.Join(dir, "browser")
	if err := os.WriteFile(script, []byte("#!/bin/sh\nenv > '"+dump+".tmp' && mv '"+dump+".tmp' '"+dump+"'\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	t.Setenv(PassphraseEnv, "the vault passphrase")
	t.Setenv("KEEP", "me")
	t.Setenv("BROWSER", script)
	u, _ := url.Parse("http://127.0.0.1:1/authorize")
	if err := (SystemBrowser{}).OpenURL(u); err != nil {
		t.Fatal(err)
	}
	var env []byte
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if b, err := os.ReadFile(dump); err == nil {
			env = b
			break
		}
	}
	if !strings.Contains(string(env), "KEEP=me\n") {
		t.Fatalf("the browser's environment was not written down: %q", env)
	}
	if strings.Contains(string(env), PassphraseEnv) || strings.Contains(string(env), "the vault passphrase") {
		t.Errorf("the browser got the passphrase:\n%s", env)
	}
}

// A process started with the passphrase in its environment (twice, as a careless script may)
// takes it out: TakeSecretEnv returns it, the environment no longer has it, and
// /proc/self/environ no longer shows its value; every other variable stays.
func TestTakeSecretEnvRemovesAndBlanksThePassphrase(t *testing.T) {
	const pass = "a passphrase given to the process"
	got := takeSecretEnvChild(t, PassphraseEnv+"="+pass, PassphraseEnv+"="+pass, "KEEP=me")
	want := `taken="` + pass + `" still=false environ-holds-it=false environ-holds-the-rest=true`
	if got != want {
		t.Errorf("the process reports %s\nwant %s", got, want)
	}
}
