package e2e

import (
	"bufio"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"net/smtp"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// smtpServer is a loopback SMTP server that accepts AUTH XOAUTH2 only with the expected
// user and access token, as Gmail and Outlook do.
type smtpServer struct {
	addr      string
	user      string
	token     string
	mu        sync.Mutex
	responses []string // what it answered to each AUTH
}

func startSMTPServer(t *testing.T, user, token string) *smtpServer {
	t.Helper()
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	s := &smtpServer{addr: l.Addr().String(), user: user, token: token}
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			go s.serve(conn)
		}
	}()
	return s
}

func (s *smtpServer) serve(conn net.Conn) {
	defer conn.Close()
	r := bufio.NewReader(conn)
	reply := func(line string) { fmt.Fprintf(conn, "%s\r\n", line) }
	reply("220 mail.test ESMTP")
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		cmd := strings.TrimRight(line, "\r\n")
		switch verb := strings.ToUpper(strings.Fields(cmd + " x")[0]); verb {
		case "EHLO", "HELO":
			reply("250-mail.test")
			reply("250 AUTH XOAUTH2")
		case "AUTH":
			fields := strings.Fields(cmd)
			answer := "535 5.7.8 Username and Password not accepted"
			if len(fields) == 3 && fields[1] == "XOAUTH2" {
				raw, err := base64.StdEncoding.DecodeString(fields[2])
				if err == nil && string(raw) == "user="+s.user+"\x01auth=Bearer "+s.token+"\x01\x01" {
					answer = "235 2.7.0 Accepted"
				}
			}
			s.mu.Lock()
			s.responses = append(s.responses, answer)
			s.mu.Unlock()
			reply(answer)
		case "QUIT":
			reply("221 2.0.0 Bye")
			return
		default:
			reply("502 5.5.2 Not implemented here")
		}
	}
}

// xoauth2Auth sends the string `connectedapps token --format xoauth2` printed, as a mail
// client given it would (net/smtp base64-encodes the initial response itself).
type xoauth2Auth struct{ initial []byte }

func (a xoauth2Auth) Start(*smtp.ServerInfo) (string, []byte, error) {
	return "XOAUTH2", a.initial, nil
}
func (a xoauth2Auth) Next([]byte, bool) ([]byte, error) { return nil, nil }

func TestXOAUTH2StringAgainstAnSMTPServer(t *testing.T) {
	u := newUser(t)
	app := u.addNative("Mail")
	u.ok("", "connect", "Mail")
	tokens, _ := storedTokens(t, app.ID)
	const mailbox = "test-user@zitadel.ch"
	srv := startSMTPServer(t, mailbox, tokens.AccessToken)

	login := func(args ...string) error {
		t.Helper()
		out := strings.TrimSpace(u.ok("", append([]string{"token", "Mail", "--format", "xoauth2"}, args...)...))
		raw, err := base64.StdEncoding.DecodeString(out)
		if err != nil {
			t.Fatalf("not base64: %q", out)
		}
		c, err := smtp.Dial(srv.addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if err := c.Hello("client.test"); err != nil {
			t.Fatal(err)
		}
		err = c.Auth(xoauth2Auth{raw})
		_ = c.Quit()
		return err
	}
	if err := login("--user", mailbox); err != nil {
		t.Fatalf("AUTH XOAUTH2 with --user: %v", err)
	}
	// Without --user, the address the person signed in with.
	if err := login(); err != nil {
		t.Fatalf("AUTH XOAUTH2 with the signed-in address: %v", err)
	}
	if err := login("--user", "someone-else@example.com"); err == nil {
		t.Fatal("the server accepted another mailbox: the test proves nothing")
	}
}

// The README's curl recipes, against a loopback server that wants the bearer token and, while
// curl is connected, reads every process's command line as another local user could
// (/proc/PID/cmdline is world-readable): the token must reach the server and no argv.
func TestCurlRecipes(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("curl is not installed (make test installs it)")
	}
	u := newUser(t)
	app := u.addNative("Api")
	u.ok("", "connect", "Api")
	tokens, _ := storedTokens(t, app.ID)
	var mu sync.Mutex
	var seen, leaked []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, r.Header.Get("Authorization"))
		leaked = append(leaked, processesShowing(tokens.AccessToken)...)
		if r.Header.Get("Authorization") != "Bearer "+tokens.AccessToken {
			http.Error(w, "no bearer", http.StatusUnauthorized)
			return
		}
		fmt.Fprint(w, `{"sub":"id1"}`)
	}))
	defer srv.Close()
	for name, script := range map[string]string{
		"header": `"$BIN" token Api --format header | curl -sf -H @- "$URL"`,
		"env":    `eval "$("$BIN" token Api --format env)" && printf 'Authorization: Bearer %s\n' "$ACCESS_TOKEN" | curl -sf -H @- "$URL"`,
		"exec":   `"$BIN" exec Api -- sh -c 'printf "Authorization: Bearer %s\n" "$ACCESS_TOKEN" | curl -sf -H @- "$URL"'`,
	} {
		mu.Lock()
		seen, leaked = nil, nil
		mu.Unlock()
		cmd := exec.Command("sh", "-c", script)
		cmd.Env = append(u.env, "BIN="+bin, "URL="+srv.URL+"/")
		out, err := cmd.Output()
		mu.Lock()
		if err != nil || string(out) != `{"sub":"id1"}` || len(seen) != 1 || seen[0] != "Bearer "+tokens.AccessToken {
			t.Errorf("%s recipe: %v %q, the server saw %q", name, err, out, seen)
		}
		if len(leaked) > 0 {
			t.Errorf("%s recipe: the token is on the command line of %v", name, leaked)
		}
		mu.Unlock()
	}
	// The check sees a token that is in an argv, so its silence above means something.
	probe := exec.Command("sh", "-c", `curl -sf -H "Authorization: Bearer $0" "$URL" >/dev/null`, tokens.AccessToken)
	probe.Env = append(u.env, "URL="+srv.URL+"/")
	_ = probe.Run()
	mu.Lock()
	defer mu.Unlock()
	if len(leaked) == 0 {
		t.Fatal("a curl with the token in its argv went unseen: the leak check proves nothing")
	}
}

