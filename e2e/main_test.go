// Package e2e runs the built connectedapps binary against a real OpenID Provider started by
// the tests, with the real OS keyring (make test provides a private, unlocked one) and a
// scripted browser handed the authorization link through $BROWSER.
package e2e

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const browserModeEnv = "CONNECTEDAPPS_E2E_BROWSER"

var (
	bin string    // the connectedapps binary under test
	op  *provider // the OpenID Provider shared by the tests
)

func TestMain(m *testing.M) {
	// $BROWSER points back at this test binary: it then plays the person and exits.
	if mode := os.Getenv(browserModeEnv); mode != "" && len(os.Args) > 1 && strings.HasPrefix(os.Args[1], "http") {
		// A device sign-in opens the provider's /device page with the code in the link.
		if u, err := url.Parse(os.Args[1]); err == nil && u.Path == "/device" {
			if err := deviceBrowser(os.Args[1], "", mode == modeLogin, opUserID); err != nil {
				fmt.Fprintln(os.Stderr, "scripted browser:", err)
				os.Exit(1)
			}
			os.Exit(0)
		}
		if _, err := scriptedBrowser(os.Args[1], mode, os.Getenv("CONNECTEDAPPS_E2E_USER")); err != nil {
			fmt.Fprintln(os.Stderr, "scripted browser:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
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
		// The command line, and beside it the window it execs without arguments.
		for out, pkg := range map[string]string{bin: "../cmd/connectedapps", filepath.Join(dir, "connectedapps-window"): ".."} {
			build := exec.Command("go", "build", "-tags", "migrated_fynedo", "-o", out, pkg)
			build.Stdout, build.Stderr = os.Stderr, os.Stderr
			if err := build.Run(); err != nil {
				fmt.Fprintln(os.Stderr, "building", pkg+":", err)
				return 1
			}
		}
	}
	var err error
	if op, err = startProvider(); err != nil {
		fmt.Fprintln(os.Stderr, "starting the OpenID Provider:", err)
		return 1
	}
	defer op.server.Close()
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
	u.env = append(os.Environ(),
		"XDG_CONFIG_HOME="+u.configDir,
		// Fyne logs a locale error at start-up under LANG=C.UTF-8 (the usual container
		// default): the command line's stderr must stay clean all the same.
		"LANG=C.UTF-8", "LC_ALL=",
		"BROWSER="+self,
		browserModeEnv+"="+modeLogin,
		"CONNECTEDAPPS_E2E_USER="+op.username(),
	)
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
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = u.env
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ctx.Err() != nil {
		u.t.Fatalf("connectedapps %s: did not finish in time\nstdout: %s\nstderr: %s", strings.Join(args, " "), out.String(), errb.String())
	}
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		u.t.Fatalf("connectedapps %s: %v", strings.Join(args, " "), err)
	}
	return result{out.String(), errb.String(), code}
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
