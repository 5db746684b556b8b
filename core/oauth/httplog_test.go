package oauth

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

func httplogTestParse(t *testing.T, raw string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestRedactURLHidesSensitiveParameters(t *testing.T) {
	for _, p := range sensitiveParams {
		secret := "s3cr3t-" + p + "-value"
		raw := "https://idp.example.com/cb?keep=visible&" + p + "=" + secret
		got := RedactURL(httplogTestParse(t, raw))
		if strings.Contains(got, secret) {
			t.Errorf("RedactURL(%q) = %q: the %s value shows", raw, got, p)
		}
		if !strings.Contains(got, p+"=REDACTED") || !strings.Contains(got, "keep=visible") {
			t.Errorf("RedactURL(%q) = %q: want %s=REDACTED and the other parameter kept", raw, got, p)
		}
		if !strings.HasPrefix(got, "https://idp.example.com/cb?") {
			t.Errorf("RedactURL(%q) = %q: scheme, host or path changed", raw, got)
		}
	}
}

func TestRedactURLCases(t *testing.T) {
	cases := []struct {
		raw     string
		want    string
		secrets []string
	}{
		{"https://idp.example.com/token", "https://idp.example.com/token", nil},
		{"https://idp.example.com/authorize?client_id=abc&scope=openid+email&response_type=code",
			"https://idp.example.com/authorize?client_id=abc&scope=openid+email&response_type=code", nil},
		{"http://127.0.0.1:8765/callback?code=AUTHCODE&state=STATEVAL",
			"http://127.0.0.1:8765/callback?code=REDACTED&state=REDACTED", []string{"AUTHCODE", "STATEVAL"}},
		{"https://user:p4ssw0rd@idp.example.com/x", "https://idp.example.com/x", []string{"user", "p4ssw0rd"}},
		{"https://onlyuser@idp.example.com/x", "https://idp.example.com/x", []string{"onlyuser"}},
		// Repeated and percent-encoded names are caught too.
		{"https://h/x?code=A1&code=A2", "https://h/x?code=REDACTED&code=REDACTED", []string{"A1", "A2"}},
		{"https://h/x?co%64e=ENCODED", "https://h/x?co%64e=REDACTED", []string{"ENCODED"}},
		// Queries url.ParseQuery rejects, and fragments, are redacted all the same.
		{"https://h/x?code=SECRET;x=1", "https://h/x?code=REDACTED&x=1", []string{"SECRET"}},
		{"https://h/x?code=SEC%zzRET", "https://h/x?code=REDACTED", []string{"SEC"}},
		{"https://h/cb#access_token=FRAG&state=S", "https://h/cb#REDACTED", []string{"FRAG"}},
		{"https://h/revoke?token=TOK&token_type_hint=refresh_token", "https://h/revoke?token=REDACTED&token_type_hint=refresh_token", []string{"TOK"}},
		{"https://h/x?refresh_token=RT&client_secret=CS&access_token=AT&id_token=IT",
			"https://h/x?refresh_token=REDACTED&client_secret=REDACTED&access_token=REDACTED&id_token=REDACTED",
			[]string{"RT", "CS", "AT", "IT"}},
	}
	for _, c := range cases {
		u := httplogTestParse(t, c.raw)
		orig := *u
		got := RedactURL(u)
		if got != c.want {
			t.Errorf("RedactURL(%q) = %q, want %q", c.raw, got, c.want)
		}
		for _, s := range c.secrets {
			if strings.Contains(got, s) {
				t.Errorf("RedactURL(%q) = %q shows %q", c.raw, got, s)
			}
		}
		if u.String() != orig.String() || u.User != orig.User {
			t.Errorf("RedactURL changed its argument: %q", u)
		}
	}
}

func TestRedactText(t *testing.T) {
	cases := []struct {
		in      string
		secrets []string
		keep    []string
	}{
		{`Post "https://idp.example.com/token?code=AUTHCODE&x=1": dial tcp: connection refused`,
			[]string{"AUTHCODE"}, []string{`Post "https://idp.example.com/token?code=REDACTED&x=1": dial tcp: connection refused`}},
		{`Get "https://alice:hunter2@idp.example.com/userinfo": EOF`,
			[]string{"alice", "hunter2"}, []string{`Get "https://idp.example.com/userinfo": EOF`}},
		{`redirect to (http://127.0.0.1:8765/callback?state=ST&code=CD), failed`,
			[]string{"ST&", "=CD"}, []string{"(http://127.0.0.1:8765/callback?state=REDACTED&code=REDACTED),", "failed"}},
		{`'https://h/x?refresh_token=RTOKEN' and https://h/y?access_token=ATOKEN`,
			[]string{"RTOKEN", "ATOKEN"}, []string{"'https://h/x?refresh_token=REDACTED'", "https://h/y?access_token=REDACTED"}},
		{"no urls here: just words", nil, []string{"no urls here: just words"}},
	}
	for _, c := range cases {
		got := RedactText(c.in)
		for _, s := range c.secrets {
			if strings.Contains(got, s) {
				t.Errorf("RedactText(%q) = %q shows %q", c.in, got, s)
			}
		}
		for _, k := range c.keep {
			if !strings.Contains(got, k) {
				t.Errorf("RedactText(%q) = %q, want it to contain %q", c.in, got, k)
			}
		}
	}
	// The error of a real failed request, as http.Client reports it.
	hc := &http.Client{Transport: http.DefaultTransport}
	ts := httptest.NewServer(http.NotFoundHandler())
	addr := ts.URL
	ts.Close() // nothing listens there now
	_, err := hc.Get(addr + "/callback?code=REALCODE&state=REALSTATE")
	if err == nil {
		t.Fatal("request to a closed server succeeded")
	}
	if got := RedactText(err.Error()); strings.Contains(got, "REALCODE") || strings.Contains(got, "REALSTATE") ||
		!strings.Contains(got, "code=REDACTED") {
		t.Errorf("RedactText(%q) = %q", err, got)
	}
}

// httplogTestRecorder is a RoundTripper standing in for the network.
type httplogTestRecorder struct {
	err  error
	body string
	got  *http.Request
}

func (r *httplogTestRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	r.got = req
	if req.Body != nil {
		b, _ := io.ReadAll(req.Body)
		r.body = string(b)
	}
	if r.err != nil {
		return nil, r.err
	}
	return &http.Response{StatusCode: 200, Status: "200 OK", Body: io.NopCloser(strings.NewReader(`{"ok":true}`)),
		Header: http.Header{}, Request: req}, nil
}

func httplogTestLogger() (*slog.Logger, *bytes.Buffer) {
	var buf bytes.Buffer
	return slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})), &buf
}

