package testkit

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"regexp"
	"strings"
	"time"
)

// The scripted browser is the program that runs it (an e2e test binary, bench/perf) started
// again by connectedapps through $BROWSER with the link as its one argument. These variables,
// set by BrowserEnv, tell ActAsBrowser to play the person.
const (
	// BrowserModeEnv is what the person does with the link: one of the Mode constants.
	BrowserModeEnv = "CONNECTEDAPPS_TEST_BROWSER"
	// BrowserUserEnv is the name the person signs in with (Provider.Username, SecondUser).
	BrowserUserEnv = "CONNECTEDAPPS_TEST_BROWSER_USER"
	// BrowserLogEnv, when set, names a file where the browser notes each link it is handed and
	// its outcome ("opened URL", "finished URL", "failed ERR"): the window discards a browser's
	// output, and a test waiting on a sign-in wants to know.
	BrowserLogEnv = "CONNECTEDAPPS_TEST_BROWSER_LOG"
)

// Browser modes: what the scripted person does with the authorization link.
const (
	ModeLogin       = "login"        // sign in; the browser follows the redirect to the catcher
	ModeCapture     = "capture"      // sign in, but stop before the redirect to the catcher and return it
	ModeTamperState = "tamper-state" // sign in; before the real callback, a cross-site one (another state) and a rebound one (another Host)
	ModeAttacked    = "attacked"     // another party acts on the link first (ActAsBrowser's attack); then sign in
	ModeMixedUp     = "mixed-up"     // sign in; the answer arrives with iss naming another provider
	ModeDeny        = "deny"         // decline: the provider's redirect carries error=access_denied
	ModeFollow      = "follow"       // just follow the link (for provider errors before login)
)

// MixUpIssuer is the malicious provider whose name the mixed-up answer carries.
const MixUpIssuer = "https://evil-idp.example"

// BrowserEnv is the environment that makes connectedapps open links with self (the running
// test or bench binary, which calls ActAsBrowser first thing) playing mode as username.
func BrowserEnv(self, mode, username string) []string {
	return []string{"BROWSER=" + self, BrowserModeEnv + "=" + mode, BrowserUserEnv + "=" + username}
}

// ActAsBrowser plays the scripted browser and exits when this process was started as one (a
// BrowserModeEnv and a link as the first argument); otherwise it returns at once. A device
// sign-in (the provider's /device page) is approved as UserID in ModeLogin and declined in
// any other mode. attack is ModeAttacked's other party, nil where the system has none.
func ActAsBrowser(attack func(authURL string) error) {
	mode := os.Getenv(BrowserModeEnv)
	if mode == "" || len(os.Args) < 2 || !strings.HasPrefix(os.Args[1], "http") {
		return
	}
	link, logPath := os.Args[1], os.Getenv(BrowserLogEnv)
	note := func(line string) {
		if logPath != "" {
			appendLine(logPath, line)
		}
	}
	note("opened " + link)
	final, err := link, error(nil)
	if u, perr := url.Parse(link); perr == nil && u.Path == "/device" {
		err = DeviceSignIn(link, "", mode == ModeLogin, UserID)
	} else {
		if mode == ModeAttacked {
			if attack == nil {
				err = errors.New("no attacker for this system")
			} else if err = attack(link); err == nil {
				mode = ModeLogin
			}
		}
		if err == nil {
			final, err = SignIn(link, mode, os.Getenv(BrowserUserEnv))
		}
	}
	if err != nil {
		note("failed " + strings.ReplaceAll(err.Error(), "\n", " "))
		fmt.Fprintln(os.Stderr, "scripted browser:", err)
		os.Exit(1)
	}
	if u, perr := url.Parse(final); perr == nil {
		final = u.Scheme + "://" + u.Host + u.Path // not the (spent) authorization code
	}
	note("finished " + final)
	os.Exit(0)
}

func appendLine(path, line string) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return
	}
	defer f.Close()
	_, _ = f.WriteString(line + "\n")
}

var idInput = regexp.MustCompile(`name="id" value="([^"]+)"`)

