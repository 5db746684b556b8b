// Command connectedapps is the program people run: the command line and, without arguments
// (or with "gui"), the window. The window lives in a second binary, connectedapps-window (the
// repository's root package, which can do everything), that this one execs, so that a
// command-line call, which scripts such as msmtp, git and mbsync make on every use, does not
// pay for Fyne's package initialisation: Go runs every linked package's init before main,
// and the window's cost about 4 ms per process (docs/PERFORMANCE.md, "What runs before main").
// This binary links no Fyne package (`make test` checks it).
package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"connectedapps/cli"
	"connectedapps/internal/desktop"
)

// windowProgram is the window's binary, looked for beside this one, then on PATH.
const windowProgram = "connectedapps-window"

func main() {
	// First of all: the vault passphrase leaves the environment, so that no program started
	// later (exec's command, the browser) inherits it; the window gets it back explicitly.
	secretEnv := desktop.TakeSecretEnv()
	args := os.Args[1:]
	if len(args) == 0 || args[0] == "gui" {
		os.Exit(startWindow(args, secretEnv))
	}
	getenv := func(name string) string {
		if v, ok := secretEnv[name]; ok {
			return v
		}
		return os.Getenv(name)
	}
	os.Exit(cli.Run(args, cli.Env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: getenv}))
}

// startWindow becomes the window's program (same process, same pid: an exec where the
// system has one), handing it the arguments and the secret variables this process took, which
// it takes at once in turn.
func startWindow(args []string, secretEnv map[string]string) int {
	path, err := windowPath()
	if err != nil {
		fmt.Fprintln(os.Stderr, "connectedapps: "+err.Error())
		return cli.ExitFailure
	}
	env := os.Environ()
	for name, value := range secretEnv {
		env = append(env, name+"="+value)
	}
	return become(path, args, env)
}

// windowPath finds connectedapps-window beside this binary (symbolic links followed, so a
// link in ~/.local/bin to an unpacked folder works), else on PATH.
func windowPath() (string, error) {
	exe, err := os.Executable()
	if err == nil {
		if real, err := filepath.EvalSymlinks(exe); err == nil {
			exe = real
		}
		p := filepath.Join(filepath.Dir(exe), windowProgram)
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p, nil
		}
	}
	if p, err := exec.LookPath(windowProgram); err == nil {
		return p, nil
	}
	return "", fmt.Errorf("the window's program %s is neither beside %s nor on PATH: install both programs (`make build` builds them into bin/, `make package` packs them), or use the command line (see `connectedapps help`)", windowProgram, exe)
}
