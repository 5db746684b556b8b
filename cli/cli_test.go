package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"connectedapps/core"
	"connectedapps/core/secret"
)

// configDir is a registry folder as the program makes it (0700, on the first write): a test's
// temp folder is 0755, which the program would tighten and say so.
func configDir(t *testing.T) string { return filepath.Join(t.TempDir(), "connectedapps") }

// inProcess is the Env of a command line run in this process against store (an in-memory
// keyring) and the registry in dir, reading stdin, seeing env as its environment variables;
// what it writes lands in the two buffers. Every cli test runs the CLI through it.
func inProcess(dir string, store secret.Store, stdin string, env map[string]string) (e Env, stdout, stderr *bytes.Buffer) {
	stdout, stderr = &bytes.Buffer{}, &bytes.Buffer{}
	return Env{
		Stdin: strings.NewReader(stdin), Stdout: stdout, Stderr: stderr,
		Getenv: func(k string) string { return env[k] },
		NewService: func(cfg core.Config) (*core.Service, error) {
			cfg.Dir, cfg.Secrets = dir, store
			return core.NewService(cfg)
		},
	}, stdout, stderr
}

// runIn runs a command line in-process with stdin and no environment variables.
func runIn(t *testing.T, dir string, store secret.Store, stdin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	env, out, errb := inProcess(dir, store, stdin, nil)
	code = Run(args, env)
	return out.String(), errb.String(), code
}

// anonymousTokensKey is core's keyring key for the tokens of an app's one account when the
// sign-in named nobody (core.AnonymousAccount; see core/secrets.go).
func anonymousTokensKey(appID string) string {
	return "app/" + appID + "/accounts/" + core.AnonymousAccount + "/tokens"
}

// markConnected marks the registered app name connected (with email, if any) and stores
// tokens (a token record's JSON) as its tokens, as a connect would; it returns the app's ID.
func markConnected(t *testing.T, dir string, store secret.Store, name, email, tokens string) (id string) {
	t.Helper()
	svc, err := core.NewService(core.Config{Dir: dir, Secrets: store})
	if err != nil {
		t.Fatal(err)
	}
	app, err := svc.Get(name)
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Registry.UpdateApp(app.ID, func(a *core.App) error {
		a.SetConnection(&core.Connection{State: core.StateConnected, Email: email})
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := store.Set(anonymousTokensKey(app.ID), tokens); err != nil {
		t.Fatal(err)
	}
	return app.ID
}

func TestFlagsBeforeAndAfterTheName(t *testing.T) {
	dir, store := configDir(t), secret.NewMemoryStore()
	base := []string{"--auth-url", "https://p.example/auth", "--token-url", "https://p.example/token"}
	if _, e, code := runIn(t, dir, store, "", append([]string{"add", "--client-id", "c1", "First"}, base...)...); code != 0 {
		t.Fatalf("flags before NAME: %d %s", code, e)
	}
	if _, e, code := runIn(t, dir, store, "s3cret\n", append([]string{"add", "Second", "--client-id", "c2", "--scope", "a b", "--scope", "c", "--param", "access_type=offline", "--client-secret-stdin"}, base...)...); code != 0 {
		t.Fatalf("flags after NAME: %d %s", code, e)
	}
	out, _, _ := runIn(t, dir, store, "", "show", "second", "--json")
	var doc map[string]any
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	if doc["client_id"] != "c2" || fmt.Sprint(doc["scopes"]) != "[a b c]" || doc["connection_state"] != "not_connected" ||
		doc["redirect_uri"] != "http://127.0.0.1:8765/callback/second" || doc["has_client_secret"] != true {
		t.Fatalf("show --json: %v", doc)
	}
	if strings.Contains(out, "s3cret") {
		t.Fatal("show prints the client secret")
	}
	if v, _ := store.Get("app/" + doc["id"].(string) + "/client_secret"); v != "s3cret" {
		t.Fatalf("secret in store: %q", v)
	}
}

func TestUsageErrorsExitTwoWithOneLine(t *testing.T) {
	dir, store := configDir(t), secret.NewMemoryStore()
	for _, args := range [][]string{
		{"nope"}, {"token"}, {"token", "a", "b"}, {"token", "a", "--format", "xml"},
		{"connect", "a", "--timeout", "soon"}, {"add", "x", "--param", "novalue"},
		{"token", "a", "--id-token", "--format", "header"}, {"list", "extra"},
	} {
		out, errOut, code := runIn(t, dir, store, "", args...)
		if code != ExitUsage || strings.Count(errOut, "\n") != 1 || !strings.HasPrefix(errOut, "connectedapps: ") || out != "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", args, code, out, errOut)
		}
	}
	if _, errOut, code := runIn(t, dir, store, "", "add", "x", "--client-secret-stdin", "--client-id", "c"); code != ExitUsage || !strings.Contains(errOut, "stdin was empty") {
		t.Errorf("empty secret: %d %q", code, errOut)
	}
}

