//go:build linux

package e2e

import (
	"context"
	"os"
	"testing"

	"connectedapps/internal/testkit"
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
		benchRun(b, env, "add", "Bench", "--discovery", op.Issuer, "--client-id", testkit.NativeClientID,
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
	b.ReportMetric(testkit.Median(keyring), "keyring-ms")
	b.ReportMetric(testkit.Median(vault), "vault-ms")
	b.ReportMetric(testkit.Median(ratios), "vault/keyring")
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
	return testkit.PersonEnv(b.TempDir(), self, testkit.ModeLogin, op.Username())
}

// benchRun runs the binary and returns its wall time in milliseconds.
func benchRun(b *testing.B, env []string, args ...string) float64 {
	b.Helper()
	r, err := testkit.Run(context.Background(), env, nil, bin, args...)
	if err != nil || r.Code != 0 {
		b.Fatalf("%s: exit %d, %v\n%s%s", testkit.Command(bin, args...), r.Code, err, r.Stdout, r.Stderr)
	}
	return float64(r.Wall.Microseconds()) / 1000
}
