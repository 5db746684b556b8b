package e2e

import (
	"os/exec"
	"strings"
	"testing"
)

// "keyring status --help" once answered "keyring needs one of: ..." with exit 2: the real
// binary now prints the command's help and exits 0, for a subcommand and a plain command alike,
// before it opens any store (so a vault without its passphrase cannot stand in the way).
func TestSubcommandHelpExitsZero(t *testing.T) {
	u := newUser(t)
	for _, args := range [][]string{{"keyring", "status", "--help"}, {"keyring", "use-vault", "-h"}, {"git-credential", "GitHub", "get", "--help"}, {"token", "--help"}} {
		r := u.run("", args...)
		if r.code != 0 || r.stderr != "" || !strings.HasPrefix(r.stdout, "connectedapps "+args[0]) {
			t.Errorf("%v: exit %d, stderr %q, stdout %q", args, r.code, r.stderr, r.stdout)
		}
	}
}

// The attack from the issue, as typed: git-credential asked about another host answers
// nothing on stdout (so git tries its next helper) and exits 0, with one line on stderr.
func TestGitCredentialRefusesOtherHosts(t *testing.T) {
	u := newUser(t)
	u.ok("", "add", "GitHub", "--preset", "github", "--client-id", "gh-client")
	if show := u.show("GitHub"); strings.Join(show.GitHosts, " ") != "github.com" {
		t.Fatalf("the GitHub preset's git hosts: %v", show.GitHosts)
	}
	cmd := exec.Command("sh", "-c", `printf 'protocol=https\nhost=evil.example\n\n' | "$BIN" git-credential GitHub get`)
	cmd.Env = append(u.env, "BIN="+bin)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil || stdout.String() != "" || strings.Count(stderr.String(), "\n") != 1 ||
		!strings.Contains(stderr.String(), "GitHub has no git host evil.example") {
		t.Fatalf("git-credential for evil.example: %v, stdout %q, stderr %q", err, stdout.String(), stderr.String())
	}
	// An app without git hosts answers no host at all.
	u.addNative("Plain")
	if r := u.run("protocol=https\nhost=github.com\n\n", "git-credential", "Plain", "get"); r.code != 0 || r.stdout != "" || !strings.Contains(r.stderr, "Plain has no git hosts") {
		t.Fatalf("an app without git hosts: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	// The allowed host, once connected, gets the token (the host-scoped case with a real git
	// is in TestGitCredentialHelperWithGit).
	u.ok("", "connect", "Plain")
	u.ok("", "edit", "Plain", "--git-host", "git.example")
	if r := u.run("protocol=https\nhost=git.example\n\n", "git-credential", "Plain", "get"); r.code != 0 || !strings.Contains(r.stdout, "password=") || r.stderr != "" {
		t.Fatalf("the app's own git host: exit %d, stdout has a password: %v, stderr %q", r.code, strings.Contains(r.stdout, "password="), r.stderr)
	}
}
