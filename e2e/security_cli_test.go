package e2e

import (
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
