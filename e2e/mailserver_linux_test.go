//go:build linux

package e2e

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"connectedapps/internal/testkit"
	"connectedapps/internal/testproc"
)

// dovecot is Debian's Dovecot IMAP server, run by the test as an unprivileged user on a
// loopback port with a private configuration: its one password database is oauth2, which
// asks the test provider's introspection endpoint (RFC 7662), as the resource server, whether
// each token is active and whose it is. So a login succeeds only with a token the provider
// issued, holds still, and gave to the user named in the SASL string.
type dovecot struct {
	addr       string // IMAP
	host       string
	port       int
	imaps      int    // IMAP over TLS from the first byte
	submission int    // the SMTP submission port (RFC 6409), relaying to relay
	caFile     string // the certificate STARTTLS presents, for the clients to trust
	log        string // the server's log, where each login names its mechanism
	relay      *relaySink
}

func startDovecot(t *testing.T, introspectionURL string) *dovecot {
	t.Helper()
	binary, err := exec.LookPath("dovecot")
	if err != nil {
		if binary, err = exec.LookPath("/usr/sbin/dovecot"); err != nil {
			t.Skip("dovecot is not installed (make test installs dovecot-imapd)")
		}
	}
	if os.Getuid() == 0 {
		// Run as root, Dovecot is started as its mail user, who must reach its folder.
		testproc.SkipUnlessOthersCanEnter(t, os.TempDir())
	}
	// Its own folder, readable by the user it runs as (t.TempDir's parent is root's 0700).
	dir, err := os.MkdirTemp("", "connectedapps-dovecot")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	uid, gid := os.Getuid(), os.Getgid()
	if uid == 0 {
		uid, gid = nobodyUID, nobodyUID
	}
	for _, sub := range []string{"", "run", "state", "home"} {
		p := filepath.Join(dir, sub)
		mode := os.FileMode(0o700)
		if sub == "run" || sub == "" {
			mode = 0o755 // Dovecot wants its base_dir world-readable (its sockets check their own modes)
		}
		if err := os.MkdirAll(p, mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(p, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	port, err := testkit.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	submission, err := testkit.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	imaps, err := testkit.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	d := &dovecot{host: "127.0.0.1", port: port, addr: fmt.Sprintf("127.0.0.1:%d", port), submission: submission, imaps: imaps,
		log: filepath.Join(dir, "dovecot.log"), relay: startRelaySink(t)}
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	certPEM, keyPEM := selfSignedLoopbackCert(t)
	d.caFile = certFile
	iu, err := url.Parse(introspectionURL)
	if err != nil || iu.Host == "" {
		t.Fatalf("introspection URL %q: %v", introspectionURL, err)
	}
	iu.User = url.UserPassword(testkit.ResourceClientID, testkit.ResourceClientSecret)
	user, group := userAndGroup(t, uid, gid)
	oauth2Conf := filepath.Join(dir, "dovecot-oauth2.conf.ext")
	write := func(path, text string) {
		t.Helper()
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(path, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	write(certFile, certPEM)
	write(keyFile, keyPEM)
	// Introspection only (no tokeninfo URL): POST token=..., active must be true, and the
	// introspected email is the login name the SASL string's user must match.
	write(oauth2Conf, fmt.Sprintf(`introspection_mode = post
introspection_url = %s
force_introspection = yes
active_attribute = active
active_value = true
username_attribute = email
timeout_msecs = 20000
`, iu.String()))
	conf := filepath.Join(dir, "dovecot.conf")
	write(conf, fmt.Sprintf(`base_dir = %[1]s/run
state_dir = %[1]s/state
log_path = %[2]s
protocols = imap submission
listen = 127.0.0.1
hostname = mail.test
# STARTTLS for the clients that want it (msmtp's tls on, curl's --ssl-reqd); plain text is
# allowed too, for the test's own IMAP client
ssl = yes
ssl_cert = <%[7]s
ssl_key = <%[8]s
disable_plaintext_auth = no
submission_relay_host = 127.0.0.1
submission_relay_port = %[9]d
submission_relay_trusted = yes
auth_mechanisms = oauthbearer xoauth2
auth_verbose = yes
auth_failure_delay = 0
default_internal_user = %[3]s
default_internal_group = %[4]s
default_login_user = %[3]s
mail_location = maildir:%[1]s/home/%%n/Maildir
service imap-login {
  chroot =
  inet_listener imap {
    address = 127.0.0.1
    port = %[5]d
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = %[11]d
  }
}
service submission-login {
  chroot =
  inet_listener submission {
    address = 127.0.0.1
    port = %[10]d
  }
}
service anvil {
  chroot =
  # no penalty of seconds after a failed login, which the refusals below would wait out
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
passdb {
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = %[6]s
}
userdb {
  driver = static
  args = uid=%[3]s gid=%[4]s home=%[1]s/home/%%n
}
`, dir, d.log, user, group, port, oauth2Conf, certFile, keyFile, d.relay.port, submission, imaps))
	cmd := exec.Command(binary, "-F", "-c", conf)
	cmd.Dir = dir
	cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin"}
	if os.Getuid() == 0 {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
	}
	var out syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting dovecot: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for _, addr := range []string{d.addr, fmt.Sprintf("127.0.0.1:%d", submission), fmt.Sprintf("127.0.0.1:%d", imaps)} {
		for {
			c, err := net.DialTimeout("tcp", addr, time.Second)
			if err == nil {
				c.Close()
				break
			}
			if time.Now().After(deadline) {
				logText, _ := os.ReadFile(d.log)
				t.Fatalf("dovecot did not listen on %s: %v\n%s\n%s", addr, err, out.String(), logText)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	return d
}

// selfSignedLoopbackCert is a certificate for 127.0.0.1, its own CA, for Dovecot's STARTTLS.
func selfSignedLoopbackCert(t *testing.T) (certPEM, keyPEM string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "mail.test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"mail.test"},
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true, IsCA: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})), string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}))
}

// relaySink is the MTA behind Dovecot's submission service: it takes every message it is
// relayed, so a test can see that a client's mail went through.
type relaySink struct {
	port     int
	mu       sync.Mutex
	messages []string
}

func startRelaySink(t *testing.T) *relaySink {
	t.Helper()
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	s := &relaySink{port: l.Addr().(*net.TCPAddr).Port}
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

func (s *relaySink) serve(conn net.Conn) {
	defer conn.Close()
	r := bufio.NewReader(conn)
	reply := func(line string) { fmt.Fprintf(conn, "%s\r\n", line) }
	reply("220 relay.test ESMTP")
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		switch verb := strings.ToUpper(strings.Fields(strings.TrimSpace(line) + " x")[0]); verb {
		case "EHLO", "HELO", "LHLO":
			reply("250-relay.test")
			reply("250 8BITMIME")
		case "MAIL", "RCPT", "RSET", "NOOP":
			reply("250 2.0.0 OK")
		case "DATA":
			reply("354 go on")
			var msg strings.Builder
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" || l == ".\n" {
					break
				}
				msg.WriteString(l)
			}
			s.mu.Lock()
			s.messages = append(s.messages, msg.String())
			s.mu.Unlock()
			reply("250 2.0.0 queued")
		case "QUIT":
			reply("221 2.0.0 bye")
			return
		default:
			reply("502 5.5.2 not here")
		}
	}
}

