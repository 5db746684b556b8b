// Package e2e runs the built connectedapps binary against a real OpenID Provider started by
// the tests, with the real OS keyring (make test provides a private, unlocked one) and a
// scripted browser handed the authorization link through $BROWSER.
package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"connectedapps/internal/testkit"
)

var (
	bin string            // the connectedapps binary under test
	op  *testkit.Provider // the OpenID Provider shared by the tests
	// attackFirst is the other local user of the attacked browser mode, where the system has
	// one (signin_attacks_linux_test.go).
	attackFirst func(authURL string) error
)

func TestMain(m *testing.M) {
	// $BROWSER points back at this test binary: it then plays the person and exits.
	testkit.ActAsBrowser(attackFirst)
	if os.Getenv("CONNECTEDAPPS_TEST_KEYRING") != "1" {
		fmt.Println("e2e: skipped: these tests need a private, unlocked keyring; run them with `make test`")
		os.Exit(0)
	}
	os.Exit(run(m))
}

func run(m *testing.M) int {
	bin = os.Getenv("CONNECTEDAPPS_BIN")
	if bin == "" {
		dir, err := os.MkdirTemp("", "connectedapps-e2e")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(dir)
		bin = filepath.Join(dir, "connectedapps")
		// The command line, and beside it the window it execs without arguments, with the
		// Makefile's tags, so an unset CONNECTEDAPPS_BIN tests what `make build` makes.
		for out, pkg := range map[string]string{bin: "../cmd/connectedapps", filepath.Join(dir, "connectedapps-window"): ".."} {
			build := exec.Command("go", "build", "-tags", "migrated_fynedo,no_emoji", "-o", out, pkg)
			build.Stdout, build.Stderr = os.Stderr, os.Stderr
			if err := build.Run(); err != nil {
				fmt.Fprintln(os.Stderr, "building", pkg+":", err)
				return 1
			}
		}
	}
	var err error
	if op, err = testkit.StartProvider(); err != nil {
		fmt.Fprintln(os.Stderr, "starting the OpenID Provider:", err)
		return 1
	}
	defer op.Close()
	return m.Run()
}

// user is one person's environment: their own registry folder, the shared keyring session,
// and a browser mode.
type user struct {
	t         *testing.T
	configDir string
	env       []string
}

func newUser(t *testing.T) *user {
	t.Helper()
	u := &user{t: t, configDir: t.TempDir()}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	u.env = testkit.PersonEnv(u.configDir, self, testkit.ModeLogin, op.Username())
	return u
}

// with returns a copy of u with extra environment variables (later ones win).
func (u *user) with(kv ...string) *user {
	c := *u
	c.env = append(append([]string{}, u.env...), kv...)
	return &c
}

type result struct {
	stdout, stderr string
	code           int
}

// run runs the binary with args and optional stdin, failing the test if it hangs.
func (u *user) run(stdin string, args ...string) result {
	u.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	r, err := testkit.Run(ctx, u.env, strings.NewReader(stdin), bin, args...)
	if err != nil {
		u.t.Fatalf("%v\nstdout: %s\nstderr: %s", err, r.Stdout, r.Stderr)
	}
	return result{r.Stdout, r.Stderr, r.Code}
}

// ok runs a command that must succeed with a silent stderr.
func (u *user) ok(stdin string, args ...string) string {
	u.t.Helper()
	r := u.run(stdin, args...)
	if r.code != 0 || r.stderr != "" {
		u.t.Fatalf("connectedapps %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r.stdout
}

// fails runs a command that must fail with code and exactly one line on stderr containing
// every one of want.
func (u *user) fails(code int, stdin string, args []string, want ...string) result {
	u.t.Helper()
	r := u.run(stdin, args...)
	if r.code != code {
		u.t.Fatalf("connectedapps %s: exit %d, want %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.code, code, r.stdout, r.stderr)
	}
	if strings.Count(r.stderr, "\n") != 1 || !strings.HasSuffix(r.stderr, "\n") {
		u.t.Fatalf("connectedapps %s: stderr must be exactly one line, got %q", strings.Join(args, " "), r.stderr)
	}
	for _, w := range want {
		if !strings.Contains(r.stderr, w) {
			u.t.Errorf("connectedapps %s: stderr %q does not contain %q", strings.Join(args, " "), r.stderr, w)
		}
	}
	return r
}

func (u *user) registryPath() string {
	return filepath.Join(u.configDir, "connectedapps", "apps.json")
}
