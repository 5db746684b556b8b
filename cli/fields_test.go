package cli

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"connectedapps/core"
	"connectedapps/core/secret"
)

// endpointValue is the distinct URL a test gives endpoint number i of the table.
func endpointValue(i int) string { return fmt.Sprintf("https://idp.example/endpoint-%d", i) }

// The command line follows core's field table: a new field (an endpoint is one line there)
// gets its add/edit flag, its line in the help, its row in show and its flag named in an
// error without any edit here. This walks the table and checks each of those for every field.
func TestEveryFieldReachesTheCommandLine(t *testing.T) {
	for _, cmd := range []string{"add", "edit"} {
		fs := newFlags(cmd)
		var f appFlags
		f.register(fs, cmd == "edit")
		for _, field := range core.Fields {
			if field.Flag == "" {
				continue
			}
			if fs.Lookup(field.Flag) == nil {
				t.Errorf("%s has no --%s flag for %s", cmd, field.Flag, field.JSON)
			}
			if !strings.Contains(helpTopics[cmd], "--"+field.Flag+" ") && !strings.Contains(helpTopics[cmd], "--"+field.Flag+"\n") {
				t.Errorf("help %s does not name --%s (%s)", cmd, field.Flag, field.JSON)
			}
		}
	}

	// Every endpoint given by its flag is saved under its JSON name and shown under its label.
	// --discovery fetches a document rather than only setting openid_configuration: the e2e
	// flow tests give it a real provider; here it is stored directly below.
	dir, store := configDir(t), secret.NewMemoryStore()
	args := []string{"add", "Every field", "--client-id", "c", "--scope", "openid email", "--param", "k=v", "--git-host", "example.com", "--on-event", "notify-send 'Every field'", "--publishing-status", "testing"}
	want := map[string]string{}
	for i, e := range core.Endpoints() {
		if e.JSON == core.FieldOpenIDConfiguration {
			continue
		}
		want[e.JSON] = endpointValue(i)
		args = append(args, "--"+e.Flag, endpointValue(i))
	}
	if _, errOut, code := runIn(t, dir, store, "", args...); code != ExitOK {
		t.Fatalf("add with every endpoint flag: exit %d %s", code, errOut)
	}
	out, _, _ := runIn(t, dir, store, "", "show", "Every field", "--json")
	var doc map[string]any
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	for name, v := range want {
		if doc[name] != v {
			t.Errorf("show --json: %s = %v; want %s", name, doc[name], v)
		}
	}
	svc, err := core.NewService(core.Config{Dir: dir, Secrets: store})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Edit(t.Context(), "Every field", func(a *core.App) error {
		a.OpenIDConfiguration = "https://idp.example/.well-known/openid-configuration"
		return nil
	}, core.KeepSecret()); err != nil {
		t.Fatal(err)
	}
	want[core.FieldOpenIDConfiguration] = "https://idp.example/.well-known/openid-configuration"
	out, _, _ = runIn(t, dir, store, "", "show", "Every field")
	for _, field := range core.Fields {
		if field.ShowLabel == "" {
			continue
		}
		row := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(field.ShowLabel) + `:\s+(.+)$`).FindStringSubmatch(out)
		switch {
		case row == nil:
			t.Errorf("show has no %q row for %s:\n%s", field.ShowLabel, field.JSON, out)
		case want[field.JSON] != "" && row[1] != want[field.JSON]:
			t.Errorf("show's %q row is %q; want %q", field.ShowLabel, row[1], want[field.JSON])
		}
	}

	// A wrong endpoint is refused naming its flag, so the person knows what to retype.
	for _, e := range core.Endpoints() {
		if e.JSON == core.FieldOpenIDConfiguration {
			continue // --discovery reports a failed fetch, not a field
		}
		_, errOut, code := runIn(t, dir, store, "", "edit", "Every field", "--"+e.Flag, "http://idp.example/plain")
		if code == ExitOK || !strings.Contains(errOut, "--"+e.Flag+": ") {
			t.Errorf("edit --%s with plain http: exit %d %q; want the flag named", e.Flag, code, errOut)
		}
	}
}
