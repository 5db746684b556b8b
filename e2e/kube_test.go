package e2e

import (
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"connectedapps/core/secret"
	"connectedapps/internal/testkit"
)

// buildKubecheck builds e2e/kubecheck, client-go's exec credential plugin driven the way
// kubectl drives it, in its own module (the main go.mod has no Kubernetes dependency).
func buildKubecheck(t *testing.T) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "kubecheck")
	cmd := exec.Command("go", "build", "-o", out, ".")
	cmd.Dir = "kubecheck"
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building e2e/kubecheck (client-go, from the Go module proxy): %v\n%s", err, b)
	}
	return out
}

// apiServer is a loopback HTTPS server standing in for a Kubernetes API server set up for
// OIDC: it answers /version only for the one bearer token it is told to take.
type apiServer struct {
	*httptest.Server
	mu   sync.Mutex
	want string
	seen []string
}

func startAPIServer(t *testing.T) *apiServer {
	s := &apiServer{}
	s.Server = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		got := r.Header.Get("Authorization")
		s.seen = append(s.seen, got)
		w.Header().Set("Content-Type", "application/json")
		if got != "Bearer "+s.want || r.URL.Path != "/version" {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"kind":"Status","apiVersion":"v1","status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401}`)
			return
		}
		fmt.Fprint(w, `{"major":"1","minor":"37","gitVersion":"v1.37.0"}`)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *apiServer) expect(token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.want, s.seen = token, nil
}

// kubeconfig writes the README's users[].user.exec stanza, with args, for a cluster at srv.
func (s *apiServer) kubeconfig(t *testing.T, args ...string) string {
	t.Helper()
	ca := base64.StdEncoding.EncodeToString(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.Certificate().Raw}))
	quoted, _ := json.Marshal(args) // a YAML flow sequence of JSON strings
	text := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: test
  cluster:
    server: %s
    certificate-authority-data: %s
contexts:
- name: test
  context:
    cluster: test
    user: oidc
current-context: test
users:
- name: oidc
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: %s
      args: %s
      interactiveMode: Never
