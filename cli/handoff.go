package cli

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unicode"
	"unicode/utf8"

	"connectedapps/core"
	"connectedapps/internal/desktop"
)

// exitError carries an exit code of its own: a command's status passed on by exec (msg
// empty: nothing is printed, the command has spoken for itself), or a failure with a
// conventional code (127: command not found, as env(1) and shells use).
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

// shellQuote quotes s for a POSIX shell: inside single quotes everything is literal, and a
// single quote itself is written as close-quote, backslash-quote, reopen.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// xoauth2 builds the SASL XOAUTH2 initial response Google and Microsoft take for IMAP and
// SMTP: base64("user=" USER ^A "auth=Bearer " TOKEN ^A ^A).
func xoauth2(user, token string) (string, error) {
	if strings.ContainsAny(user, "\x01\r\n") || strings.TrimSpace(user) == "" {
		return "", usagef("--user %q is not a mailbox address", user)
	}
	return base64.StdEncoding.EncodeToString([]byte("user=" + user + "\x01auth=Bearer " + token + "\x01\x01")), nil
}

// oauthBearer builds the SASL OAUTHBEARER initial client response of RFC 7628 section 3.1,
// base64-encoded as IMAP's AUTHENTICATE and SMTP's AUTH take it:
//
//	gs2-header kvsep *kvpair kvsep, with gs2-header = "n," "a=" saslname ","
//
// "n": no channel binding. The authorization identity is the mailbox, a saslname in which
// "," and "=" are written =2C and =3D (RFC 5801), so the header cannot be ended early. host
// and port are the server the client connects to (port 0: not sent); RFC 7628 lets a server
// check them, and Dovecot and Exim ignore them.
func oauthBearer(user, host string, port int, token string) (string, error) {
	if !utf8.ValidString(user) || strings.TrimSpace(user) == "" || strings.IndexFunc(user, unicode.IsControl) >= 0 {
		return "", usagef("--user %q is not a mailbox address", user)
	}
	if host != "" && (!utf8.ValidString(host) || strings.IndexFunc(host, func(r rune) bool { return unicode.IsControl(r) || unicode.IsSpace(r) }) >= 0) {
		return "", usagef("--host %q is not a host name (the mail server's name, as the client connects to it)", host)
	}
	if port < 0 || port > 65535 {
		return "", usagef("--port %d is not a TCP port (1 to 65535)", port)
	}
	// A value ends at ^A (kvsep): a token holding one, or any other control character, would
	// let the provider write key=value pairs of its own into the response.
	if strings.IndexFunc(token, unicode.IsControl) >= 0 || !utf8.ValidString(token) {
		return "", errControlInToken
	}
	var b strings.Builder
	b.WriteString("n,a=" + strings.NewReplacer("=", "=3D", ",", "=2C").Replace(user) + ",\x01")
	if host != "" {
		b.WriteString("host=" + host + "\x01")
	}
	if port != 0 {
		b.WriteString("port=" + strconv.Itoa(port) + "\x01")
	}
	b.WriteString("auth=Bearer " + token + "\x01\x01")
	return base64.StdEncoding.EncodeToString([]byte(b.String())), nil
}

// errControlInToken is refused by oauthBearer; the token command names the app.
var errControlInToken = errors.New("the access token holds a control character")

// execCredential is what a Kubernetes exec credential plugin prints
// (client.authentication.k8s.io/v1, kind ExecCredential): the token kubectl sends as
// "Authorization: Bearer", and when it runs out, so kubectl asks again only then.
type execCredential struct {
	APIVersion string               `json:"apiVersion"`
	Kind       string               `json:"kind"`
	Status     execCredentialStatus `json:"status"`
}

type execCredentialStatus struct {
	ExpirationTimestamp string `json:"expirationTimestamp,omitempty"` // RFC 3339; absent: until the API server refuses it
	Token               string `json:"token"`
}

const execCredentialAPIVersion = "client.authentication.k8s.io/v1"