func TestExitCodes(t *testing.T) {
	cases := map[error]int{
		nil:                        ExitOK,
		usagef("x"):                ExitUsage,
		core.ErrNeedsReauth:        ExitReauth,
		core.ErrClientRejected:     ExitReauth,
		core.ErrNotConnected:       ExitReauth,
		core.ErrTransient:          ExitTransient,
		core.ErrBusy:               ExitTransient,
		core.ErrKeyringUnavailable: ExitFailure,
		errors.New("other"):        ExitFailure,
		fmt.Errorf("wrapped: %w", core.Failf(core.ErrNeedsReauth, "sign in")): ExitReauth,
	}
	for err, want := range cases {
		if got := ExitCode(err); got != want {
			t.Errorf("ExitCode(%v) = %d, want %d", err, got, want)
		}
	}
}

func TestTokenFormatsFromTheStore(t *testing.T) {
	dir, store := configDir(t), secret.NewMemoryStore()
	runIn(t, dir, store, "", "add", "P", "--client-id", "c", "--auth-url", "https://p.example/a", "--token-url", "https://p.example/t")
	if _, errOut, code := runIn(t, dir, store, "", "token", "P"); code != ExitReauth || !strings.Contains(errOut, "not connected") {
		t.Fatalf("token before connect: %d %q", code, errOut)
	}
	markConnected(t, dir, store, "P", "", `{"access_token":"AT","token_type":"bearer","scopes":["s"]}`)
	for args, want := range map[string]string{
		"token P":                 "AT\n",
		"token P --format header": "Authorization: Bearer AT\n",
	} {
		if out, errOut, code := runIn(t, dir, store, "", strings.Fields(args)...); out != want || code != 0 || errOut != "" {
			t.Errorf("%s: %q %q %d", args, out, errOut, code)
		}
	}
	out, _, _ := runIn(t, dir, store, "", "token", "P", "--format", "json")
	var j map[string]any
	if err := json.Unmarshal([]byte(out), &j); err != nil || j["access_token"] != "AT" || j["token_type"] != "Bearer" || j["expires_at"] != nil || j["expires_in"] != nil {
		t.Fatalf("json with unknown expiry: %s %v", out, err)
	}
	if _, errOut, code := runIn(t, dir, store, "", "token", "P", "--id-token"); code != ExitFailure || !strings.Contains(errOut, "no ID token") {
		t.Fatalf("--id-token without one: %d %q", code, errOut)
	}
}

func TestQuoteName(t *testing.T) {
	for in, want := range map[string]string{"Google": "Google", "My App": "'My App'", "it's": `'it'\''s'`} {
		if got := quoteName(in); got != want {
			t.Errorf("quoteName(%q) = %q, want %q", in, got, want)
		}
	}
}

// Every "COMMAND [SUBCOMMAND] --help" (and -h) prints that command's help and exits 0, before
// the store is touched: "keyring status --help" once answered "keyring needs one of" and exit 2.
func TestEveryCommandAndSubcommandAnswersHelp(t *testing.T) {
	dir, store := t.TempDir(), secret.NewMemoryStore()
	subcommands := map[string][]string{
		"keyring":        {"status", "use-vault", "use-system"},
		"git-credential": {"App get", "App store", "App erase"},
		"exec":           {"App"},
		"token":          {"App"},
		"presets":        {"microsoft"},
	}
	for _, cmd := range commands {
		lines := [][]string{{cmd.name}}
		for _, sub := range subcommands[cmd.name] {
			lines = append(lines, append([]string{cmd.name}, strings.Fields(sub)...))
		}
		for _, line := range lines {
			for _, flag := range []string{"--help", "-h"} {
				args := append(append([]string{}, line...), flag)
				out, errOut, code := runIn(t, dir, store, "", args...)
				if code != ExitOK || errOut != "" || out != helpTopics[cmd.name] || !strings.HasPrefix(out, "connectedapps "+cmd.name) {
					t.Errorf("%v: exit %d, stderr %q, stdout %q", args, code, errOut, out)
				}
			}
		}
	}
	// After "--" a -h belongs to exec's command, not to us.
	if out, _, code := runIn(t, dir, store, "", "exec", "App", "--", "sh", "-h"); code == ExitOK || out == helpTopics["exec"] {
		t.Errorf("exec App -- sh -h answered our help: exit %d %q", code, out)
	}
}