// processesShowing lists the processes whose command line holds secret, as any local user
// reading /proc would find them.
func processesShowing(secret string) []string {
	var found []string
	dirs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range dirs {
		b, err := os.ReadFile(p)
		if err == nil && strings.Contains(string(b), secret) {
			found = append(found, strings.ReplaceAll(strings.ReplaceAll(string(b), secret, "TOKEN"), "\x00", " "))
		}
	}
	return found
}

func TestExecPassesTheTokenAndTheExitStatus(t *testing.T) {
	u := newUser(t)
	app := u.addNative("Script")
	u.ok("", "connect", "Script")
	tokens, _ := storedTokens(t, app.ID)
	r := u.run("from stdin\n", "exec", "Script", "--", "sh", "-c", `read line; echo "$line"; echo "token=$ACCESS_TOKEN"; echo to-stderr >&2; exit 42`)
	if r.code != 42 || r.stdout != "from stdin\ntoken="+tokens.AccessToken+"\n" || r.stderr != "to-stderr\n" {
		t.Fatalf("exec: exit %d\nstdout %q\nstderr %q", r.code, r.stdout, r.stderr)
	}
	// An ACCESS_TOKEN already in the environment is replaced, not duplicated.
	r = u.with("ACCESS_TOKEN=stale").run("", "exec", "Script", "--", "sh", "-c", `env | grep -c '^ACCESS_TOKEN=' ; test "$ACCESS_TOKEN" != stale`)
	if r.code != 0 || r.stdout != "1\n" {
		t.Fatalf("stale ACCESS_TOKEN: exit %d %q %q", r.code, r.stdout, r.stderr)
	}
	// A stale stored token is refreshed first.
	expireStoredToken(t, app.ID)
	r = u.run("", "exec", "Script", "--", "sh", "-c", `printf %s "$ACCESS_TOKEN"`)
	if now, _ := storedTokens(t, app.ID); r.code != 0 || r.stdout != now.AccessToken || now.AccessToken == tokens.AccessToken {
		t.Fatalf("exec after expiry: exit %d %q", r.code, r.stderr)
	}
	u.fails(127, "", []string{"exec", "Script", "--", "no-such-command-e2e"}, "no-such-command-e2e", "no such command")
	u.fails(2, "", []string{"exec", "Script", "sh"}, "--")
	u.addNative("Never")
	u.fails(3, "", []string{"exec", "Never", "--", "true"}, "not connected")
}

