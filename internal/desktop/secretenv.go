package desktop

import (
	"os"
	"strings"
)

// PassphraseEnv gives the vault's passphrase to a script or a session without a terminal.
const PassphraseEnv = "CONNECTEDAPPS_PASSPHRASE"

// secretEnvNames are the variables of ours that hold a secret. Every program we start (exec's
// command, the browser) inherits our environment, and the vault passphrase opens every app's
// secrets, so these are read once and taken out of the environment before anything runs.
var secretEnvNames = []string{PassphraseEnv}

// TakeSecretEnv reads the variables that hold a secret, removes them from this process's
// environment (so no program started later inherits them, whoever starts it: os/exec, Fyne,
// a library) and returns what they held. Call it first thing in main. On Linux the value is
// also wiped from the process's initial environment block, which /proc/PID/environ shows.
func TakeSecretEnv() map[string]string {
	taken := map[string]string{}
	for _, name := range secretEnvNames {
		if v, ok := os.LookupEnv(name); ok {
			taken[name] = strings.Clone(v) // our own copy: the original bytes are wiped below
			_ = os.Unsetenv(name)          // Go keeps one copy of a variable given twice
		}
	}
	if len(taken) > 0 {
		wipeInitialEnv(secretEnvNames)
	}
	return taken
}

// WithoutSecretEnv is env without the variables that hold a secret: the environment for a
// program we start, whatever env a caller (or a test) supplied.
func WithoutSecretEnv(env []string) []string {
	out := make([]string, 0, len(env))
	for _, kv := range env {
		if !isSecretEnv(kv) {
			out = append(out, kv)
		}
	}
	return out
}

func isSecretEnv(kv string) bool {
	for _, name := range secretEnvNames {
		if strings.HasPrefix(kv, name+"=") {
			return true
		}
	}
	return false
}
