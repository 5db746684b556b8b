package cli

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"connectedapps/core"
	"connectedapps/core/secret"
)

// connectedFixture registers P and stores token as its access token, as a connect would.
func connectedFixture(t *testing.T, token, email string) (dir string, store *secret.MemoryStore) {
	t.Helper()
	dir, store = configDir(t), secret.NewMemoryStore()
	if _, e, code := runIn(t, dir, store, "", "add", "P", "--client-id", "c", "--auth-url", "https://p.example/a", "--token-url", "https://p.example/t"); code != 0 {
		t.Fatal(e)
	}
	raw, _ := json.Marshal(map[string]any{"access_token": token, "token_type": "Bearer"})
	markConnected(t, dir, store, "P", email, string(raw))
	return dir, store
}

func TestTokenFormatEnvQuotesForTheShell(t *testing.T) {
	tricky := `a'b"c$(x)` + "`y` z"
	dir, store := connectedFixture(t, tricky, "")
	out, errOut, code := runIn(t, dir, store, "", "token", "P", "--format", "env")
	if code != 0 || errOut != "" || out != `export ACCESS_TOKEN='a'\''b"c$(x)`+"`y` z'\n" {
		t.Fatalf("env: %q %q %d", out, errOut, code)
	}
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	got, err := exec.Command(sh, "-c", out+`printf %s "$ACCESS_TOKEN"`).Output()
	if err != nil || string(got) != tricky {
		t.Errorf("the shell read back %q (%v), want %q", got, err, tricky)
	}
}

func TestTokenFormatXOAUTH2(t *testing.T) {
	dir, store := connectedFixture(t, "ya29.token", "signed-in@example.com")
	decode := func(out string) string {
		b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(out))
		if err != nil {
			t.Fatalf("not base64: %q", out)
		}
		return string(b)
	}
	out, errOut, code := runIn(t, dir, store, "", "token", "P", "--format", "xoauth2", "--user", "me@example.com")
	if code != 0 || errOut != "" || decode(out) != "user=me@example.com\x01auth=Bearer ya29.token\x01\x01" {
		t.Fatalf("xoauth2: %q %q %d", out, errOut, code)
	}
	// Without --user, the signed-in address.
	out, _, _ = runIn(t, dir, store, "", "token", "P", "--format", "xoauth2")
	if decode(out) != "user=signed-in@example.com\x01auth=Bearer ya29.token\x01\x01" {
		t.Errorf("default user: %q", decode(out))
	}
	for _, args := range [][]string{
		{"token", "P", "--user", "me@example.com"},
		{"token", "P", "--format", "xoauth2", "--id-token"},
		{"token", "P", "--format", "xoauth2", "--user", "a\x01b"},
	} {
		if _, errOut, code := runIn(t, dir, store, "", args...); code != ExitUsage || strings.Count(errOut, "\n") != 1 {
			t.Errorf("%q: %d %q", args, code, errOut)
		}
	}
	dir2, store2 := connectedFixture(t, "t", "")
	if _, errOut, code := runIn(t, dir2, store2, "", "token", "P", "--format", "xoauth2"); code != ExitUsage || !strings.Contains(errOut, "--user") {
		t.Errorf("no address known: %d %q", code, errOut)
	}
}