// git over HTTPS with the helper: a real `git clone` from a loopback HTTPS server that only
// serves the repository to user oauth2 with the current access token.
func TestGitCredentialHelperWithGit(t *testing.T) {
	gitBin, err := exec.LookPath("git")
	if err != nil {
		t.Skip("git is not installed")
	}
	execPath, err := exec.Command(gitBin, "--exec-path").Output()
	if err != nil {
		t.Fatal(err)
	}
	backend := filepath.Join(strings.TrimSpace(string(execPath)), "git-http-backend")
	if _, err := os.Stat(backend); err != nil {
		t.Skip("git-http-backend is not installed")
	}
	u := newUser(t)
	app := u.addNative("Forge")
	u.ok("", "connect", "Forge")
	tokens, _ := storedTokens(t, app.ID)

	home := t.TempDir()
	gitEnv := append(append([]string{}, u.env...), "HOME="+home, "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null",
		"GIT_TERMINAL_PROMPT=0", "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com")
	git := func(dir string, stdin string, args ...string) (string, error) {
		t.Helper()
		cmd := exec.Command(gitBin, args...)
		cmd.Dir, cmd.Env, cmd.Stdin = dir, gitEnv, strings.NewReader(stdin)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	// A repository with one commit, served bare.
	root, work := t.TempDir(), t.TempDir()
	for _, args := range [][]string{{"init", "-q", "-b", "main"}, {"commit", "-q", "--allow-empty", "-m", "first"}} {
		if out, err := git(work, "", args...); err != nil {
			t.Fatalf("git %v: %v %s", args, err, out)
		}
	}
	if err := os.WriteFile(filepath.Join(work, "README"), []byte("hello over https\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"add", "README"}, {"commit", "-q", "-m", "readme"}, {"clone", "-q", "--bare", work, filepath.Join(root, "repo.git")}} {
		if out, err := git(work, "", args...); err != nil {
			t.Fatalf("git %v: %v %s", args, err, out)
		}
	}
	var authorized, refused atomic.Int64
	serve := &cgi.Handler{Path: backend, Env: []string{"GIT_PROJECT_ROOT=" + root, "GIT_HTTP_EXPORT_ALL=1"}}
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, pass, ok := r.BasicAuth()
		if !ok || user != "oauth2" || pass != tokens.AccessToken {
			refused.Add(1)
			w.Header().Set("WWW-Authenticate", `Basic realm="forge"`)
			http.Error(w, "authentication required", http.StatusUnauthorized)
			return
		}
		authorized.Add(1)
		serve.ServeHTTP(w, r)
	}))
	defer srv.Close()
	// The helper answers only for the app's git hosts: this server, as git names it.
	forgeHost := strings.TrimPrefix(srv.URL, "https://")
	u.ok("", "edit", "Forge", "--git-host", "forge.example", "--git-host", forgeHost)

	helper := fmt.Sprintf("credential.helper=!'%s' git-credential Forge", bin)
	// git credential fill: what git asks the helper and what it gets back.
	out, err := git(home, "protocol=https\nhost=forge.example\npath=repo.git\n\n", "-c", "credential.helper=", "-c", helper, "credential", "fill")
	if err != nil || !strings.Contains(out, "username=oauth2\n") || !strings.Contains(out, "password="+tokens.AccessToken+"\n") {
		t.Fatalf("git credential fill: %v\n%s", err, out)
	}
	// A real clone over HTTPS.
	dest := filepath.Join(t.TempDir(), "clone")
	out, err = git(home, "", "-c", "credential.helper=", "-c", helper, "-c", "http.sslVerify=false", "clone", "-q", srv.URL+"/repo.git", dest)
	if err != nil {
		t.Fatalf("git clone: %v\n%s", err, out)
	}
	if b, err := os.ReadFile(filepath.Join(dest, "README")); err != nil || string(b) != "hello over https\n" {
		t.Fatalf("cloned README: %q %v", b, err)
	}
	if authorized.Load() == 0 || refused.Load() == 0 {
		t.Fatalf("the server saw the token %d times after asking for it %d times", authorized.Load(), refused.Load())
	}
	// The host-scoped line the README and the help give works the same.
	scoped := fmt.Sprintf("credential.https://%s.helper=!'%s' git-credential Forge", forgeHost, bin)
	dest2 := filepath.Join(t.TempDir(), "clone")
	if out, err := git(home, "", "-c", "credential.helper=", "-c", scoped, "-c", "http.sslVerify=false", "clone", "-q", srv.URL+"/repo.git", dest2); err != nil {
		t.Fatalf("git clone with the host-scoped helper: %v\n%s", err, out)
	}

	// The attack: with the helper set for every host, a remote elsewhere (a hostile
	// submodule, a typo) asks for credentials. Our helper answers nothing (git tries its
	// next helper, here none, and gives up), and that server never sees the token.
	var evilSaw atomic.Value
	evilSaw.Store("")
	evil := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, pass, ok := r.BasicAuth(); ok {
			evilSaw.Store(pass)
		}
		w.Header().Set("WWW-Authenticate", `Basic realm="evil"`)
		http.Error(w, "authentication required", http.StatusUnauthorized)
	}))
	defer evil.Close()
	out, err = git(home, "", "-c", "credential.helper=", "-c", helper, "-c", "http.sslVerify=false", "clone", "-q", evil.URL+"/repo.git", filepath.Join(t.TempDir(), "evil"))
	evilHost := strings.TrimPrefix(evil.URL, "https://")
	if err == nil || evilSaw.Load() != "" || strings.Contains(out, tokens.AccessToken) || !strings.Contains(out, "Forge has no git host "+evilHost) {
		t.Fatalf("git clone from another host: %v, the server saw %q\n%s", err, evilSaw.Load(), out)
	}

	// Never over plain http: the helper refuses, and git has no password to send.
	out, err = git(home, "protocol=http\nhost=forge.example\n\n", "-c", "credential.helper=", "-c", helper, "credential", "fill")
	if err == nil || strings.Contains(out, tokens.AccessToken) || !strings.Contains(out, "refusing to send") {
		t.Fatalf("git credential fill over http: %v\n%s", err, out)
	}
	// store and erase (git sends them after a success or a refusal) are accepted quietly.
	for _, action := range []string{"store", "erase"} {
		r := u.run("protocol=https\nhost=forge.example\nusername=oauth2\npassword="+tokens.AccessToken+"\n\n", "git-credential", "Forge", action)
		if r.code != 0 || r.stdout != "" || r.stderr != "" {
			t.Errorf("%s: exit %d %q %q", action, r.code, r.stdout, r.stderr)
		}
	}
}
