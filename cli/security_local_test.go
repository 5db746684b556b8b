package cli

import (
	"os/exec"
	"strings"
	"testing"

	"connectedapps/internal/desktop"
)

// exec's command never gets the vault passphrase, even from an environment injected by the
// caller (a front end or a test that did not take it out): what it inherits is filtered, and
// it still gets its ACCESS_TOKEN and the rest.
func TestExecNeverHandsOnThePassphraseOfAnInjectedEnvironment(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	dir, store := connectedFixture(t, "the-access-token", "")
	e, out, errb := inProcess(dir, store, "", nil)
	e.Environ = func() []string {
		return []string{"PATH=/usr/bin:/bin", desktop.PassphraseEnv + "=the vault passphrase", "KEEP=me", desktop.PassphraseEnv + "=twice"}
	}
	code := Run([]string{"exec", "P", "--", sh, "-c", "env"}, e)
	if code != 0 {
		t.Fatalf("exec: %d %s", code, errb.String())
	}
	env := out.String()
	if strings.Contains(env, desktop.PassphraseEnv) || strings.Contains(env, "the vault passphrase") || strings.Contains(env, "twice") {
		t.Errorf("the command got the passphrase:\n%s", env)
	}
	if !strings.Contains(env, "ACCESS_TOKEN=the-access-token\n") || !strings.Contains(env, "KEEP=me\n") {
		t.Errorf("the command lost its token or the rest of the environment:\n%s", env)
	}
}