func TestExecPassesTokenAndStatus(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh")
	}
	dir, store := connectedFixture(t, "tok-123", "")
	out, errOut, code := runIn(t, dir, store, "in", "exec", "P", "--", "sh", "-c", `read line; echo "$line:$ACCESS_TOKEN"; echo err >&2; exit 7`)
	if code != 7 || out != "in:tok-123\n" || errOut != "err\n" {
		t.Fatalf("exec: %q %q %d", out, errOut, code)
	}
	if _, errOut, code := runIn(t, dir, store, "", "exec", "P", "--", "sh", "-c", "kill -TERM $$"); code != 128+15 || errOut != "" {
		t.Errorf("killed by SIGTERM: %d %q", code, errOut)
	}
	if _, errOut, code := runIn(t, dir, store, "", "exec", "P", "--", "no-such-command-xyz"); code != 127 || !strings.Contains(errOut, "no-such-command-xyz") || strings.Count(errOut, "\n") != 1 {
		t.Errorf("missing command: %d %q", code, errOut)
	}
	for _, args := range [][]string{{"exec", "P", "sh"}, {"exec", "P", "--"}, {"exec", "--", "sh"}} {
		if _, _, code := runIn(t, dir, store, "", args...); code != ExitUsage {
			t.Errorf("%q: exit %d", args, code)
		}
	}
	// Not connected: the token's own error and exit code, and the command never runs.
	marker := filepath.Join(t.TempDir(), "ran")
	runIn(t, dir, store, "", "add", "Q", "--client-id", "c", "--auth-url", "https://p.example/a", "--token-url", "https://p.example/t")
	if _, errOut, code := runIn(t, dir, store, "", "exec", "Q", "--", "touch", marker); code != ExitReauth || !strings.Contains(errOut, "not connected") {
		t.Errorf("not connected: %d %q", code, errOut)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Error("the command ran without a token")
	}
}

func TestGitCredentialHelper(t *testing.T) {
	dir, store := connectedFixture(t, "glpat-token", "")
	// git-credential answers only for the app's git hosts (before issue 8: for any host).
	if _, e, code := runIn(t, dir, store, "", "edit", "P", "--git-host", "gitlab.example", "--git-host", "github.com", "--git-host", "x"); code != 0 {
		t.Fatal(e)
	}
	out, errOut, code := runIn(t, dir, store, "protocol=https\nhost=gitlab.example\n\n", "git-credential", "P", "get")
	if code != 0 || errOut != "" || out != "username=oauth2\npassword=glpat-token\n" {
		t.Fatalf("get: %q %q %d", out, errOut, code)
	}
	out, _, _ = runIn(t, dir, store, "protocol=https\nhost=github.com\n", "git-credential", "P", "--username", "x-access-token", "get")
	if !strings.HasPrefix(out, "username=x-access-token\n") {
		t.Errorf("--username: %q", out)
	}
	for _, action := range []string{"store", "erase", "capability"} {
		if out, errOut, code := runIn(t, dir, store, "protocol=https\nhost=x\nusername=oauth2\npassword=glpat-token\n\n", "git-credential", "P", action); code != 0 || out != "" || errOut != "" {
			t.Errorf("%s: %q %q %d", action, out, errOut, code)
		}
	}
	if out, errOut, code := runIn(t, dir, store, "protocol=http\nhost=x\n\n", "git-credential", "P", "get"); code != ExitFailure || out != "" || !strings.Contains(errOut, "http://") {
		t.Errorf("plain http: %q %q %d", out, errOut, code)
	}
}

func TestPresetsAndPresetFlags(t *testing.T) {
	dir, store := configDir(t), secret.NewMemoryStore()
	out, _, code := runIn(t, dir, store, "", "presets")
	for _, id := range []string{"google", "microsoft", "github", "gitlab", "frappe", "keycloak", "okta", "auth0", "generic-oidc", "generic-oauth2"} {
		if !strings.Contains(out, id) {
			t.Errorf("presets lacks %s", id)
		}
	}
	if code != 0 || !strings.Contains(out, "--site --realm") || !strings.Contains(out, "--tenant (default common)") {
		t.Errorf("presets: %d\n%s", code, out)
	}
	if out, _, code := runIn(t, dir, store, "", "presets", "frappe"); code != 0 || !strings.Contains(out, "Quirk: ") || !strings.Contains(out, "--site") {
		t.Errorf("presets frappe: %d\n%s", code, out)
	}
	out, errOut, code := runIn(t, dir, store, "", "add", "ERP", "--preset", "frappe", "--site", "https://erp.example.com", "--client-id", "c", "--scope", "all openid")
	if code != 0 || errOut != "" || !strings.Contains(out, "Register the client at: https://erp.example.com/app/oauth-client/new") {
		t.Fatalf("add --preset: %d %q\n%s", code, errOut, out)
	}
	out, _, _ = runIn(t, dir, store, "", "show", "ERP", "--json")
	var doc map[string]any
	_ = json.Unmarshal([]byte(out), &doc)
	if doc["token_uri"] != "https://erp.example.com/api/method/frappe.integrations.oauth2.get_token" || doc["preset"] != "frappe" || doc["scopes"].([]any)[1] != "openid" {
		t.Errorf("document from the preset with --scope on top: %v", doc)
	}
	for args, want := range map[string]struct {
		code int
		word string
	}{
		"add K --preset keycloak --client-id c --site https://sso.example.com": {ExitFailure, "--realm"},
		"add K --preset okta --client-id c --tenant x":                         {ExitFailure, "--tenant"},
		"add K --tenant x --client-id c":                                       {ExitUsage, "--preset"},
		"add K --preset nope --client-id c":                                    {ExitFailure, "no preset"},
	} {
		if _, errOut, code := runIn(t, dir, store, "", strings.Fields(args)...); code != want.code || !strings.Contains(errOut, want.word) || strings.Count(errOut, "\n") != 1 {
			t.Errorf("%s: %d %q", args, code, errOut)
		}
	}
}