// checkExecInfo reads $KUBERNETES_EXEC_INFO, which client-go sets for the plugin: it names the
// apiVersion the kubeconfig asked for, and the answer must be that one. Only v1 is spoken
// (v1beta1 differs in its spec, and v1alpha1 is gone from kubectl).
func checkExecInfo(info string) error {
	if info == "" {
		return nil // run by hand, not by kubectl
	}
	var in struct {
		APIVersion string `json:"apiVersion"`
	}
	if err := json.Unmarshal([]byte(info), &in); err != nil {
		return core.Failf(core.ErrInvalid, "--format kube: $KUBERNETES_EXEC_INFO is not the JSON kubectl sets (%v): run the command from kubectl's exec stanza, or unset it", err)
	}
	if in.APIVersion != "" && in.APIVersion != execCredentialAPIVersion {
		return core.Failf(core.ErrInvalid, "--format kube prints %s, but the kubeconfig asks for %s: set apiVersion: %s in its users[].user.exec", execCredentialAPIVersion, core.CleanText(in.APIVersion), execCredentialAPIVersion)
	}
	return nil
}

// jwtExpiry reads the exp claim of a JWT without checking its signature: the token is one
// this program already verified when it was stored, and only its lifetime is wanted here.
// ok is false for a token that is not a JWT or has no exp.
func jwtExpiry(raw string) (time.Time, bool) {
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return time.Time{}, false
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return time.Time{}, false
	}
	var claims struct {
		Exp *json.Number `json:"exp"`
	}
	if json.Unmarshal(payload, &claims) != nil || claims.Exp == nil {
		return time.Time{}, false
	}
	f, err := claims.Exp.Float64()
	if err != nil || f <= 0 {
		return time.Time{}, false
	}
	return time.Unix(int64(f), 0).UTC(), true
}

// execCmd runs a command with a fresh access token in $ACCESS_TOKEN. Everything after "--"
// is the command, untouched, so its own flags never reach ours.
func (c *cmdCtx) execCmd(args []string) error {
	sep := -1
	for i, a := range args {
		if a == "--" {
			sep = i
			break
		}
	}
	if sep < 0 || sep == len(args)-1 {
		return usagef("exec needs the command after --: connectedapps exec NAME -- CMD [ARGS...]")
	}
	fs := newFlags("exec")
	minValid := durationFlag{value: core.DefaultMinValid}
	fs.Var(&minValid, "min-valid", "refresh first when the token expires sooner than this")
	account := accountFlag(fs)
	name, err := parseName(fs, args[:sep])
	if err != nil {
		return err
	}
	command := args[sep+1:]
	ts, err := c.tokenOf(name, account.value, minValid.value)
	if err != nil {
		return err
	}
	cmd := exec.Command(command[0], command[1:]...)
	// The command gets this app's token, never the vault passphrase that opens every app's.
	cmd.Env = append(withoutVar(desktop.WithoutSecretEnv(c.env.Environ()), "ACCESS_TOKEN"), "ACCESS_TOKEN="+ts.AccessToken)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = c.env.Stdin, c.env.Stdout, c.env.Stderr
	// Ctrl+C reaches the command directly (same process group); this process only waits, so
	// the command decides how to end and its status is what the caller sees.
	err = cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ee):
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return &exitError{code: 128 + int(ws.Signal())}
		}
		return &exitError{code: ee.ExitCode()}
	case errors.Is(err, exec.ErrNotFound) || errors.Is(err, os.ErrNotExist):
		return &exitError{code: 127, msg: fmt.Sprintf("cannot run %q: no such command (check the name and $PATH)", command[0])}
	}
	return &exitError{code: 126, msg: fmt.Sprintf("cannot run %q: %v", command[0], err)}
}

// withoutVar drops every NAME=... entry, so the child sees exactly one value.
func withoutVar(env []string, name string) []string {
	out := make([]string, 0, len(env)+1)
	for _, kv := range env {
		if !strings.HasPrefix(kv, name+"=") {
			out = append(out, kv)
		}
	}
	return out
}