func (s *relaySink) received() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.messages...)
}

func userAndGroup(t *testing.T, uid, gid int) (string, string) {
	t.Helper()
	name := func(db string, id int) string {
		out, err := exec.Command("getent", db, strconv.Itoa(id)).Output()
		if err != nil {
			t.Fatalf("getent %s %d: %v", db, id, err)
		}
		return strings.SplitN(string(out), ":", 2)[0]
	}
	return name("passwd", uid), name("group", gid)
}

// authenticate logs in over IMAP with AUTHENTICATE MECH and the initial response (SASL-IR,
// RFC 4959), as a mail client given the string would, and returns the server's tagged answer.
// A refused OAUTHBEARER gets an error challenge, answered with ^A as RFC 7628 section 3.2.3
// has it (XOAUTH2's with an empty line), so the server's final answer is what is returned.
func (d *dovecot) authenticate(t *testing.T, mech, initial string) string {
	t.Helper()
	conn, err := net.DialTimeout("tcp", d.addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
	r := bufio.NewReader(conn)
	line := func() string {
		t.Helper()
		s, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("reading from dovecot: %v (so far %q)", err, s)
		}
		return strings.TrimRight(s, "\r\n")
	}
	if greeting := line(); !strings.HasPrefix(greeting, "* OK") || !strings.Contains(greeting, "AUTH="+mech) || !strings.Contains(greeting, "SASL-IR") {
		t.Fatalf("dovecot's greeting does not offer AUTH=%s with SASL-IR: %q", mech, greeting)
	}
	fmt.Fprintf(conn, "a1 AUTHENTICATE %s %s\r\n", mech, initial)
	for {
		s := line()
		switch {
		case strings.HasPrefix(s, "+"):
			if mech == "OAUTHBEARER" {
				fmt.Fprint(conn, base64.StdEncoding.EncodeToString([]byte{1})+"\r\n")
			} else {
				fmt.Fprint(conn, "\r\n")
			}
		case strings.HasPrefix(s, "a1 "):
			fmt.Fprint(conn, "a2 LOGOUT\r\n")
			return strings.TrimPrefix(s, "a1 ")
		}
	}
}