func TestGrantFlag(t *testing.T) {
	dir, store := configDir(t), secret.NewMemoryStore()
	if _, errOut, code := runIn(t, dir, store, "", "add", "M", "--grant", "client_credentials", "--client-id", "c", "--token-url", "https://p.example/t"); code != ExitFailure || !strings.Contains(errOut, "--client-secret-stdin") {
		t.Errorf("client credentials without a secret: %d %q", code, errOut)
	}
	out, errOut, code := runIn(t, dir, store, "s3cret", "add", "M", "--grant", "client_credentials", "--client-id", "c", "--token-url", "https://p.example/t", "--client-secret-stdin")
	if code != 0 || errOut != "" || strings.Contains(out, "Redirect URI") {
		t.Errorf("client credentials: %d %q\n%s", code, errOut, out)
	}
	if _, errOut, code := runIn(t, dir, store, "", "add", "D", "--grant", "device_code", "--client-id", "c", "--token-url", "https://p.example/t"); code != ExitFailure || !strings.Contains(errOut, "--device-url") {
		t.Errorf("device without a device URI: %d %q", code, errOut)
	}
	if _, errOut, code := runIn(t, dir, store, "", "add", "X", "--grant", "password", "--client-id", "c", "--auth-url", "https://p.example/a", "--token-url", "https://p.example/t"); code != ExitFailure || !strings.Contains(errOut, "--grant") {
		t.Errorf("unknown grant: %d %q", code, errOut)
	}
	if _, errOut, code := runIn(t, dir, store, "", "connect", "M", "--device"); code != ExitUsage || !strings.Contains(errOut, "client credentials") {
		t.Errorf("connect --device on a client credentials app: %d %q", code, errOut)
	}
}

