package testkit

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// PersonEnv is the environment of one person: this process's own (the shared keyring
// session), their own registry folder under configDir (XDG_CONFIG_HOME), and the scripted
// browser (self, in mode, signing in as username). LANG=C.UTF-8 is the usual container
// default, under which Fyne logs a locale error at start-up: the command line's stderr must
// stay clean all the same.
func PersonEnv(configDir, self, mode, username string) []string {
	env := append(os.Environ(), "XDG_CONFIG_HOME="+configDir, "LANG=C.UTF-8", "LC_ALL=")
	return append(env, BrowserEnv(self, mode, username)...)
}

// Result is what one run of a program left.
type Result struct {
	Stdout, Stderr string
	Code           int           // the exit code
	Wall           time.Duration // from start to exit
}

// Command is how a failed run names the program: its base name and arguments.
func Command(name string, args ...string) string {
	return strings.Join(append([]string{filepath.Base(name)}, args...), " ")
}

// Run runs name with args, env and stdin (nil for none) to the end, or until ctx ends. A
// non-zero exit is a Result, not an error; the error is for a program that could not start or
// was stopped by ctx.
func Run(ctx context.Context, env []string, stdin io.Reader, name string, args ...string) (Result, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = env
	cmd.Stdin = stdin
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	err := cmd.Run()
	r := Result{Stdout: out.String(), Stderr: errb.String(), Wall: time.Since(start)}
	if ctx.Err() != nil {
		return r, fmt.Errorf("%s did not finish in time: %w", Command(name, args...), ctx.Err())
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		r.Code = ee.ExitCode()
		return r, nil
	}
	if err != nil {
		return r, fmt.Errorf("%s: %w", Command(name, args...), err)
	}
	return r, nil
}

// Quantile is the q-quantile (0 ≤ q ≤ 1) of xs, interpolated between the two nearest
// measurements; NaN for none. Median is Quantile(xs, 0.5).
func Quantile(xs []float64, q float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	c := slices.Clone(xs)
	slices.Sort(c)
	pos := q * float64(len(c)-1)
	lo, hi := int(math.Floor(pos)), int(math.Ceil(pos))
	return c[lo] + (c[hi]-c[lo])*(pos-float64(lo))
}

// Median is the middle of xs (the mean of the two middle ones for an even count); NaN for none.
func Median(xs []float64) float64 { return Quantile(xs, 0.5) }