// loginsBy lists the mechanisms of the logins Dovecot's log records for user, by service
// (imap or submission).
func (d *dovecot) loginsBy(t *testing.T, service, user string) []string {
	t.Helper()
	text, _ := os.ReadFile(d.log)
	var mechs []string
	for _, m := range regexp.MustCompile(service+`-login: (?:Info: )?Login: user=<([^>]*)>, method=([A-Z0-9-]+)`).FindAllStringSubmatch(string(text), -1) {
		if m[1] == user {
			mechs = append(mechs, m[2])
		}
	}
	return mechs
}

// Issue 12, item 1: `token --format oauthbearer` is accepted by a real IMAP server that checks
// the token with the provider, and so is xoauth2; another mailbox, a forged token and a
// revoked one are refused.
func TestOAUTHBEARERAndXOAUTH2AgainstDovecot(t *testing.T) {
	u := newUser(t)
	app := u.addNative("Mail")
	u.ok("", "connect", "Mail")
	d := startDovecot(t, app.IntrospectionURI)
	const mailbox = "test-user@zitadel.ch" // the test user's email, which introspection gives

	bearer := strings.TrimSpace(u.ok("", "token", "Mail", "--format", "oauthbearer", "--host", d.host, "--port", strconv.Itoa(d.port)))
	if answer := d.authenticate(t, "OAUTHBEARER", bearer); !strings.HasPrefix(answer, "OK") {
		logText, _ := os.ReadFile(d.log)
		t.Fatalf("AUTHENTICATE OAUTHBEARER: %q\n%s", answer, logText)
	}
	// Without --host and --port, and with the signed-in address as the user.
	if answer := d.authenticate(t, "OAUTHBEARER", strings.TrimSpace(u.ok("", "token", "Mail", "--format", "oauthbearer"))); !strings.HasPrefix(answer, "OK") {
		t.Fatalf("AUTHENTICATE OAUTHBEARER without host and port: %q", answer)
	}
	if answer := d.authenticate(t, "XOAUTH2", strings.TrimSpace(u.ok("", "token", "Mail", "--format", "xoauth2"))); !strings.HasPrefix(answer, "OK") {
		t.Fatalf("AUTHENTICATE XOAUTH2: %q", answer)
	}
	if got := strings.Join(d.loginsBy(t, "imap", mailbox), " "); got != "OAUTHBEARER OAUTHBEARER XOAUTH2" {
		logText, _ := os.ReadFile(d.log)
		t.Fatalf("dovecot logged these logins for %s: %q\n%s", mailbox, got, logText)
	}

	// The server checks what it is given: the token for another mailbox, and a token the
	// provider never issued, are refused.
	if answer := d.authenticate(t, "OAUTHBEARER", strings.TrimSpace(u.ok("", "token", "Mail", "--format", "oauthbearer", "--user", "someone-else@zitadel.ch"))); !strings.HasPrefix(answer, "NO") {
		t.Fatalf("another mailbox: %q", answer)
	}
	forged := base64.StdEncoding.EncodeToString([]byte("n,a=" + mailbox + ",\x01auth=Bearer not-a-token-the-provider-issued\x01\x01"))
	if answer := d.authenticate(t, "OAUTHBEARER", forged); !strings.HasPrefix(answer, "NO") {
		t.Fatalf("a forged token: %q", answer)
	}
	// Disconnect revokes the token at the provider: the string printed before is refused.
	u.ok("", "disconnect", "Mail")
	if answer := d.authenticate(t, "OAUTHBEARER", bearer); !strings.HasPrefix(answer, "NO") {
		t.Fatalf("a revoked token: %q", answer)
	}
	if got := len(d.loginsBy(t, "imap", mailbox)); got != 3 {
		t.Fatalf("dovecot logged %d logins for %s, want the 3 above", got, mailbox)
	}
}