func TestImportAndExportCommands(t *testing.T) {
	dir, store := configDir(t), secret.NewMemoryStore()
	file := filepath.Join(t.TempDir(), "client_secret_1234.json")
	google := `{"installed":{"client_id":"1234.apps.googleusercontent.com","client_secret":"GOCSPX-cli-secret","auth_uri":"https://accounts.google.com/o/oauth2/auth","token_uri":"https://oauth2.googleapis.com/token","redirect_uris":["http://localhost","urn:ietf:wg:oauth:2.0:oob"]}}`
	if err := os.WriteFile(file, []byte(google), 0o600); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := runIn(t, dir, store, "", "import", file)
	if code != 0 || errOut != "" || !strings.Contains(out, "Imported Google.") || !strings.Contains(out, "Redirect URI: http://localhost/callback/google (any port)") ||
		!strings.Contains(out, "Note: redirect URI urn:ietf:wg:oauth:2.0:oob is not usable by a desktop app") || strings.Contains(out, "GOCSPX") {
		t.Fatalf("import: %d %q\n%s", code, errOut, out)
	}
	if _, errOut, code := runIn(t, dir, store, "", "import", file); code != ExitFailure || !strings.Contains(errOut, "--as") {
		t.Errorf("taken name: %d %q", code, errOut)
	}
	if out, _, code := runIn(t, dir, store, google, "import", "-", "--as", "Google 2"); code != 0 || !strings.Contains(out, "Imported Google 2.") {
		t.Errorf("stdin with --as: %d\n%s", code, out)
	}
	if _, errOut, code := runIn(t, dir, store, "", "import", filepath.Join(t.TempDir(), "missing.json")); code != ExitFailure || !strings.Contains(errOut, "no such file") {
		t.Errorf("missing file: %d %q", code, errOut)
	}
	out, errOut, code = runIn(t, dir, store, "", "export", "google 2")
	var docs []map[string]any
	if code != 0 || errOut != "" || json.Unmarshal([]byte(out), &docs) != nil || len(docs) != 1 || docs[0]["provider_name"] != "Google 2" || strings.Contains(out, "GOCSPX") || strings.Contains(out, `"client_secret"`) {
		t.Errorf("export: %d %q\n%s", code, errOut, out)
	}
	if out, _, _ := runIn(t, dir, store, "", "export"); json.Unmarshal([]byte(out), &docs) != nil || len(docs) != 2 {
		t.Errorf("export all: %s", out)
	}
}

