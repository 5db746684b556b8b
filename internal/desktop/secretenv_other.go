//go:build !linux

package desktop

// wipeInitialEnv does nothing off Linux: there the process's initial environment block is
// left as it is (macOS's `ps -E` shows it to the same user), and only os.Unsetenv applies.
func wipeInitialEnv([]string) {}
