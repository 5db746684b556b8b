package oauth

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"connectedapps/core/fail"
)

// Catcher is the loopback listener that receives the provider's redirect. It listens only on
// loopback addresses, answers only its attempt's callback path, only connections of this
// user (where the system says whose a connection is) and only the redirect URI's own Host,
// takes exactly one answer with the attempt's state and then stops. Anything else is
// refused without touching the attempt, so a stray or hostile request cannot end a sign-in.
// A pasted redirect URL goes through the same checks as a real callback.
type Catcher struct {
	host      string
	port      int
	path      string
	listeners []net.Listener
	server    *http.Server
	result    chan callbackResult
	log       *slog.Logger
	// allowPeer refuses a connection that is not this user's (see catcherpeer_linux.go).
	allowPeer func(r *http.Request) error

	mu          sync.Mutex
	state       string
	checkIssuer func(q url.Values) error
	ended       bool // an answer was taken, or the catcher closed: the state is spent
}

type callbackResult struct {
	code string
	err  error
}

// ListenLoopback opens the catcher on host ("127.0.0.1", "[::1]" or "localhost" for both
// families) and port (0: any free port), answering on path ("": /callback). A port in use
// is an immediate error.
func ListenLoopback(host string, port int, path string) (*Catcher, error) {
	if path == "" {
		path = callbackPath
	}
	// With any port, the port the kernel picked for IPv4 may be taken on IPv6: pick again.
	for try := 0; ; try++ {
		c, err := listenLoopback(host, port, path)
		if port != 0 || try == 4 || !errors.Is(err, errPortInUse) {
			return c, err
		}
	}
}

func listenLoopback(host string, port int, path string) (*Catcher, error) {
	var addrs []string
	switch host {
	case hostIPv4:
		addrs = []string{"127.0.0.1"}
	case hostIPv6:
		addrs = []string{"::1"}
	case hostLocalhost:
		addrs = []string{"127.0.0.1", "::1"}
	default:
		return nil, failf(errInvalid, "redirect host %q is not a loopback host", host)
	}
	c := &Catcher{host: host, port: port, path: path, result: make(chan callbackResult, 1),
		log: slog.New(slog.NewTextHandler(io.Discard, nil)), allowPeer: peerIsThisUser}
	for i, a := range addrs {
		network := "tcp4"
		if a == "::1" {
			network = "tcp6"
		}
		l, err := net.Listen(network, net.JoinHostPort(a, strconv.Itoa(c.port)))
		if err != nil {
			// "localhost" without IPv6 on this machine still works over IPv4.
			if i > 0 && !portInUse(err) {
				continue
			}
			c.closeListeners()
			if portInUse(err) {
				return nil, failf(errPortInUse, "port %d on %s is already in use (another program, or another connect)", c.port, a).With(fail.ChoosePortFor(""))
			}
			if why, ok := portReserved(err); ok {
				return nil, failf(errPortInUse, "port %d on %s %s", c.port, a, why).With(fail.ChoosePortFor(""))
			}
			return nil, fmt.Errorf("cannot listen on %s port %d for the sign-in redirect: %v", a, c.port, err)
		}
		c.listeners = append(c.listeners, l)
		if c.port == 0 {
			c.port = l.Addr().(*net.TCPAddr).Port
		}
	}
	c.server = &http.Server{Handler: http.HandlerFunc(c.serveHTTP), ReadHeaderTimeout: 10 * time.Second}
	for _, l := range c.listeners {
		go func() { _ = c.server.Serve(l) }()
	}
	return c, nil
}

// Port is the port actually listened on.
func (c *Catcher) Port() int { return c.port }

// RedirectURI is the exact URI the provider must redirect to.
func (c *Catcher) RedirectURI() string {
	return "http://" + c.host + ":" + strconv.Itoa(c.port) + c.path
}

// Expect sets the state this attempt must see. Call before the browser opens.
func (c *Catcher) Expect(state string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.state = state
}

// ExpectIssuer sets the check of the answer's iss (RFC 9207), run before the answer is
// taken as the attempt's, so a code from another provider is never exchanged.
func (c *Catcher) ExpectIssuer(check func(q url.Values) error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.checkIssuer = check
}

// SetLogger sends the catcher's refusals to the --verbose log.
func (c *Catcher) SetLogger(l *slog.Logger) {
	if l != nil {
		c.log = l
	}
}