// The attack: a remote on another host (a hostile submodule, a typo, a global helper line)
// asks for the token. It gets nothing on stdout, so git goes on to its next helper.
func TestGitCredentialAnswersOnlyForTheAppsGitHosts(t *testing.T) {
	dir, store := connectedFixture(t, "gho-token", "")
	get := func(host string) (string, string, int) {
		return runIn(t, dir, store, "protocol=https\nhost="+host+"\npath=me/repo.git\n\n", "git-credential", "P", "get")
	}
	// No git hosts at all: nothing for anyone.
	out, errOut, code := get("github.com")
	if code != 0 || out != "" || strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, "P has no git hosts") ||
		!strings.Contains(errOut, "connectedapps edit P --git-host github.com") {
		t.Fatalf("no git hosts: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if _, e, code := runIn(t, dir, store, "", "edit", "P", "--git-host", "GitHub.com", "--git-host", "git.example:8443"); code != 0 {
		t.Fatal(e)
	}
	show, _, _ := runIn(t, dir, store, "", "show", "P")
	if !strings.Contains(show, "Git hosts:") || !strings.Contains(show, "github.com git.example:8443") {
		t.Errorf("show: %s", show)
	}
	out, errOut, code = get("evil.example")
	if code != 0 || out != "" || strings.Contains(errOut, "gho-token") || strings.Count(errOut, "\n") != 1 ||
		!strings.Contains(errOut, "P has no git host evil.example (only github.com, git.example:8443)") ||
		!strings.Contains(errOut, "connectedapps edit P --git-host github.com --git-host git.example:8443 --git-host evil.example") {
		t.Fatalf("other host: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	// A host named with an escape sequence is named cleaned.
	if _, errOut, _ := get("evil\x1b]0;x\x07.example"); strings.ContainsAny(errOut, "\x1b\x07") {
		t.Errorf("the host reached stderr raw: %q", errOut)
	}
	for _, host := range []string{"github.com:443x", "github.com.evil.example", "git.example", "git.example:8444", ""} {
		if out, _, code := get(host); out != "" || code != 0 {
			t.Errorf("host %q: exit %d, stdout %q", host, code, out)
		}
	}
	// The hosts it has, whatever their case.
	for _, host := range []string{"github.com", "GITHUB.COM", "git.example:8443"} {
		if out, errOut, code := get(host); code != 0 || errOut != "" || out != "username=oauth2\npassword=gho-token\n" {
			t.Errorf("host %q: exit %d, stdout %q, stderr %q", host, code, out, errOut)
		}
	}
	// edit replaces the list; --git-host "" empties it.
	if _, e, code := runIn(t, dir, store, "", "edit", "P", "--git-host", ""); code != 0 {
		t.Fatal(e)
	}
	if out, _, _ := get("github.com"); out != "" {
		t.Errorf("after emptying the list: %q", out)
	}
	// What is not a host is refused when saved, naming the flag.
	for _, bad := range []string{"https://github.com", "github.com/me", "user@github.com", "github.com:99999", "::1", "[nothost]:80"} {
		if _, errOut, code := runIn(t, dir, store, "", "edit", "P", "--git-host", bad); code == 0 || !strings.Contains(errOut, "--git-host") {
			t.Errorf("--git-host %q: exit %d %q", bad, code, errOut)
		}
	}
}

// A token with a line break would let the provider write lines of its own into git's answer
// (another username, a password for another host): it is never written.
func TestGitCredentialNeverWritesATokenWithALineBreak(t *testing.T) {
	for _, token := range []string{"abc\nusername=attacker", "abc\rdef", "abc\x00def"} {
		dir, store := connectedFixture(t, token, "")
		if _, e, code := runIn(t, dir, store, "", "edit", "P", "--git-host", "github.com"); code != 0 {
			t.Fatal(e)
		}
		out, errOut, code := runIn(t, dir, store, "protocol=https\nhost=github.com\n\n", "git-credential", "P", "get")
		if code == 0 || out != "" || strings.Contains(errOut, "abc") || !strings.Contains(errOut, "line break or NUL") {
			t.Errorf("token %q: exit %d, stdout %q, stderr %q", token, code, out, errOut)
		}
	}
	dir, store := connectedFixture(t, "tok", "")
	runIn(t, dir, store, "", "edit", "P", "--git-host", "github.com")
	if out, _, code := runIn(t, dir, store, "protocol=https\nhost=github.com\n\n", "git-credential", "P", "--username", "a\npassword=x", "get"); code != ExitUsage || out != "" {
		t.Errorf("--username with a line break: exit %d %q", code, out)
	}
}

func TestTokenFormatOAUTHBEARER(t *testing.T) {
	dir, store := connectedFixture(t, "ya29.token", "signed-in@example.com")
	decode := func(out string) string {
		t.Helper()
		b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(out))
		if err != nil || strings.Count(out, "\n") != 1 {
			t.Fatalf("not one line of base64: %q", out)
		}
		return string(b)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		// RFC 7628 section 4.1's example, with this token.
		{[]string{"--user", "user@example.com", "--host", "server.example.com", "--port", "143"},
			"n,a=user@example.com,\x01host=server.example.com\x01port=143\x01auth=Bearer ya29.token\x01\x01"},
		// Without --user, the signed-in address; host and port only when given.
		{nil, "n,a=signed-in@example.com,\x01auth=Bearer ya29.token\x01\x01"},
		{[]string{"--host", "imap.example.com"}, "n,a=signed-in@example.com,\x01host=imap.example.com\x01auth=Bearer ya29.token\x01\x01"},
		{[]string{"--port", "587"}, "n,a=signed-in@example.com,\x01port=587\x01auth=Bearer ya29.token\x01\x01"},
		// A saslname writes "," as =2C and "=" as =3D (RFC 5801), so the user cannot end the
		// GS2 header early or forge an escape of its own.
		{[]string{"--user", "a,b=c=2C@example.com"}, "n,a=a=2Cb=3Dc=3D2C@example.com,\x01auth=Bearer ya29.token\x01\x01"},
		{[]string{"--user", "jörg@exämple.de"}, "n,a=jörg@exämple.de,\x01auth=Bearer ya29.token\x01\x01"},
	} {
		out, errOut, code := runIn(t, dir, store, "", append([]string{"token", "P", "--format", "oauthbearer"}, c.args...)...)
		if code != 0 || errOut != "" {
			t.Fatalf("%q: exit %d %q", c.args, code, errOut)
		}
		if got := decode(out); got != c.want {
			t.Errorf("%q:\n got %q\nwant %q", c.args, got, c.want)
		}
	}
	for _, args := range [][]string{
		{"--format", "oauthbearer", "--id-token"},
		{"--format", "oauthbearer", "--user", "a\x01b"},
		{"--format", "oauthbearer", "--user", " "},
		{"--format", "oauthbearer", "--user", "a\xffb"},
		{"--format", "oauthbearer", "--host", "a\x01port=1"},
		{"--format", "oauthbearer", "--host", "a b"},
		{"--format", "oauthbearer", "--port", "0"},
		{"--format", "oauthbearer", "--port", "65536"},
		{"--format", "oauthbearer", "--port", "x"},
		{"--format", "xoauth2", "--host", "imap.example.com"},
		{"--host", "imap.example.com"},
		{"--port", "993"},
		{"--format", "bare", "--user", "me@example.com"},
	} {
		if out, errOut, code := runIn(t, dir, store, "", append([]string{"token", "P"}, args...)...); code != ExitUsage || out != "" || strings.Count(errOut, "\n") != 1 {
			t.Errorf("%q: exit %d, stdout %q, stderr %q", args, code, out, errOut)
		}
	}
	dir2, store2 := connectedFixture(t, "t", "")
	if _, errOut, code := runIn(t, dir2, store2, "", "token", "P", "--format", "oauthbearer"); code != ExitUsage || !strings.Contains(errOut, "--format oauthbearer needs --user") {
		t.Errorf("no address known: %d %q", code, errOut)
	}
	// A token with ^A (or another control character) would add key=value pairs of the
	// provider's own making: it is never written, and never shown.
	for _, token := range []string{"abc\x01host=evil\x01", "abc\ndef", "abc\x7f"} {
		dir, store := connectedFixture(t, token, "me@example.com")
		if out, errOut, code := runIn(t, dir, store, "", "token", "P", "--format", "oauthbearer"); code != ExitFailure || out != "" || strings.Contains(errOut, "abc") ||
			!strings.Contains(errOut, "control character") || !strings.Contains(errOut, "connectedapps connect P") || strings.Count(errOut, "\n") != 1 {
			t.Errorf("token %q: exit %d, stdout %q, stderr %q", token, code, out, errOut)
		}
	}
	if help, _, _ := runIn(t, dir, store, "", "help", "token"); !strings.Contains(help, "--format oauthbearer") || !strings.Contains(help, "--host HOST --port N") ||
		!strings.Contains(help, "--format kube") || !strings.Contains(help, "--kube-token id|access") {
		t.Errorf("help token does not describe oauthbearer:\n%s", help)
	}
}

// tokensFixture registers P as connected and stores tokens as they are kept in the keyring.
func tokensFixture(t *testing.T, tokens map[string]any) (dir string, store *secret.MemoryStore) {
	t.Helper()
	dir, store = connectedFixture(t, "unused", "")
	svc, _ := core.NewService(core.Config{Dir: dir, Secrets: store})
	app, _ := svc.Get("P")
	raw, _ := json.Marshal(tokens)
	_ = store.Set(anonymousTokensKey(app.ID), string(raw))
	return dir, store
}

// unsignedJWT is a JWT-shaped token with these claims: the kube format reads only its exp.
func unsignedJWT(claims map[string]any) string {
	enc := func(v any) string {
		b, _ := json.Marshal(v)
		return base64.RawURLEncoding.EncodeToString(b)
	}
	return enc(map[string]string{"alg": "RS256", "typ": "JWT"}) + "." + enc(claims) + ".c2lnbmF0dXJl"
}

// decodeExecCredential decodes strictly: an unknown or misspelled field fails, as it would
// in client-go's decoder for the published type.
func decodeExecCredential(t *testing.T, out string) execCredential {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(out))
	dec.DisallowUnknownFields()
	var cred execCredential
	if err := dec.Decode(&cred); err != nil {
		t.Fatalf("not an ExecCredential: %v\n%s", err, out)
	}
	return cred
}

