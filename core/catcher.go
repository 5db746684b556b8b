package core

import (
	"context"
	"errors"
	"fmt"
	"html"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// Catcher is the loopback listener that receives the provider's redirect. It listens only on
// loopback addresses, answers only the callback path, takes exactly one result and then
// stops. A pasted redirect URL goes through the same checks as a real callback.
type Catcher struct {
	host      string
	port      int
	state     string
	listeners []net.Listener
	server    *http.Server
	result    chan callbackResult
	mu        sync.Mutex
	ended     bool // an answer was taken, or the catcher closed: the state is spent
}

type callbackResult struct {
	code string
	err  error
}

// ListenLoopback opens the catcher on host ("127.0.0.1", "[::1]" or "localhost" for both
// families) and port (0: any free port). A port in use is an immediate error.
func ListenLoopback(host string, port int) (*Catcher, error) {
	// With any port, the port the kernel picked for IPv4 may be taken on IPv6: pick again.
	for try := 0; ; try++ {
		c, err := listenLoopback(host, port)
		if port != 0 || try == 4 || !errors.Is(err, ErrPortInUse) {
			return c, err
		}
	}
}

func listenLoopback(host string, port int) (*Catcher, error) {
	var addrs []string
	switch host {
	case HostIPv4:
		addrs = []string{"127.0.0.1"}
	case HostIPv6:
		addrs = []string{"::1"}
	case HostLocalhost:
		addrs = []string{"127.0.0.1", "::1"}
	default:
		return nil, Failf(ErrInvalid, "redirect host %q is not a loopback host", host)
	}
	c := &Catcher{host: host, port: port, result: make(chan callbackResult, 1)}
	for i, a := range addrs {
		network := "tcp4"
		if a == "::1" {
			network = "tcp6"
		}
		l, err := net.Listen(network, net.JoinHostPort(a, strconv.Itoa(c.port)))
		if err != nil {
			// "localhost" without IPv6 on this machine still works over IPv4.
			if i > 0 && !errors.Is(err, syscall.EADDRINUSE) {
				continue
			}
			c.closeListeners()
			if errors.Is(err, syscall.EADDRINUSE) {
				return nil, Failf(ErrPortInUse, "port %d on %s is already in use (another program, or another connect): close it, or pick another port with `connectedapps edit NAME --redirect-port N` and register the new redirect URI with the provider (0 = any free port, where the provider allows it)", c.port, a)
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
	return "http://" + c.host + ":" + strconv.Itoa(c.port) + CallbackPath
}

// Expect sets the state this attempt must see. Call before the browser opens.
func (c *Catcher) Expect(state string) { c.state = state }

func (c *Catcher) serveHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != CallbackPath || (r.Method != http.MethodGet && r.Method != http.MethodPost) {
		// favicon.ico and the like: not ours, and not a reason to end the attempt.
		http.NotFound(w, r)
		return
	}
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	res, taken := c.take(r.Form)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	switch {
	case !taken:
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprint(w, resultPage("Sign-in already ended", "This sign-in attempt has already ended, and its answer is used only once. Look in Connected Apps whether it connected; if not, start connect again. You can close this tab."))
	case res.err != nil:
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprint(w, resultPage("Sign-in failed", res.err.Error()+" You can close this tab."))
	default:
		fmt.Fprint(w, resultPage("Signed in", "Connected Apps received the sign-in. You can close this tab."))
	}
}

// DeliverURL takes a redirect URL pasted by the person (the browser ran elsewhere) and
// checks it exactly like a callback.
func (c *Catcher) DeliverURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Path != CallbackPath {
		return fmt.Errorf("that is not the redirect URL: paste the whole address the browser shows after sign-in (it starts with http://%s:%d%s)", c.host, c.port, CallbackPath)
	}
	res, taken := c.take(u.Query())
	if !taken {
		return nil // the attempt already has its answer; a late paste changes nothing
	}
	return res.err
}

func (c *Catcher) check(q url.Values) callbackResult {
	if q.Get("state") != c.state || c.state == "" {
		return callbackResult{err: Failf(ErrStateMismatch, "the sign-in answer does not belong to this attempt (state mismatch): start connect again and use only the newest sign-in page")}
	}
	if code := q.Get("error"); code != "" {
		return callbackResult{err: &ProviderError{Step: "sign-in", Code: CleanText(code), Description: CleanText(q.Get("error_description")), URI: CleanText(q.Get("error_uri"))}}
	}
	code := q.Get("code")
	if code == "" {
		return callbackResult{err: errors.New("the provider redirected back without a code or an error: start connect again")}
	}
	return callbackResult{code: code}
}

// take checks a callback and delivers it when it is the attempt's first answer. A state is
// single-use: after the first answer (good or bad), or once the catcher is closed, every
// callback is refused, so a replayed or late redirect can never start an exchange or be told
// "Signed in" while the attempt failed.
func (c *Catcher) take(q url.Values) (res callbackResult, taken bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ended {
		return callbackResult{}, false
	}
	c.ended = true
	res = c.check(q)
	c.result <- res // buffered for the one answer
	return res, true
}

// Wait returns the code, the provider's error, or ErrTimeout / ErrCanceled.
func (c *Catcher) Wait(ctx context.Context) (string, error) {
	select {
	case res := <-c.result:
		return res.code, res.err
	case <-ctx.Done():
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return "", ErrTimeout
		}
		return "", ErrCanceled
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