// gitCredential speaks git's credential-helper protocol (gitcredentials(7)): git runs
// `connectedapps git-credential NAME get` with key=value lines on stdin, ended by a blank
// line, and reads username= and password= back. store and erase are accepted and ignored,
// since the token lives in the keyring already and a refused one is renewed on the next get.
func (c *cmdCtx) gitCredential(args []string) error {
	fs := newFlags("git-credential")
	username := fs.String("username", "oauth2", "the user name to send with the token")
	minValid := durationFlag{value: core.DefaultMinValid}
	fs.Var(&minValid, "min-valid", "refresh first when the token expires sooner than this")
	account := accountFlag(fs)
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 || len(pos) > 2 {
		return usagef("git-credential takes the app's NAME, then git's action: configure git with git config --global credential.https://HOST.helper '!connectedapps git-credential NAME'")
	}
	name, action := pos[0], "get"
	if len(pos) == 2 {
		action = pos[1]
	}
	attrs, err := readCredentialRequest(c.env.Stdin)
	if err != nil {
		return err
	}
	if action != "get" {
		return nil // store, erase, and actions of later git versions: nothing to do
	}
	app, err := c.appOf(name)
	if err != nil {
		return err
	}
	// A host the app is not for gets nothing on stdout and exit 0: git then asks its next
	// helper, as gitcredentials(7) has it, and the person reads why on stderr.
	if host := attrs["host"]; !app.HasGitHost(host) {
		fmt.Fprintln(c.env.Stderr, "connectedapps: "+notGitHost(&app, host))
		return nil
	}
	if p := attrs["protocol"]; p != "" && p != "https" {
		return core.Failf(core.ErrInvalid, "git-credential: refusing to send the %s token over %s:// (only https keeps it secret on the way)", name, p)
	}
	if bad := strings.ContainsAny(*username, "\r\n\x00"); bad || *username == "" {
		return usagef("git-credential: --username %q is not a user name (one line, not empty)", *username)
	}
	ts, err := c.tokenOf(name, account.value, minValid.value)
	if err != nil {
		return err
	}
	// A line break in the token would let the provider add lines of its own to git's answer
	// (another username, a url); such a token is never written.
	if strings.ContainsAny(ts.AccessToken, "\r\n\x00") {
		return core.Failf(core.ErrInvalid, "git-credential: %s's access token holds a line break or NUL, so it was not handed to git: the provider's answer is not a usable token; run `connectedapps connect %s` again", app.ProviderName, quoteName(app.ProviderName))
	}
	w := c.env.Stdout
	fmt.Fprintf(w, "username=%s\npassword=%s\n", *username, ts.AccessToken)
	if ts.Expiry != nil {
		// git 2.41 and later drop an expired credential instead of caching it; older ones ignore this.
		fmt.Fprintf(w, "password_expiry_utc=%d\n", ts.Expiry.Unix())
	}
	return nil
}

// notGitHost says, in one line, why git got nothing for host, and how to allow it. edit's
// --git-host replaces the list, so the command given keeps the hosts there already.
func notGitHost(app *core.App, host string) string {
	name := quoteName(app.ProviderName)
	host = core.CleanText(host) // git's input comes from a remote URL anyone may have written
	if host == "" {
		return fmt.Sprintf("git-credential: git asked %s for a token without naming the host, so it got nothing", app.ProviderName)
	}
	add := "connectedapps edit " + name
	for _, h := range app.GitHosts {
		add += " --git-host " + h
	}
	add += " --git-host " + shellQuoteIfNeeded(host)
	if len(app.GitHosts) == 0 {
		return fmt.Sprintf("git-credential: %s has no git hosts, so git got nothing for %s: if %s should get %s's token, run `%s`", app.ProviderName, host, host, app.ProviderName, add)
	}
	return fmt.Sprintf("git-credential: %s has no git host %s (only %s), so git got nothing: if %s should get %s's token, run `%s`", app.ProviderName, host, strings.Join(app.GitHosts, ", "), host, app.ProviderName, add)
}

// shellQuoteIfNeeded leaves a plain host as it is and quotes anything odd git may have sent.
func shellQuoteIfNeeded(s string) string {
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune(".-:[]", r)) {
			return shellQuote(s)
		}
	}
	return s
}

// readCredentialRequest reads git's key=value lines up to a blank line or the end.
func readCredentialRequest(r io.Reader) (map[string]string, error) {
	attrs := map[string]string{}
	if r == nil {
		return attrs, nil
	}
	sc := bufio.NewScanner(io.LimitReader(r, 1<<20))
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		if line == "" {
			break
		}
		if k, v, ok := strings.Cut(line, "="); ok {
			attrs[k] = v
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("git-credential: cannot read git's request: %w", err)
	}
	return attrs, nil
}

// exitCodeOf reports the code an exitError carries.
func exitCodeOf(err error) (int, bool) {
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code, true
	}
	return 0, false
}
