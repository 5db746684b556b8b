package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"connectedapps/core/secret"
)

type bench struct {
	o       options
	op      *provider
	self    string
	workDir string
	rows    []row
	notes   []string
}

// row is one line of the results table.
type row struct {
	name, ours, floor, ratio, target, met string
}

const scopes = "openid profile email offline_access"

func newBench(o options) (*bench, error) {
	for _, p := range []*string{&o.bin, &o.floorConnect, &o.floorWindow} {
		abs, err := filepath.Abs(*p)
		if err != nil {
			return nil, err
		}
		*p = abs
	}
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	work, err := os.MkdirTemp("", "connectedapps-bench")
	if err != nil {
		return nil, err
	}
	op, err := startProvider()
	if err != nil {
		os.RemoveAll(work)
		return nil, fmt.Errorf("starting the OpenID Provider: %w", err)
	}
	return &bench{o: o, op: op, self: self, workDir: work}, nil
}

func (b *bench) close() {
	_ = b.op.server.Close()
	_ = os.RemoveAll(b.workDir)
}

// env is the environment of one person with their own registry folder, sharing the
// session's keyring, whose browser is this program.
func (b *bench) env(name string) ([]string, string) {
	dir := filepath.Join(b.workDir, name)
	_ = os.MkdirAll(dir, 0o700)
	return append(os.Environ(),
		"XDG_CONFIG_HOME="+dir,
		"LANG=C.UTF-8", "LC_ALL=",
		"BROWSER="+b.self,
		browserUserEnv+"="+b.op.username(),
	), dir
}

// run runs a program to the end and returns its wall time in milliseconds.
func run(env []string, stdout io.Writer, name string, args ...string) (float64, error) {
	cmd := exec.Command(name, args...)
	cmd.Env = env
	cmd.Stdout = stdout
	var errb bytes.Buffer
	cmd.Stderr = &errb
	start := time.Now()
	err := cmd.Run()
	d := time.Since(start)
	if err != nil {
		return 0, fmt.Errorf("%s %s: %v: %s", filepath.Base(name), strings.Join(args, " "), err, strings.TrimSpace(errb.String()))
	}
	return msOf(d), nil
}

func output(env []string, name string, args ...string) (string, error) {
	var out bytes.Buffer
	_, err := run(env, &out, name, args...)
	return out.String(), err
}

// connectedApp registers the provider's native client as name and signs in once.
func (b *bench) connectedApp(env []string, name string) (id string, err error) {
	if _, err := output(env, b.o.bin, "add", name, "--discovery", b.op.issuer, "--client-id", nativeClientID,
		"--scope", scopes, "--redirect-port", "0"); err != nil {
		return "", err
	}
	if _, err := output(env, b.o.bin, "connect", name); err != nil {
		return "", err
	}
	out, err := output(env, b.o.bin, "show", name, "--json")
	if err != nil {
		return "", err
	}
	var app struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal([]byte(out), &app); err != nil || app.ID == "" {
		return "", fmt.Errorf("show %s --json: %v: %s", name, err, out)
	}
	return app.ID, nil
}

func tokensKey(appID string) string { return "app/" + appID + "/tokens" }

func (b *bench) add(r row) { b.rows = append(b.rows, r) }
func (b *bench) note(f string, a ...any) {
	b.notes = append(b.notes, fmt.Sprintf(f, a...))
	fmt.Fprintf(os.Stderr, "perf: "+f+"\n", a...)
}

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "**missed**"
}

func (b *bench) print(w io.Writer) {
	fmt.Fprintln(w, "| benchmark | ours: median (p25–p75) | floor: median (p25–p75) | ratio: median of pairs (p25–p75) | target | |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|")
	for _, r := range b.rows {
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s |\n", r.name, r.ours, r.floor, r.ratio, r.target, r.met)
	}
	if len(b.notes) > 0 {
		fmt.Fprintln(w)
		for _, n := range b.notes {
			fmt.Fprintln(w, "- "+n)
		}
	}
}

// storedTokens reads an app's token record from the keyring, as a second program could.
func storedTokens(appID string) (map[string]any, string, error) {
	raw, err := secret.NewSystemStore().Get(tokensKey(appID))
	if err != nil {
		return nil, "", err
	}
	var ts map[string]any
	if err := json.Unmarshal([]byte(raw), &ts); err != nil {
		return nil, "", err
	}
	return ts, raw, nil
}

// expireStoredToken moves the stored access token's expiry into the past, as time would.
func expireStoredToken(appID string) error {
	ts, _, err := storedTokens(appID)
	if err != nil {
		return err
	}
	ts["expires_at"] = time.Now().Add(-time.Minute).UTC().Format(time.RFC3339Nano)
	data, _ := json.Marshal(ts)
	return secret.NewSystemStore().Set(tokensKey(appID), string(data))
}

var errNoMap = errors.New("no window was mapped within 60 s")
