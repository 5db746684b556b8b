//go:build linux

package core

import (
	"bytes"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// fire starts the command and returns while it still runs: the command here waits for an hour
// and fire has returned once the test can read the PID it wrote; the test then ends it.
func TestFireReturnsWhileTheCommandStillRuns(t *testing.T) {
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "pid")
	var logs bytes.Buffer
	s := &Service{Log: slog.New(slog.NewTextHandler(&lockedWriter{w: &logs}, nil)), hookTimeout: time.Hour}
	a := NewApp("Mail")
	a.OnEvent = "sh -c 'echo $$ > " + pidFile + "; exec sleep 3600'"
	s.fire(&a, "", EventRefreshed, nil)
	pid := waitForPIDFile(t, pidFile)
	if err := syscall.Kill(pid, 0); err != nil {
		t.Fatalf("the command (pid %d) is not running after fire returned: %v", pid, err)
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	s.WaitHooks()
	if out := logs.String(); !strings.Contains(out, "Mail: the refreshed event's command sh failed: signal: killed") {
		t.Errorf("log %q, want the killed command named", out)
	}
}

// A command killed past its timeout takes its children with it: `sh -c 'sleep & wait'` would
// otherwise leave the sleep running for an hour after the timeout.
func TestFireKillsTheCommandsChildrenPastTheTimeout(t *testing.T) {
	dir := t.TempDir()
	childFile := filepath.Join(dir, "child")
	s := &Service{Log: slog.New(slog.NewTextHandler(&lockedWriter{w: &bytes.Buffer{}}, nil)), hookTimeout: 300 * time.Millisecond}
	a := NewApp("Mail")
	a.OnEvent = "sh -c 'sleep 3600 & echo $! > " + childFile + "; wait'"
	s.fire(&a, "", EventRefreshed, nil)
	s.WaitHooks()
	child := waitForPIDFile(t, childFile)
	deadline := time.Now().Add(10 * time.Second)
	for alive(child) {
		if time.Now().After(deadline) {
			syscall.Kill(child, syscall.SIGKILL)
			t.Fatalf("the command's child %d still runs after the command was killed", child)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func waitForPIDFile(t *testing.T, path string) int {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		data, err := os.ReadFile(path)
		if err == nil && strings.HasSuffix(string(data), "\n") {
			pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
			if err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			return pid
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s was not written: %v", path, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// alive: the process exists and is not a zombie waiting for a parent that does not reap
// (a container's init may not), which is as dead as a process gets.
func alive(pid int) bool {
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
		return false
	}
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return !errors.Is(err, os.ErrNotExist)
	}
	// The state follows the command name in parentheses: "pid (comm) S …".
	if i := bytes.LastIndexByte(stat, ')'); i >= 0 && i+2 < len(stat) {
		return stat[i+2] != 'Z'
	}
	return true
}