func TestTokenFormatKube(t *testing.T) {
	idExp := time.Now().Add(50 * time.Minute).Truncate(time.Second).UTC()
	accessExp := time.Now().Add(30 * time.Minute).Truncate(time.Second).UTC()
	idToken := unsignedJWT(map[string]any{"iss": "https://p.example", "sub": "u1", "aud": "c", "exp": idExp.Unix()})
	dir, store := tokensFixture(t, map[string]any{"access_token": "acc-1", "token_type": "Bearer", "id_token": idToken, "expires_at": accessExp})

	out, errOut, code := runIn(t, dir, store, "", "token", "P", "--format", "kube")
	if code != 0 || errOut != "" {
		t.Fatalf("kube: exit %d %q", code, errOut)
	}
	cred := decodeExecCredential(t, out)
	if cred.APIVersion != "client.authentication.k8s.io/v1" || cred.Kind != "ExecCredential" || cred.Status.Token != idToken ||
		cred.Status.ExpirationTimestamp != idExp.Format(time.RFC3339) {
		t.Errorf("the ID token's credential: %+v", cred)
	}
	var generic map[string]any
	_ = json.Unmarshal([]byte(out), &generic)
	if len(generic) != 3 || len(generic["status"].(map[string]any)) != 2 {
		t.Errorf("fields beyond apiVersion, kind and status{token, expirationTimestamp}: %s", out)
	}
	out, errOut, code = runIn(t, dir, store, "", "token", "P", "--format", "kube", "--kube-token", "access")
	if cred := decodeExecCredential(t, out); code != 0 || errOut != "" || cred.Status.Token != "acc-1" || cred.Status.ExpirationTimestamp != accessExp.Format(time.RFC3339) {
		t.Errorf("--kube-token access: exit %d %q %+v", code, errOut, cred)
	}
	// kubectl names the version it asked for in $KUBERNETES_EXEC_INFO.
	v1 := `{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","spec":{"interactive":false}}`
	if out, errOut, code := runWithEnv(t, dir, store, map[string]string{"KUBERNETES_EXEC_INFO": v1}, "token", "P", "--format", "kube"); code != 0 || errOut != "" || decodeExecCredential(t, out).Status.Token != idToken {
		t.Errorf("asked for v1: exit %d %q", code, errOut)
	}
	beta := `{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1beta1","spec":{}}`
	if out, errOut, code := runWithEnv(t, dir, store, map[string]string{"KUBERNETES_EXEC_INFO": beta}, "token", "P", "--format", "kube"); code != ExitFailure || out != "" ||
		!strings.Contains(errOut, "apiVersion: client.authentication.k8s.io/v1") || strings.Count(errOut, "\n") != 1 {
		t.Errorf("asked for v1beta1: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	for _, args := range [][]string{
		{"--format", "kube", "--kube-token", "refresh"},
		{"--format", "kube", "--id-token"},
		{"--format", "bare", "--kube-token", "access"},
		{"--kube-token", "id"},
		{"--format", "kube", "--user", "me@example.com"},
	} {
		if out, errOut, code := runIn(t, dir, store, "", append([]string{"token", "P"}, args...)...); code != ExitUsage || out != "" || strings.Count(errOut, "\n") != 1 {
			t.Errorf("%q: exit %d, stdout %q, stderr %q", args, code, out, errOut)
		}
	}

	// No ID token held: one line naming the app and what to do, and nothing on stdout.
	dir2, store2 := tokensFixture(t, map[string]any{"access_token": "acc-2", "token_type": "Bearer"})
	out, errOut, code = runIn(t, dir2, store2, "", "token", "P", "--format", "kube")
	if code != ExitFailure || out != "" || strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, "P holds no ID token") ||
		!strings.Contains(errOut, "openid") || !strings.Contains(errOut, "connectedapps connect P") || !strings.Contains(errOut, "--kube-token access") {
		t.Errorf("no ID token: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	// An access token that is not a JWT and has no expiry: no expirationTimestamp (kubectl then
	// uses it until the API server refuses it).
	out, _, _ = runIn(t, dir2, store2, "", "token", "P", "--format", "kube", "--kube-token", "access")
	if cred := decodeExecCredential(t, out); cred.Status.Token != "acc-2" || cred.Status.ExpirationTimestamp != "" || strings.Contains(out, "expirationTimestamp") {
		t.Errorf("no expiry known: %s", out)
	}

	// An ID token that has run out is never handed over: without a refresh token, sign in again.
	expired := unsignedJWT(map[string]any{"sub": "u1", "exp": time.Now().Add(-time.Minute).Unix()})
	dir3, store3 := tokensFixture(t, map[string]any{"access_token": "acc-3", "id_token": expired, "expires_at": accessExp})
	if out, errOut, code := runIn(t, dir3, store3, "", "token", "P", "--format", "kube"); code != ExitReauth || out != "" || strings.Contains(errOut, expired) ||
		!strings.Contains(errOut, "ID token has run out") || !strings.Contains(errOut, "connectedapps connect P") || strings.Count(errOut, "\n") != 1 {
		t.Errorf("expired ID token, no refresh token: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

// A refresh that brings no new ID token (many providers renew it only at sign-in) leaves the
// expired one: kube refuses it in one line instead of handing kubectl a dead credential.
func TestTokenFormatKubeRefreshBringsNoIDToken(t *testing.T) {
	var refreshes atomic.Int32
	tokenEndpoint := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		refreshes.Add(1)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"access_token":"acc-new","token_type":"Bearer","expires_in":3600,"refresh_token":"ref-2"}`)
	}))
	defer tokenEndpoint.Close()
	dir, store := configDir(t), secret.NewMemoryStore()
	if _, e, code := runIn(t, dir, store, "", "add", "P", "--client-id", "c", "--auth-url", "https://p.example/a", "--token-url", tokenEndpoint.URL+"/token"); code != 0 {
		t.Fatal(e)
	}
	svc, _ := core.NewService(core.Config{Dir: dir, Secrets: store})
	app, _ := svc.Get("P")
	if err := svc.Registry.UpdateApp(app.ID, func(a *core.App) error {
		a.SetConnection(&core.Connection{State: core.StateConnected})
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	expired := unsignedJWT(map[string]any{"sub": "u1", "exp": time.Now().Add(-time.Minute).Unix()})
	raw, _ := json.Marshal(map[string]any{"access_token": "acc-1", "refresh_token": "ref-1", "id_token": expired, "expires_at": time.Now().Add(time.Hour).UTC()})
	_ = store.Set(anonymousTokensKey(app.ID), string(raw))

	out, errOut, code := runIn(t, dir, store, "", "token", "P", "--format", "kube")
	if code != ExitReauth || out != "" || refreshes.Load() != 1 || strings.Contains(errOut, expired) || strings.Count(errOut, "\n") != 1 ||
		!strings.Contains(errOut, "a refresh brought no new one") || !strings.Contains(errOut, "--kube-token access") {
		t.Errorf("exit %d, %d refreshes, stdout %q, stderr %q", code, refreshes.Load(), out, errOut)
	}
	// The refresh itself was kept: the rotated refresh token is not lost.
	if kept, _ := store.Get(anonymousTokensKey(app.ID)); !strings.Contains(kept, "ref-2") || !strings.Contains(kept, "acc-new") {
		t.Errorf("the refreshed tokens were not kept: %s", kept)
	}
}

func TestJWTExpiry(t *testing.T) {
	at := time.Unix(1767225600, 0).UTC()
	for raw, want := range map[string]bool{
		unsignedJWT(map[string]any{"exp": at.Unix()}):    true,
		unsignedJWT(map[string]any{"exp": 1767225600.0}): true,
		unsignedJWT(map[string]any{"sub": "no exp"}):     false,
		unsignedJWT(map[string]any{"exp": "soon"}):       false,
		"opaque-token": false,
		"a.!!!.c":      false,
	} {
		got, ok := jwtExpiry(raw)
		if ok != want || (ok && !got.Equal(at)) {
			t.Errorf("%s: %v %v", raw, got, ok)
		}
	}
}