func TestLoggingTransportNeverLogsSecrets(t *testing.T) {
	const (
		code         = "AUTHCODE-7f3a"
		verifier     = "VERIFIER-c0de"
		clientSecret = "CLIENTSECRET-9b1e"
		refresh      = "REFRESHTOKEN-44aa"
		state        = "STATE-1122"
		password     = "PASSWORD-5566"
		bearer       = "BEARER-ACCESS-TOKEN"
	)
	log, buf := httplogTestLogger()
	rec := &httplogTestRecorder{}
	hc := &http.Client{Transport: &LoggingTransport{Base: rec, Log: log}}

	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "code_verifier": {verifier},
		"client_secret": {clientSecret}, "refresh_token": {refresh}}
	req, err := http.NewRequest(http.MethodPost,
		"https://alice:"+password+"@idp.example.com/token?state="+state+"&code="+code+"&tenant=common",
		strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth("client-id", clientSecret)
	req.Header.Set("X-Api-Key", bearer)
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()

	// The request went through untouched.
	if string(body) != `{"ok":true}` || rec.body != form.Encode() || rec.got.Header.Get("Authorization") == "" ||
		rec.got.URL.Query().Get("code") != code {
		t.Errorf("the transport changed the exchange: body %q, sent %q, headers %v, url %s", body, rec.body, rec.got.Header, rec.got.URL)
	}

	// A second request carries a bearer token.
	req2, _ := http.NewRequest(http.MethodGet, "https://idp.example.com/userinfo", nil)
	req2.Header.Set("Authorization", "Bearer "+bearer)
	if resp, err := hc.Do(req2); err != nil {
		t.Fatal(err)
	} else {
		resp.Body.Close()
	}

	out := buf.String()
	basic := strings.TrimPrefix(rec.got.Header.Get("Authorization"), "Basic ")
	for _, s := range []string{code, verifier, clientSecret, refresh, state, password, bearer, basic, "alice"} {
		if strings.Contains(out, s) {
			t.Errorf("the log shows %q:\n%s", s, out)
		}
	}
	for _, want := range []string{"method=POST", "method=GET", "status=200", "idp.example.com/token", "code=REDACTED",
		"state=REDACTED", "tenant=common", "idp.example.com/userinfo", "duration="} {
		if !strings.Contains(out, want) {
			t.Errorf("the log lacks %q:\n%s", want, out)
		}
	}
	if n := strings.Count(out, "\n"); n != 2 {
		t.Errorf("%d log lines for 2 requests:\n%s", n, out)
	}
}

