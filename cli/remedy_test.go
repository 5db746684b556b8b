package cli

import (
	"errors"
	"regexp"
	"strings"
	"testing"

	"connectedapps/core"
	"connectedapps/core/fail"
	"connectedapps/core/secret"
)

// remedyFields are the fields a remedy about one field names, as core makes them.
var remedyFields = []string{"authorization_uri", "token_uri", "revocation_uri", "userinfo_uri", "introspection_uri",
	"device_authorization_uri", "issuer", "jwks_uri", "scopes", "redirect_port", "client_id", "openid_configuration"}

// Every remedy renders to commands that exist, with flags those commands take; the edit
// commands among them are run for real against an app, and accepted.
func TestEveryRemedyIsARealCommand(t *testing.T) {
	dir, store := configDir(t), secret.NewMemoryStore()
	if _, e, code := runIn(t, dir, store, "", "add", "P", "--client-id", "c", "--auth-url", "https://p.example/a", "--token-url", "https://p.example/t"); code != 0 {
		t.Fatalf("add: %d %s", code, e)
	}
	backticked := regexp.MustCompile("`([^`]*)`")
	flagRe := regexp.MustCompile(`--[a-z][a-z-]*`)
	placeholders := strings.NewReplacer(" URL", " https://p.example/x", " VALUE", " v", " N", " 0")
	for _, do := range fail.Actions() {
		remedies := []fail.Remedy{{Do: do, App: "P"}}
		switch do {
		case fail.AddEndpoint, fail.FixField, fail.MoveEndpoint:
			remedies = nil
			for _, f := range remedyFields {
				remedies = append(remedies, fail.Remedy{Do: do, App: "P", Field: f})
			}
		case fail.ForgetLocally:
			remedies = []fail.Remedy{{Do: do, App: "P", Field: "tokens"}, {Do: do, App: "P", Field: "app"}}
		}
		for _, r := range remedies {
			text := remedyCommand(r)
			if do == fail.None {
				if text != "" {
					t.Errorf("no remedy renders as %q", text)
				}
				continue
			}
			if text == "" {
				t.Errorf("%+v renders to nothing", r)
				continue
			}
			if strings.ContainsAny(text, "\r\n") {
				t.Errorf("%+v renders to more than one line: %q", r, text)
			}
			cmds := backticked.FindAllStringSubmatch(text, -1)
			for _, m := range cmds {
				args := strings.Fields(strings.ReplaceAll(m[1], `"P"`, "P"))
				if len(args) < 2 || args[0] != "connectedapps" {
					t.Errorf("%+v: %q is not a connectedapps command", r, m[1])
					continue
				}
				topic, ok := helpTopics[args[1]]
				if !ok {
					t.Errorf("%+v: %q names no command", r, m[1])
					continue
				}
				for _, f := range flagRe.FindAllString(m[1], -1) {
					if !strings.Contains(topic, f) {
						t.Errorf("%+v: %s takes no %s (%q)", r, args[1], f, m[1])
					}
				}
				if args[1] == "edit" && !strings.Contains(m[1], "--client-secret-stdin") {
					line := strings.Fields(placeholders.Replace(strings.Join(args[2:], " ")))
					if _, e, code := runIn(t, dir, store, "", append([]string{"edit"}, line...)...); code == ExitUsage {
						t.Errorf("%+v: `edit %s` is refused as a command line: %s", r, strings.Join(line, " "), e)
					}
				}
			}
			// Flags outside the backticks ("or give --issuer", "--as NEW") are some command's.
			rest := backticked.ReplaceAllString(text, "")
			for _, f := range flagRe.FindAllString(rest, -1) {
				found := false
				for _, topic := range helpTopics {
					found = found || strings.Contains(topic, f+" ") || strings.Contains(topic, f+"]") || strings.Contains(topic, f+"\n")
				}
				if !found {
					t.Errorf("%+v: no command takes %s (%q)", r, f, text)
				}
			}
		}
	}
}

// What the command line prints for a core error is core's line, then the remedy's command.
func TestDescribeAddsTheRemedy(t *testing.T) {
	err := core.Failf(core.ErrNotConnected, "Example is not connected").With(fail.ReconnectApp("Example"))
	if got, want := describe(err), "Example is not connected: run `connectedapps connect \"Example\"`"; got != want {
		t.Errorf("describe = %q, want %q", got, want)
	}
	if got := describe(errors.New("plain")); got != "plain" {
		t.Errorf("describe(plain) = %q", got)
	}
	if ExitCode(err) != ExitReauth {
		t.Errorf("exit code %d for not connected", ExitCode(err))
	}
}
