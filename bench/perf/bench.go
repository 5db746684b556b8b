package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"connectedapps/core"
	"connectedapps/core/secret"
	"connectedapps/core/secret/secrettest"
	"connectedapps/internal/testkit"
)

type bench struct {
	o       options
	op      *testkit.Provider
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
	op, err := testkit.StartProvider()
	if err != nil {
		os.RemoveAll(work)
		return nil, fmt.Errorf("starting the OpenID Provider: %w", err)
	}
	return &bench{o: o, op: op, self: self, workDir: work}, nil
}

func (b *bench) close() {
	_ = b.op.Close()
	_ = os.RemoveAll(b.workDir)
}

// env is the environment of one person with their own registry folder, sharing the
// session's keyring, whose browser is this program.
func (b *bench) env(name string) ([]string, string) {
	dir := filepath.Join(b.workDir, name)
	_ = os.MkdirAll(dir, 0o700)
	return testkit.PersonEnv(dir, b.self, testkit.ModeLogin, b.op.Username()), dir
}

// run runs a program to the end and returns its wall time in milliseconds; a non-zero exit
// is an error carrying its stderr.
func run(env []string, stdout io.Writer, name string, args ...string) (float64, error) {
	r, err := testkit.Run(context.Background(), env, nil, name, args...)
	if err == nil && r.Code != 0 {
		err = fmt.Errorf("%s: exit status %d: %s", testkit.Command(name, args...), r.Code, strings.TrimSpace(r.Stderr))
	}
	if err != nil {
		return 0, err
	}
	if stdout != nil {
		if _, err := io.WriteString(stdout, r.Stdout); err != nil {
			return 0, err
		}
	}
	return msOf(r.Wall), nil
}

func output(env []string, name string, args ...string) (string, error) {
	var out bytes.Buffer
	_, err := run(env, &out, name, args...)
	return out.String(), err
}

// connectedApp registers the provider's native client as name and signs in once.
func (b *bench) connectedApp(env []string, name string) (id string, err error) {
	if _, err := output(env, b.o.bin, "add", name, "--discovery", b.op.Issuer, "--client-id", testkit.NativeClientID,
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
	var ts map[string]any
	raw, err := secrettest.StoredTokens(secret.NewSystemStore(), appID, heldAccount(appID), &ts)
	return ts, raw, err
}

// heldAccount is the account of appID whose tokens the keyring holds: the example provider's
// user's, or the one a sign-in naming nobody makes (client credentials).
func heldAccount(appID string) string {
	for _, id := range []string{core.AccountIDFor(testkit.UserID), core.AnonymousAccount} {
		if _, err := secret.NewSystemStore().Get(secrettest.TokensKey(appID, id)); err == nil {
			return id
		}
	}
	return core.AccountIDFor(testkit.UserID)
}

// expireStoredToken moves the stored access token's expiry into the past, as time would.
func expireStoredToken(appID string) error {
	return secrettest.ExpireStoredToken(secret.NewSystemStore(), appID, heldAccount(appID))
}

var errNoMap = errors.New("no window was mapped within 60 s")
