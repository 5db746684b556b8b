package oauth

import (
	"bufio"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// FuzzCatcherCallback sends a fuzzed callback query to a catcher expecting a fuzzed state, once
// as a browser would (a raw HTTP request through the catcher's handler) and once pasted
// (DeliverURL). Properties: only the exact, non-empty state is an answer, and anything else
// is refused with 400 (a paste: errStateMismatch) and leaves the attempt waiting; a code is
// accepted only with that state, no error, and no iss or the app's own, and is the query's
// own code; every refusal is one line; the result page escapes everything the query brings;
// both ways agree; and once an answer is taken, the same answer again is not.
func FuzzCatcherCallback(f *testing.F) {
	const redirect = "http://127.0.0.1:8765" + callbackPath
	emptyPageTags := strings.Count(resultPage("x", "y"), "<")
	f.Fuzz(func(t *testing.T, state, rawQuery string) {
		// The browser's way: the request line is parsed by net/http as the server would.
		served := false
		var servedRes callbackResult
		req, err := http.ReadRequest(bufio.NewReader(strings.NewReader(
			"GET " + callbackPath + "?" + rawQuery + " HTTP/1.1\r\nHost: 127.0.0.1:8765\r\n\r\n")))
		if err == nil {
			c := fuzzCatcher(state)
			rec := httptest.NewRecorder()
			c.serveHTTP(rec, req)
			res, delivered := fuzzTake(c)
			if !delivered {
				if rec.Code != http.StatusBadRequest {
					t.Errorf("a callback that was not taken answered %d; want 400", rec.Code)
				}
				if q, perr := url.ParseQuery(req.URL.RawQuery); perr == nil && state != "" && q.Get("state") == state {
					t.Errorf("a well-formed callback query %q with the attempt's state was not taken", req.URL.RawQuery)
				}
			} else {
				served, servedRes = true, res
				fuzzCheckCallback(t, "callback", state, req.Form, res)
				if want := http.StatusOK; res.err != nil {
					want = http.StatusBadRequest
					if rec.Code != want {
						t.Errorf("refused callback answered %d; want %d", rec.Code, want)
					}
				} else if rec.Code != want {
					t.Errorf("accepted callback answered %d; want %d", rec.Code, want)
				}
				// Whatever the query carried (error_description, error) is text, never markup.
				if n := strings.Count(rec.Body.String(), "<"); n != emptyPageTags {
					t.Errorf("the result page has %d '<' (the bare page has %d): the query reached it unescaped:\n%s", n, emptyPageTags, rec.Body.String())
				}
			}
		}

		// The pasted way.
		c := fuzzCatcher(state)
		pasted := redirect + "?" + rawQuery
		err = c.DeliverURL(pasted)
		res, delivered := fuzzTake(c)
		u, perr := url.Parse(pasted)
		if perr == nil && u.Path == callbackPath && (state == "" || u.Query().Get("state") != state) {
			// Not this attempt's answer: a paste error, and the attempt goes on.
			if delivered {
				t.Errorf("DeliverURL(%q) with another state was taken: %v", pasted, res)
			}
			if !errors.Is(err, errStateMismatch) {
				t.Errorf("DeliverURL(%q) with another state = %v; want errStateMismatch", pasted, err)
			}
		} else if perr == nil && u.Path == callbackPath {
			if !delivered {
				t.Fatalf("DeliverURL(%q) delivered nothing", pasted)
			}
			if err != res.err {
				t.Errorf("DeliverURL returned %v but delivered %v", err, res.err)
			}
			fuzzCheckCallback(t, "pasted URL", state, u.Query(), res)
			// The state is single-use: the same answer pasted again is not taken.
			_ = c.DeliverURL(pasted)
			if again, taken := fuzzTake(c); taken {
				t.Errorf("a second paste of %q was taken too: %v", pasted, again)
			}
			// A query without a fragment reads the same both ways.
			if served && !strings.Contains(rawQuery, "#") {
				if (servedRes.err == nil) != (res.err == nil) || servedRes.code != res.code {
					t.Errorf("callback gave (%q, %v) but the pasted URL gave (%q, %v)", servedRes.code, servedRes.err, res.code, res.err)
				}
			}
		} else {
			if delivered {
				t.Errorf("DeliverURL(%q) of a URL that is not the callback delivered %v", pasted, res)
			}
			if err == nil {
				t.Fatalf("DeliverURL(%q) = nil for a URL that is not the callback", pasted)
			}
		}
		if err != nil {
			fuzzOneLine(t, "DeliverURL error", err.Error())
		}
	})
}

// fuzzIssuer is the issuer of the fuzzed catcher's app.
const fuzzIssuer = "https://idp.example.com"

func fuzzCatcher(state string) *Catcher {
	c := &Catcher{host: hostIPv4, port: 8765, path: callbackPath, state: state, result: make(chan callbackResult, 1),
		log: slog.New(slog.NewTextHandler(io.Discard, nil)), allowPeer: func(*http.Request) error { return nil }}
	c.checkIssuer = CallbackIssuerCheck(&App{ProviderName: "Fuzz IdP", Issuer: fuzzIssuer})
	return c
}

// fuzzTake returns what the catcher delivered, without waiting.
func fuzzTake(c *Catcher) (callbackResult, bool) {
	select {
	case res := <-c.result:
		return res, true
	default:
		return callbackResult{}, false
	}
}

func fuzzCheckCallback(t *testing.T, how, state string, q url.Values, res callbackResult) {
	t.Helper()
	if state == "" || q.Get("state") != state {
		t.Fatalf("%s: took an answer (%q, %v) with state %q; the attempt expects %q", how, res.code, res.err, q.Get("state"), state)
	}
	if res.err == nil {
		if q.Has("iss") && q.Get("iss") != fuzzIssuer {
			t.Errorf("%s: accepted code %q from the issuer %q; the app's is %q", how, res.code, q.Get("iss"), fuzzIssuer)
		}
		if res.code == "" || res.code != q.Get("code") {
			t.Errorf("%s: accepted code %q; the query's code is %q", how, res.code, q.Get("code"))
		}
		if q.Get("error") != "" {
			t.Errorf("%s: accepted a code from an answer carrying error=%q", how, q.Get("error"))
		}
		return
	}
	if res.code != "" {
		t.Errorf("%s: a refusal (%v) still carries code %q", how, res.err, res.code)
	}
	if q.Has("iss") && q.Get("iss") != fuzzIssuer && !errors.Is(res.err, errMixUp) {
		t.Errorf("%s: an answer from the issuer %q gave %v; want errMixUp", how, q.Get("iss"), res.err)
	}
	fuzzOneLine(t, how+" refusal", res.err.Error())
}