`, s.URL, ca, bin, quoted)
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// Issue 12, item 2: client-go's exec credential plugin, as kubectl runs it, runs the binary
// from a kubeconfig's exec stanza and sends the ID token (or, with --kube-token access, the
// access token) to the API server; the output decodes strictly into client-go's published
// v1 type; kubectl itself does the same where it is installed.
func TestKubeExecCredentialWithClientGo(t *testing.T) {
	kubecheck := buildKubecheck(t)
	u := newUser(t)
	app := u.addNative("Cluster")
	u.ok("", "connect", "Cluster")
	tokens, _ := storedTokens(t, app.ID)
	if tokens.IDToken == "" {
		t.Fatal("the provider gave no ID token: the test proves nothing")
	}
	srv := startAPIServer(t)
	run := func(env []string, name string, args ...string) (string, string, error) {
		t.Helper()
		cmd := exec.Command(name, args...)
		cmd.Env = env
		var out, errb strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		return out.String(), errb.String(), err
	}

	// The credential, decoded strictly into client-go's ExecCredential.
	cred := u.ok("", "token", "Cluster", "--format", "kube")
	dec := exec.Command(kubecheck, "decode")
	dec.Stdin = strings.NewReader(cred)
	decoded, err := dec.CombinedOutput()
	exp := time.Unix(idTokenClaims(t, tokens.IDToken).Exp, 0).UTC().Format(time.RFC3339)
	if err != nil || string(decoded) != tokens.IDToken+"\n"+exp+"\n" {
		t.Fatalf("kubecheck decode: %v\n%s\nthe credential: %s", err, decoded, cred)
	}

	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"token", "Cluster", "--format", "kube"}, tokens.IDToken},
		{[]string{"token", "Cluster", "--format", "kube", "--kube-token", "access"}, tokens.AccessToken},
	} {
		srv.expect(c.want)
		kc := srv.kubeconfig(t, c.args...)
		out, errOut, err := run(u.env, kubecheck, "get", kc, "/version")
		if err != nil || !strings.Contains(out, `"gitVersion":"v1.37.0"`) {
			t.Fatalf("client-go with %q: %v\nstdout %s\nstderr %s\nthe server saw %q", c.args, err, out, errOut, srv.seen)
		}
		if kubectl, err := exec.LookPath("kubectl"); err == nil {
			out, errOut, err := run(u.env, kubectl, "--kubeconfig", kc, "get", "--raw", "/version")
			if err != nil || !strings.Contains(out, `"gitVersion":"v1.37.0"`) {
				t.Fatalf("kubectl with %q: %v\nstdout %s\nstderr %s", c.args, err, out, errOut)
			}
		} else {
			t.Logf("kubectl is not installed: client-go alone ran the plugin")
		}
	}
	// The server refusing the token is the server's answer, not a pass: the check is real.
	srv.expect("another-token")
	if out, _, err := run(u.env, kubecheck, "get", srv.kubeconfig(t, "token", "Cluster", "--format", "kube"), "/version"); err == nil {
		t.Fatalf("the API server took a token it was not given: %s", out)
	}
}

// An app that holds no ID token (a client credentials app never does): kubectl gets no
// credential, and the person one line naming the app and the next step, through client-go's
// plugin too; the access token still works with --kube-token access.
func TestKubeWithNoIDToken(t *testing.T) {
	u := newUser(t)
	u.ok(testkit.ServiceClientSecret, "add", "Service", "--discovery", op.Issuer, "--grant", "client_credentials",
		"--client-id", testkit.ServiceClientID, "--client-secret-stdin", "--scope", "read")
	r := u.fails(1, "", []string{"token", "Service", "--format", "kube"}, "Service holds no ID token", "openid", "connectedapps connect Service", "--kube-token access")
	if r.stdout != "" {
		t.Fatalf("stdout: %q", r.stdout)
	}
	app := u.show("Service")
	tokens, _ := storedTokens(t, app.ID)
	var cred struct {
		APIVersion string `json:"apiVersion"`
		Status     struct {
			Token string `json:"token"`
		} `json:"status"`
	}
	if err := json.Unmarshal([]byte(u.ok("", "token", "Service", "--format", "kube", "--kube-token", "access")), &cred); err != nil || cred.Status.Token != tokens.AccessToken {
		t.Fatalf("--kube-token access: %v %+v", err, cred)
	}

	kubecheck := buildKubecheck(t)
	srv := startAPIServer(t)
	srv.expect(tokens.AccessToken)
	cmd := exec.Command(kubecheck, "get", srv.kubeconfig(t, "token", "Service", "--format", "kube"), "/version")
	cmd.Env = u.env
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "Service holds no ID token") || len(srv.seen) != 0 {
		t.Fatalf("client-go with no ID token: %v, the server saw %q\n%s", err, srv.seen, out)
	}
}

type jwtClaims struct {
	Exp int64 `json:"exp"`
}

// idTokenClaims reads an ID token's claims as the test's own check of what kube reported.
func idTokenClaims(t *testing.T, raw string) jwtClaims {
	t.Helper()
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", raw)
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	var c jwtClaims
	if err != nil || json.Unmarshal(b, &c) != nil || c.Exp == 0 {
		t.Fatalf("ID token claims: %v %s", err, b)
	}
	return c
}

// An ID token that has run out while the access token has not (its lifetime is the
// provider's): kube refreshes for a new one, which the provider sends and core verifies,
// rather than handing kubectl a dead credential.
func TestKubeRenewsAnExpiredIDToken(t *testing.T) {
	u := newUser(t)
	app := u.addNative("Cluster")
	u.ok("", "connect", "Cluster")
	ts, _ := storedTokens(t, app.ID)
	// The same claims with exp a minute ago (the signature no longer matches, but a stored
	// token is never verified again; only its exp is read).
	parts := strings.Split(ts.IDToken, ".")
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var claims map[string]any
	if err := json.Unmarshal(payload, &claims); err != nil {
		t.Fatal(err)
	}
	claims["exp"] = time.Now().Add(-time.Minute).Unix()
	payload, _ = json.Marshal(claims)
	expired := parts[0] + "." + base64.RawURLEncoding.EncodeToString(payload) + "." + parts[2]
	ts.IDToken = expired
	data, _ := json.Marshal(ts)
	if err := secret.NewSystemStore().Set(userTokensKey(app.ID), string(data)); err != nil {
		t.Fatal(err)
	}

	before := op.Refreshes()
	var cred struct {
		Status struct {
			Token               string `json:"token"`
			ExpirationTimestamp string `json:"expirationTimestamp"`
		} `json:"status"`
	}
	if err := json.Unmarshal([]byte(u.ok("", "token", "Cluster", "--format", "kube")), &cred); err != nil {
		t.Fatal(err)
	}
	now, _ := storedTokens(t, app.ID)
	exp, err := time.Parse(time.RFC3339, cred.Status.ExpirationTimestamp)
	if op.Refreshes()-before != 1 || cred.Status.Token == expired || cred.Status.Token != now.IDToken || err != nil || !exp.After(time.Now()) {
		t.Fatalf("after %d refreshes, the credential's token is the expired one: %v, the stored one: %v, expires %q",
			op.Refreshes()-before, cred.Status.Token == expired, cred.Status.Token == now.IDToken, cred.Status.ExpirationTimestamp)
	}
}
