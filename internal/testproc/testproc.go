// Package testproc runs a test binary again as a child process, for the tests that must kill
// a writer midway (as a power cut or the OOM killer would) or run one as another process: the
// child is the same binary with one helper test selected, it stops where told and says so
// on stdout, and the parent SIGKILLs it there.
//
// It is test support under internal/ (it imports only the standard library) so that every
// package's crash tests share one copy: core/secret's today, core's when its tests move.
package testproc

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Command is this test binary run again with only the test named helper selected and env
// added to the environment, not yet started. -test.v makes the child print "--- PASS: NAME",
// so a caller can tell that the helper ran rather than skipped.
func Command(helper string, env ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^"+helper+"$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), env...)
	return cmd
}

// Start starts the helper with env and returns the rest of the first stdout line that starts
// with until ("READY" or "RESULT"), and the process, still running for READY. The process is
// killed at the test's end whatever happens; a helper that ends without printing until, or
// takes more than a minute, fails the test with its stderr.
func Start(t testing.TB, helper, until string, env ...string) (line string, cmd *exec.Cmd) {
	t.Helper()
	cmd = Command(helper, env...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), until) {
				lines <- sc.Text()
				_, _ = io.Copy(io.Discard, out)
				return
			}
		}
		close(lines)
	}()
	select {
	case l, ok := <-lines:
		if !ok {
			_ = cmd.Wait()
			t.Fatalf("the helper %s ended without printing %s; stderr:\n%s", helper, until, stderr.String())
		}
		return strings.TrimSpace(strings.TrimPrefix(l, until)), cmd
	case <-time.After(60 * time.Second):
		t.Fatalf("the helper %s did not reach %s in time; stderr:\n%s", helper, until, stderr.String())
	}
	return "", nil
}

// Kill SIGKILLs the child where it stopped: no deferred code, no cleanup. It fails the test
// if something else ended the child.
func Kill(t testing.TB, cmd *exec.Cmd) {
	t.Helper()
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("the helper was not killed by SIGKILL: %v", err)
	}
}

// StopAt is a crash-point hook for the child: spec is "NAME#N" (N defaults to 1), and at the
// N-th time the point NAME is reached the hook prints "READY DETAIL" and blocks until the
// parent kills the process. An empty spec gives nil, no hook.
func StopAt(spec string) func(point, detail string) {
	if spec == "" {
		return nil
	}
	name, nth, _ := strings.Cut(spec, "#")
	want, _ := strconv.Atoi(nth)
	seen := 0
	return func(point, detail string) {
		if point != name {
			return
		}
		if seen++; seen < max(want, 1) {
			return
		}
		fmt.Printf("READY %s\n", detail)
		time.Sleep(time.Hour) // a sleeping goroutine, so the runtime sees no deadlock
	}
}

// SkipUnlessOthersCanEnter skips t when dir or a folder above it cannot be entered by other
// users: then no program run as another uid (nobody, a mail server's own user) can reach it.
// A chroot whose root was made by mktemp (mode 0700), as the fresh-machine check makes, is
// such a place; every real system's / and /tmp can be entered.
func SkipUnlessOthersCanEnter(t testing.TB, dir string) {
	t.Helper()
	for d := dir; ; d = filepath.Dir(d) {
		if info, err := os.Stat(d); err == nil && info.Mode().Perm()&0o001 == 0 {
			t.Skipf("%s (mode %v) cannot be entered by other users, so no program can run as another user here", d, info.Mode().Perm())
		}
		if d == filepath.Dir(d) {
			return
		}
	}
}