// SignIn plays the person at the provider: an HTTP client with a cookie jar that follows the
// authorization link, submits the login form as username and follows the redirect to the
// loopback catcher, and returns the URL it ended at. ModeCapture, ModeTamperState and
// ModeMixedUp stop before the final redirect and return that URL (for paste-back, or to
// tamper with it); ModeAttacked needs its attacker, so only ActAsBrowser plays it.
func SignIn(authURL, mode, username string) (finalURL string, err error) {
	jar, _ := cookiejar.New(nil)
	auth, err := url.Parse(authURL)
	if err != nil {
		return "", err
	}
	if mode == ModeAttacked {
		return "", errors.New("the attacked mode needs its attacker: ActAsBrowser plays it")
	}
	redirectURI := auth.Query().Get("redirect_uri")
	capture := mode == ModeTamperState || mode == ModeMixedUp || mode == ModeCapture
	var captured string
	client := &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if capture && strings.HasPrefix(req.URL.String(), redirectURI) {
				captured = req.URL.String()
				return http.ErrUseLastResponse
			}
			return nil
		}}
	if mode == ModeDeny {
		q := url.Values{"error": {"access_denied"}, "error_description": {"The user declined <the> request"}, "state": {auth.Query().Get("state")}}
		resp, err := client.Get(redirectURI + "?" + q.Encode())
		if err != nil {
			return "", err
		}
		resp.Body.Close()
		return resp.Request.URL.String(), nil
	}
	resp, err := client.Get(authURL)
	if err != nil {
		return "", err
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if mode == ModeFollow || strings.HasPrefix(resp.Request.URL.String(), redirectURI) {
		return resp.Request.URL.String(), nil
	}
	m := idInput.FindSubmatch(page)
	if m == nil {
		return "", fmt.Errorf("no login form at %s (status %d): %.300s", resp.Request.URL, resp.StatusCode, page)
	}
	loginURL := resp.Request.URL.ResolveReference(&url.URL{Path: "/login/username"})
	resp, err = client.PostForm(loginURL.String(), url.Values{"id": {string(m[1])}, "username": {username}, "password": {Password}})
	if err != nil {
		return "", err
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if capture {
		if captured == "" {
			return "", fmt.Errorf("login did not redirect to %s (status %d): %.300s", redirectURI, resp.StatusCode, body)
		}
		if mode == ModeTamperState {
			if err := crossSiteThenReal(captured); err != nil {
				return "", err
			}
		}
		if mode == ModeMixedUp {
			if err := deliverMixedUp(captured); err != nil {
				return "", err
			}
		}
		return captured, nil
	}
	if !strings.HasPrefix(resp.Request.URL.String(), redirectURI) {
		return "", fmt.Errorf("sign-in ended at %s (status %d), not at the redirect URI: %.300s", resp.Request.URL, resp.StatusCode, body)
	}
	if resp.StatusCode != http.StatusOK {
		return "", errors.New("the catcher answered " + resp.Status)
	}
	return resp.Request.URL.String(), nil
}

// crossSiteThenReal plays two pages elsewhere that reach the catcher mid sign-in, then the
// real redirect: a cross-site request with a state of its own, and a DNS-rebinding page that
// sends the real callback under its own Host. Both must get 400 and leave the attempt waiting,
// so that the real redirect, last, is answered 200.
func crossSiteThenReal(captured string) error {
	u, err := url.Parse(captured)
	if err != nil {
		return err
	}
	forged := *u
	q := forged.Query()
	q.Set("state", "not-the-state-we-were-given")
	forged.RawQuery = q.Encode()
	rebound, _ := http.NewRequest(http.MethodGet, captured, nil)
	rebound.Host = "rebound.example:" + u.Port()
	real, _ := http.NewRequest(http.MethodGet, captured, nil)
	cross, _ := http.NewRequest(http.MethodGet, forged.String(), nil)
	for _, c := range []struct {
		name string
		req  *http.Request
		want int
	}{{"the cross-site request", cross, http.StatusBadRequest}, {"the rebound request", rebound, http.StatusBadRequest}, {"the real redirect", real, http.StatusOK}} {
		r, err := http.DefaultClient.Do(c.req)
		if err != nil {
			return fmt.Errorf("%s: %w", c.name, err)
		}
		r.Body.Close()
		if r.StatusCode != c.want {
			return fmt.Errorf("%s was answered %s; want %d", c.name, r.Status, c.want)
		}
	}
	return nil
}

// deliverMixedUp plays the mix-up attack's last step: the honest provider's answer (its code,
// the attempt's state) reaches the catcher as the answer of another provider, iss naming it.
// The catcher must refuse it (400) before any exchange.
func deliverMixedUp(captured string) error {
	u, err := url.Parse(captured)
	if err != nil {
		return err
	}
	q := u.Query()
	q.Set("iss", MixUpIssuer)
	u.RawQuery = q.Encode()
	r, err := http.Get(u.String())
	if err != nil {
		return err
	}
	r.Body.Close()
	if r.StatusCode != http.StatusBadRequest {
		return fmt.Errorf("the mixed-up answer was answered %s; want 400", r.Status)
	}
	return nil
}

var userCodeInput = regexp.MustCompile(`name="user_code" value="([^"]+)"`)

// DeviceSignIn plays the person approving (or declining) a device sign-in on the provider's
// /device pages: the code page (unless the link already carries the code), the login form,
// then Allow or Deny. userCode is what the person types when the link has none.
func DeviceSignIn(link, userCode string, approve bool, username string) error {
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, Timeout: 30 * time.Second}
	u, err := url.Parse(link)
	if err != nil {
		return err
	}
	var resp *http.Response
	if u.Query().Get("user_code") != "" {
		resp, err = client.Get(link)
	} else {
		resp, err = client.PostForm(link, url.Values{"user_code": {userCode}}) // typed into the code page
	}
	if err != nil {
		return err
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(page), `action="/device/login"`) {
		return fmt.Errorf("no device login form at %s (status %d): %.300s", resp.Request.URL, resp.StatusCode, page)
	}
	code := userCodeInput.FindSubmatch(page)
	if code == nil {
		return fmt.Errorf("the device login form carries no user code: %.300s", page)
	}
	loginURL := resp.Request.URL.ResolveReference(&url.URL{Path: "/device/login"})
	resp, err = client.PostForm(loginURL.String(), url.Values{"user_code": {string(code[1])}, "username": {username}, "password": {Password}})
	if err != nil {
		return err
	}
	page, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(page), "./confirm?action=allowed") {
		return fmt.Errorf("no confirmation page after the device login (status %d): %.300s", resp.StatusCode, page)
	}
	action := "denied"
	if approve {
		action = "allowed"
	}
	resp, err = client.Get(resp.Request.URL.ResolveReference(&url.URL{Path: "/device/confirm", RawQuery: "action=" + action}).String())
	if err != nil {
		return err
	}
	page, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(page), "Device authorization "+action) {
		return fmt.Errorf("the provider did not confirm %s (status %d): %.300s", action, resp.StatusCode, page)
	}
	return nil
}