func (c *Catcher) serveHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	// Another user of this computer could otherwise deliver a code of their own account
	// (the authorization URL is on the browser's command line, readable by everyone).
	if err := c.allowPeer(r); err != nil {
		c.log.Debug("sign-in catcher refused a connection", "from", r.RemoteAddr, "reason", err)
		writePage(w, http.StatusForbidden, "Not your sign-in", "This sign-in belongs to another user of this computer. You can close this tab.")
		return
	}
	// A page elsewhere that rebinds its own name to 127.0.0.1 (DNS rebinding) sends its own
	// name as Host; a browser following the real redirect sends the redirect URI's.
	if !c.hostMatches(r.Host) {
		c.log.Debug("sign-in catcher refused a request for another host", "host", r.Host)
		writePage(w, http.StatusBadRequest, "Not this sign-in", "This address serves only "+c.RedirectURI()+". You can close this tab.")
		return
	}
	if r.URL.Path != c.path || (r.Method != http.MethodGet && r.Method != http.MethodPost) {
		// favicon.ico, another app's callback path: not ours, and not a reason to end the attempt.
		http.NotFound(w, r)
		return
	}
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	res, outcome := c.take(r.Form)
	switch {
	case !outcome:
		c.log.Debug("sign-in catcher refused a callback for another sign-in (its state does not match)")
		writePage(w, http.StatusBadRequest, "Not this sign-in", "This answer does not belong to the sign-in Connected Apps is waiting for, which goes on. If you started it, finish it in the newest sign-in tab. You can close this tab.")
	case res.spent:
		writePage(w, http.StatusBadRequest, "Sign-in already ended", "This sign-in attempt has already ended, and its answer is used only once. Look in Connected Apps whether it connected; if not, connect again. You can close this tab.")
	case res.err != nil:
		writePage(w, http.StatusBadRequest, "Sign-in failed", res.err.Error()+" You can close this tab.")
	default:
		writePage(w, http.StatusOK, "Signed in", "Connected Apps received the sign-in. You can close this tab.")
	}
}

func writePage(w http.ResponseWriter, status int, title, message string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	fmt.Fprint(w, resultPage(title, message))
}

// hostMatches says the Host header names the redirect URI's host and port. localhost is
// one name for both loopback families, so a localhost catcher takes only that name.
func (c *Catcher) hostMatches(host string) bool {
	return strings.EqualFold(host, c.host+":"+strconv.Itoa(c.port))
}

// DeliverURL takes a redirect URL pasted by the person (the browser ran elsewhere) and
// checks it exactly like a callback. A URL that is not this attempt's (another path, another
// state) is an error to show; the attempt goes on.
func (c *Catcher) DeliverURL(raw string) error {
	_, err := c.Deliver(raw)
	return err
}

// Deliver is DeliverURL that also says whether the paste was the attempt's answer (its
// error is then the attempt's result, not a paste to correct).
func (c *Catcher) Deliver(raw string) (outcome bool, err error) {
	u, err := url.Parse(raw)
	if err != nil || u.Path != c.path {
		return false, fmt.Errorf("that is not the redirect URL: paste the whole address the browser shows after sign-in (it starts with %s)", c.RedirectURI())
	}
	res, outcome := c.take(u.Query())
	switch {
	case !outcome:
		return false, failf(errStateMismatch, "that address is the answer to another sign-in (its state does not match this one): paste the address the browser shows after signing in with the newest link")
	case res.spent:
		return false, nil // the attempt already has its answer; a late paste changes nothing
	}
	return true, res.err
}

// check turns the attempt's answer into its result. The issuer is checked first: an answer
// from another provider must not even be read as that provider's error.
func (c *Catcher) check(q url.Values) callbackResult {
	if c.checkIssuer != nil {
		if err := c.checkIssuer(q); err != nil {
			return callbackResult{err: err}
		}
	}
	if code := q.Get("error"); code != "" {
		return callbackResult{err: &ProviderError{Step: "sign-in", Code: cleanText(code), Description: cleanText(q.Get("error_description")), URI: cleanText(q.Get("error_uri"))}}
	}
	code := q.Get("code")
	if code == "" {
		return callbackResult{err: errors.New("the provider redirected back without a code or an error: connect again")}
	}
	return callbackResult{code: code}
}

// take checks a callback and delivers it when it is the attempt's answer. Only the right
// state is an answer: anything else (a forged or cross-site request, an old tab) is refused
// and the attempt goes on. The state is single-use: after its first answer (good or bad),
// or once the catcher is closed, it is spent, so a replayed or late redirect can never start
// an exchange or be told "Signed in" while the attempt failed.
func (c *Catcher) take(q url.Values) (res takeResult, outcome bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state == "" || subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(c.state)) != 1 {
		return takeResult{}, false
	}
	if c.ended {
		return takeResult{spent: true}, true
	}
	c.ended = true
	r := c.check(q)
	c.result <- r // buffered for the one answer
	return takeResult{callbackResult: r}, true
}

type takeResult struct {
	callbackResult
	spent bool // the state's answer was already taken
}

// Wait returns the code, the provider's error, or errTimeout / errCanceled.
func (c *Catcher) Wait(ctx context.Context) (string, error) {
	select {
	case res := <-c.result:
		return res.code, res.err
	case <-ctx.Done():
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return "", errTimeout
		}
		return "", errCanceled
	}
}

// Close stops listening; the result page already sent still reaches the browser.
func (c *Catcher) Close() {
	c.mu.Lock()
	c.ended = true // the attempt is over: a callback still in flight is refused
	c.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = c.server.Shutdown(ctx)
	c.closeListeners()
}

func (c *Catcher) closeListeners() {
	for _, l := range c.listeners {
		_ = l.Close()
	}
}

func resultPage(title, message string) string {
	return `<!DOCTYPE html><html><head><meta charset="utf-8"><title>` + html.EscapeString(title) +
		` - Connected Apps</title></head><body style="font-family:sans-serif;max-width:40em;margin:4em auto">` +
		`<h1>` + html.EscapeString(title) + `</h1><p>` + html.EscapeString(message) + `</p></body></html>`
}
