package cli

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"connectedapps/core"
	"connectedapps/core/secret"
)

// runAt runs a command line in-process on a clock stopped at now.
func runAt(t *testing.T, dir string, store secret.Store, now time.Time, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	env, out, errb := inProcess(dir, store, "", nil)
	newService := env.NewService
	env.NewService = func(cfg core.Config) (*core.Service, error) {
		cfg.Now = func() time.Time { return now }
		return newService(cfg)
	}
	code = Run(args, env)
	return out.String(), errb.String(), code
}

// connectedSince marks name connected with a refresh token issued and last used at the
// times given (nil: not recorded, as in an apps.json from before they were kept).
func connectedSince(t *testing.T, dir string, store secret.Store, name string, issued, used *time.Time) {
	t.Helper()
	id := markConnected(t, dir, store, name, "", `{"access_token":"at","refresh_token":"rt"}`)
	svc, err := core.NewService(core.Config{Dir: dir, Secrets: store})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Registry.UpdateApp(id, func(a *core.App) error {
		a.Connection().HasRefreshToken = true
		a.Connection().RefreshTokenIssuedAt, a.Connection().RefreshTokenUsedAt = issued, used
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// list shows each app's refresh token against its provider's limit, show says the date, the
// rule and what to do; a provider no preset knows gets "-" and no row, and a Google app in
// production no warning.
func TestListAndShowWarnOfRefreshTokenLimits(t *testing.T) {
	dir, store := configDir(t), secret.NewMemoryStore()
	now := time.Date(2030, 6, 10, 12, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	at := func(d time.Duration) *time.Time { t := now.Add(-d); return &t }
	for _, a := range []struct{ name, tokenURL string }{
		{"Mail", "https://oauth2.googleapis.com/token"},
		{"Outlook", "https://login.microsoftonline.com/common/oauth2/v2.0/token"},
		{"Hub", "https://github.com/login/oauth/access_token"},
		{"Old", "https://github.com/login/oauth/access_token"},
		{"Elsewhere", "https://idp.example/token"},
	} {
		if _, e, code := runIn(t, dir, store, "", "add", a.name, "--client-id", "c", "--auth-url", "https://idp.example/auth", "--token-url", a.tokenURL); code != ExitOK {
			t.Fatalf("add %s: %d %s", a.name, code, e)
		}
	}
	connectedSince(t, dir, store, "Mail", at(5*day), nil)                // Google: 2 days left, if in Testing
	connectedSince(t, dir, store, "Outlook", at(200*day), at(100*day))   // Microsoft: unused for 100 days
	connectedSince(t, dir, store, "Hub", at(20*day), at(day))            // GitHub: 164 days left
	connectedSince(t, dir, store, "Old", nil, nil)                       // from before the dates were kept
	connectedSince(t, dir, store, "Elsewhere", at(400*day), at(400*day)) // nobody knows

	out, e, code := runAt(t, dir, store, now, "list")
	if code != ExitOK {
		t.Fatalf("list: %d %s", code, e)
	}
	t.Log("\n" + out)
	if !strings.HasPrefix(out, "NAME ") || !strings.Contains(strings.SplitN(out, "\n", 2)[0], "REFRESH TOKEN") {
		t.Errorf("list has no REFRESH TOKEN column:\n%s", out)
	}
	for name, cell := range map[string]string{
		"Mail": "! ends in 2d 0h if Testing", "Outlook": "! probably gone", "Hub": "until 2030-11-21",
		"Old": "limit not recorded", "Elsewhere": "-",
	} {
		// The REFRESH TOKEN cell, then the ACCOUNTS one (these apps' one account has no identity).
		if !regexp.MustCompile(`(?m)^` + name + `\s.*\s` + regexp.QuoteMeta(cell) + `\s+\(no identity\)$`).MatchString(out) {
			t.Errorf("list's row for %s does not end in %q and its account:\n%s", name, cell, out)
		}
	}

	row := func(name string) string {
		t.Helper()
		out, e, code := runAt(t, dir, store, now, "show", name)
		if code != ExitOK {
			t.Fatalf("show %s: %d %s", name, code, e)
		}
		m := regexp.MustCompile(`(?m)^Refresh token limit:\s+(.+)$`).FindStringSubmatch(out)
		if m == nil {
			return ""
		}
		return m[1]
	}
	for name, want := range map[string][]string{
		"Mail": {"if the app is in Testing mode, ends 2030-06-12T12:00:00Z (in 2d 0h): Google ends refresh tokens 7 days after issue in Testing mode",
			"publish the app at the provider", "`connectedapps edit \"Mail\" --publishing-status production`", "or run `connectedapps connect \"Mail\"`"},
		"Outlook": {"probably gone since 2030-05-31T12:00:00Z: Microsoft Entra ID ends refresh tokens unused for 90 days; run `connectedapps connect \"Outlook\"`"},
		"Hub":     {"probably works until 2030-11-21T12:00:00Z (in 164d 0h): GitHub ends refresh tokens 184 days after issue"},
		"Old":     {"GitHub ends refresh tokens 184 days after issue; when this refresh token was issued or last used was not recorded"},
	} {
		got := row(name)
		for _, w := range want {
			if !strings.Contains(got, w) {
				t.Errorf("show %s: Refresh token limit %q lacks %q", name, got, w)
			}
		}
	}
	if got := row("Elsewhere"); got != "" {
		t.Errorf("show of an unknown provider guesses: %q", got)
	}

	// The person says the Google app is published: no rule holds, nothing is said.
	if _, e, code := runIn(t, dir, store, "", "edit", "Mail", "--publishing-status", "production"); code != ExitOK {
		t.Fatalf("edit: %d %s", code, e)
	}
	if got := row("Mail"); got != "" {
		t.Errorf("a Google app in production still warned: %q", got)
	}
	// In Testing, said for certain.
	if _, e, code := runIn(t, dir, store, "", "edit", "Mail", "--publishing-status", "testing"); code != ExitOK {
		t.Fatalf("edit: %d %s", code, e)
	}
	if got := row("Mail"); !strings.HasPrefix(got, "ends 2030-06-12T12:00:00Z (in 2d 0h): Google") {
		t.Errorf("a Google app in Testing: %q", got)
	}
	if _, e, code := runIn(t, dir, store, "", "edit", "Mail", "--publishing-status", "beta"); code == ExitOK || !strings.Contains(e, "--publishing-status: ") {
		t.Errorf("edit --publishing-status beta: exit %d %q; want the flag named", code, e)
	}

	out, _, _ = runAt(t, dir, store, now, "list", "--json")
	var entries []struct {
		Name   string      `json:"provider_name"`
		Health *healthView `json:"refresh_token_health"`
	}
	if err := json.Unmarshal([]byte(out), &entries); err != nil {
		t.Fatal(err)
	}
	stages := map[string]string{}
	for _, en := range entries {
		if en.Health != nil {
			stages[en.Name] = en.Health.Stage
		}
	}
	if stages["Mail"] != "soon" || stages["Outlook"] != "past" || stages["Hub"] != "fine" || stages["Old"] != "unrecorded" || stages["Elsewhere"] != "" {
		t.Errorf("list --json stages = %v", stages)
	}
	out, _, _ = runAt(t, dir, store, now, "show", "Outlook", "--json")
	var doc struct {
		Health healthView `json:"refresh_token_health"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil || doc.Health.EndsAt == nil || !doc.Health.EndsAt.Equal(now.Add(-10*day)) || doc.Health.Counts != core.CountsFromLastUse {
		t.Errorf("show --json: %+v %v\n%s", doc.Health, err, out)
	}
}
