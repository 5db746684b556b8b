//go:build linux

package e2e

import (
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"
)

// BenchmarkTokenProcessVaultVsKeyring runs `connectedapps token NAME` (a valid token, no
// refresh) as a whole process against the keyring and against the vault, alternately, so
// noise on the machine lands on both, and reports each median in milliseconds and the median
// of the pair-by-pair ratios. `make bench` runs it; alone:
//
//	go build -tags migrated_fynedo -o bin/connectedapps . && CONNECTEDAPPS_BIN=$PWD/bin/connectedapps \
//	  scripts/with-test-keyring go test -tags migrated_fynedo -run '^$' -bench TokenProcessVaultVsKeyring -benchtime 50x ./e2e/
func BenchmarkTokenProcessVaultVsKeyring(b *testing.B) {
	keyringEnv := benchUserEnv(b)
	vaultEnv := append(benchUserEnv(b), passphraseEnv+"="+vaultPassphrase)
	benchRun(b, vaultEnv, "keyring", "use-vault")
	for _, env := range [][]string{keyringEnv, vaultEnv} {
		benchRun(b, env, "add", "Bench", "--discovery", op.issuer, "--client-id", nativeClientID,
			"--scope", "openid offline_access", "--redirect-port", "0")
		benchRun(b, env, "connect", "Bench")
		benchRun(b, env, "token", "Bench") // warm the page cache for both
	}
	var keyring, vault, ratios []float64
	b.ResetTimer()
	for b.Loop() {
		k := benchRun(b, keyringEnv, "token", "Bench")
		v := benchRun(b, vaultEnv, "token", "Bench")
		keyring, vault, ratios = append(keyring, k), append(vault, v), append(ratios, v/k)
	}
	b.StopTimer()
	b.ReportMetric(vaultBenchMedian(keyring), "keyring-ms")
	b.ReportMetric(vaultBenchMedian(vault), "vault-ms")
	b.ReportMetric(vaultBenchMedian(ratios), "vault/keyring")
	for _, env := range [][]string{keyringEnv, vaultEnv} {
		benchRun(b, env, "remove", "Bench")
	}
}

// benchUserEnv is newUser's environment for a benchmark: a registry folder of its own, the
// shared keyring session, the scripted browser.
func benchUserEnv(b *testing.B) []string {
	self, err := os.Executable()
	if err != nil {
		b.Fatal(err)
	}
	return append(os.Environ(), "XDG_CONFIG_HOME="+b.TempDir(), "LANG=C.UTF-8", "LC_ALL=",
		"BROWSER="+self, browserModeEnv+"="+modeLogin, "CONNECTEDAPPS_E2E_USER="+op.username())
}

// benchRun runs the binary and returns its wall time in milliseconds.
func benchRun(b *testing.B, env []string, args ...string) float64 {
	b.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	start := time.Now()
	out, err := cmd.CombinedOutput()
	d := time.Since(start)
	if err != nil {
		b.Fatalf("connectedapps %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return float64(d.Microseconds()) / 1000
}

func vaultBenchMedian(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
