package oauth

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// Discovery answers that go wrong in ways discovery_test.go does not already show (404, HTML,
// missing endpoints, wrong issuer, timeouts, TLS). Each must fail with one line naming the
// document's URL and what to do, and fill nothing.

func TestDiscoverServerError(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, `{"error":"internal"}`, http.StatusInternalServerError)
	}))
	defer srv.Close()
	md, err := Discover(context.Background(), srv.Client(), srv.URL, "")
	assertDiscoveryError(t, err, srv.URL+WellKnownSuffix, "500", "check the URL")
	if md != nil {
		t.Errorf("a failed discovery returned %+v", md)
	}
}

func TestDiscoverTruncatedJSON(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		full, _ := json.Marshal(fullDiscoveryDoc("http://" + r.Host))
		w.Header().Set("Content-Type", "application/json")
		w.Write(full[:len(full)/2]) // the connection closes halfway through the document
	}))
	defer srv.Close()
	_, err := Discover(context.Background(), srv.Client(), srv.URL, "")
	assertDiscoveryError(t, err, srv.URL+WellKnownSuffix, "not JSON", "unexpected end", "check the URL")
}

func TestDiscoverRedirectLoop(t *testing.T) {
	var hops atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hops.Add(1)
		http.Redirect(w, r, r.URL.Path+"?hop=x", http.StatusFound)
	}))
	defer srv.Close()
	_, err := Discover(context.Background(), srv.Client(), srv.URL, "")
	assertDiscoveryError(t, err, srv.URL+WellKnownSuffix, "redirects in a loop", "check the URL")
	if n := hops.Load(); n > MaxRedirectHops+1 {
		t.Errorf("%d requests; the client must give up after %d redirects", n, MaxRedirectHops)
	}
}

// A server that sends a 10 MB answer: at most 1 MiB is read, and the message says the answer
// is too large, rather than blaming the JSON it could not finish.
func TestDiscoverHugeBody(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		// A valid document padded to 10 MB, so only its size can be wrong with it.
		doc := fullDiscoveryDoc("http://" + r.Host)
		doc.ScopesSupported = append(doc.ScopesSupported, strings.Repeat("x", 10<<20))
		_ = json.NewEncoder(w).Encode(doc)
	}))
	defer srv.Close()
	_, err := Discover(context.Background(), srv.Client(), srv.URL, "")
	assertDiscoveryError(t, err, srv.URL+WellKnownSuffix, "larger than 1 MiB", "check the URL")
}

// A server that sends the headers at once and then the body a byte at a time, forever: the
// whole request is bounded, so the wait ends with "timeout" and the URL.
func TestDiscoverSlowBody(t *testing.T) {
	stop := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		io.WriteString(w, `{"issuer": "`)
		w.(http.Flusher).Flush()
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-r.Context().Done():
				return
			case <-tick.C:
				io.WriteString(w, "x")
				w.(http.Flusher).Flush()
			}
		}
	}))
	defer srv.Close()
	defer close(stop)
	// DiscoveryTimeout (15 s) bounds it in production; the caller's shorter deadline here.
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := Discover(ctx, srv.Client(), srv.URL, "")
	assertDiscoveryError(t, err, srv.URL+WellKnownSuffix, "while reading the answer", "timeout")
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("the slow body held discovery for %s", d)
	}
}