func TestLoggingTransportFailedRequest(t *testing.T) {
	log, buf := httplogTestLogger()
	raw := "https://idp.example.com/token?code=FAILCODE&state=FAILSTATE"
	netErr := &url.Error{Op: "Post", URL: raw, Err: errors.New("connection reset by peer")}
	tr := &LoggingTransport{Base: &httplogTestRecorder{err: netErr}, Log: log}
	req, _ := http.NewRequest(http.MethodPost, raw, strings.NewReader("client_secret=FAILSECRET"))
	resp, err := tr.RoundTrip(req)
	if resp != nil || !errors.Is(err, netErr) {
		t.Errorf("RoundTrip = %v, %v: the error must come back unchanged", resp, err)
	}
	out := buf.String()
	for _, s := range []string{"FAILCODE", "FAILSTATE", "FAILSECRET"} {
		if strings.Contains(out, s) {
			t.Errorf("the log shows %q:\n%s", s, out)
		}
	}
	for _, want := range []string{"http request failed", "connection reset by peer", "code=REDACTED"} {
		if !strings.Contains(out, want) {
			t.Errorf("the log lacks %q:\n%s", want, out)
		}
	}
}

func TestLoggingTransportDefaultsToDefaultTransportAndRealServer(t *testing.T) {
	var gotSecret string
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		gotSecret = r.PostForm.Get("client_secret")
		w.WriteHeader(http.StatusTeapot)
	}))
	defer ts.Close()
	log, buf := httplogTestLogger()
	hc := &http.Client{Transport: &LoggingTransport{Log: log}}
	resp, err := hc.PostForm(ts.URL+"/token?code=SRVCODE", url.Values{"client_secret": {"SRVSECRET"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if gotSecret != "SRVSECRET" || resp.StatusCode != http.StatusTeapot {
		t.Errorf("server saw %q, answered %d", gotSecret, resp.StatusCode)
	}
	out := buf.String()
	if strings.Contains(out, "SRVCODE") || strings.Contains(out, "SRVSECRET") {
		t.Errorf("the log shows a secret:\n%s", out)
	}
	if !strings.Contains(out, fmt.Sprintf("status=%d", http.StatusTeapot)) {
		t.Errorf("the log lacks the status:\n%s", out)
	}
}

func TestLoggingTransportQuietAboveDebug(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo}))
	hc := &http.Client{Transport: &LoggingTransport{Base: &httplogTestRecorder{}, Log: log}}
	resp, err := hc.Get("https://idp.example.com/x")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if buf.Len() != 0 {
		t.Errorf("logged at info level: %s", buf.String())
	}
}
