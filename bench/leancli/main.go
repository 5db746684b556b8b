// Command leancli is connectedapps' command line without the window: cli.Run alone, with
// none of Fyne linked in. It exists to measure what taking Fyne's package initialisation off
// the command-line path would buy (docs/PERFORMANCE.md, "What runs before main"); bench/perf
// runs it beside the real binary. It is not shipped: the real `connectedapps` is one binary
// for the window and the command line.
package main

import (
	"os"

	"connectedapps/cli"
	"connectedapps/internal/desktop"
)

func main() {
	// As main.go does: the vault passphrase leaves the environment first.
	secretEnv := desktop.TakeSecretEnv()
	getenv := func(name string) string {
		if v, ok := secretEnv[name]; ok {
			return v
		}
		return os.Getenv(name)
	}
	os.Exit(cli.Run(os.Args[1:], cli.Env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: getenv}))
}