// The README's mail recipes, run as written against Dovecot over STARTTLS: msmtp with
// `auth oauthbearer` (and the `auth xoauth2` one), curl's IMAP and SMTP recipes. The token
// goes from `connectedapps token` into each client through a pipe or passwordeval, never an
// argument; Dovecot checks it with the provider and logs the mechanism each client chose.
func TestMailRecipesAgainstDovecot(t *testing.T) {
	u := newUser(t)
	app := u.addNative("Mail")
	u.ok("", "connect", "Mail")
	d := startDovecot(t, app.IntrospectionURI)
	const mailbox = "test-user@zitadel.ch"

	msmtp, err := exec.LookPath("msmtp")
	if err != nil {
		t.Skip("msmtp is not installed (make test installs it)")
	}
	for i, mech := range []string{"oauthbearer", "xoauth2"} {
		conf := filepath.Join(t.TempDir(), "msmtprc")
		text := fmt.Sprintf(`account mail
host 127.0.0.1
port %d
tls on
tls_starttls on
tls_trust_file %s
auth %s
user %s
from %s
passwordeval %s token Mail
`, d.submission, d.caFile, mech, mailbox, mailbox, bin)
		if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(msmtp, "-C", conf, "-a", "mail", "friend@example.com")
		cmd.Env = u.env
		cmd.Stdin = strings.NewReader(fmt.Sprintf("Subject: msmtp %s\r\n\r\nsent with auth %s\r\n", mech, mech))
		if out, err := cmd.CombinedOutput(); err != nil {
			logText, _ := os.ReadFile(d.log)
			t.Fatalf("msmtp with auth %s: %v\n%s\n%s", mech, err, out, logText)
		}
		if got := d.relay.received(); len(got) != i+1 || !strings.Contains(got[i], "sent with auth "+mech) {
			t.Fatalf("the relay got %q after msmtp with auth %s", got, mech)
		}
	}

	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("curl is not installed (make test installs it)")
	}
	msg := filepath.Join(t.TempDir(), "message.eml")
	if err := os.WriteFile(msg, []byte("Subject: curl\r\n\r\nsent with curl\r\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ name, script string }{
		{"imaps", `"$BIN" token Mail | sed 's/^/oauth2-bearer = /' | curl -sS -K - --cacert "$CA" --user "$MAILBOX:" "imaps://127.0.0.1:$IMAPS_PORT/"`},
		{"imap with STARTTLS", `"$BIN" token Mail | sed 's/^/oauth2-bearer = /' | curl -sS -K - --ssl-reqd --cacert "$CA" --user "$MAILBOX:" "imap://127.0.0.1:$IMAP_PORT/"`},
		{"smtp", `"$BIN" token Mail | sed 's/^/oauth2-bearer = /' | curl -sS -K - --ssl-reqd --cacert "$CA" --user "$MAILBOX:" --mail-from "$MAILBOX" --mail-rcpt friend@example.com --upload-file "$MSG" "smtp://127.0.0.1:$SMTP_PORT"`},
	} {
		cmd := exec.Command("sh", "-c", c.script)
		cmd.Env = append(u.env, "BIN="+bin, "CA="+d.caFile, "MAILBOX="+mailbox, "MSG="+msg,
			fmt.Sprintf("IMAP_PORT=%d", d.port), fmt.Sprintf("IMAPS_PORT=%d", d.imaps), fmt.Sprintf("SMTP_PORT=%d", d.submission))
		out, err := cmd.CombinedOutput()
		name := c.name
		if err != nil || (name != "smtp" && !strings.Contains(string(out), "INBOX")) {
			logText, _ := os.ReadFile(d.log)
			t.Fatalf("curl %s recipe: %v\n%s\n%s", name, err, out, logText)
		}
	}
	if got := d.relay.received(); len(got) != 3 || !strings.Contains(got[2], "sent with curl") {
		t.Fatalf("the relay got %q after curl's smtp recipe", got)
	}
	// msmtp uses the mechanism it is told; curl, given a bearer token, picks OAUTHBEARER when
	// the server offers it (else XOAUTH2), as the README says.
	if got := strings.Join(d.loginsBy(t, "submission", mailbox), " "); got != "OAUTHBEARER XOAUTH2 OAUTHBEARER" {
		t.Errorf("dovecot logged these submission logins: %q", got)
	}
	if got := strings.Join(d.loginsBy(t, "imap", mailbox), " "); got != "OAUTHBEARER OAUTHBEARER" {
		t.Errorf("dovecot logged these IMAP logins: %q", got)
	}
}
