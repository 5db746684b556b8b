package oauthtest

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// The provider records every request per path, answers what the test scripted (n counting
// from 1), 404s the rest, and serves the JWKS its tokens are signed with.
func TestProviderRecordsAndAnswers(t *testing.T) {
	p := NewProvider(t)
	p.Handle("/token", func(w http.ResponseWriter, n int, req Request) {
		JSON(w, http.StatusOK, map[string]any{"n": n, "grant": req.Form.Get("grant_type"), "user": req.BasicUser, "pass": req.BasicPass})
	})
	for i := range 2 {
		req, _ := http.NewRequest(http.MethodPost, p.At("/token"), strings.NewReader(url.Values{"grant_type": {"refresh_token"}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(url.QueryEscape("client 1"), url.QueryEscape("s/+= x"))
		resp, err := p.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var got map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&got)
		resp.Body.Close()
		if got["n"] != float64(i+1) || got["grant"] != "refresh_token" || got["user"] != "client 1" || got["pass"] != "s/+= x" || resp.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("answer %d = %v (%v)", i+1, got, resp.Header)
		}
	}
	if resp, err := p.Client().Get(p.At("/nothing?x=1")); err != nil || resp.StatusCode != http.StatusNotFound {
		t.Errorf("an unscripted path: %v %v", resp, err)
	}
	reqs := p.Requests("/token")
	if len(reqs) != 2 || p.Count("/token") != 2 || p.Total() != 3 || reqs[0].Method != http.MethodPost || !reqs[0].HasBasic ||
		reqs[0].RawBasicPass != url.QueryEscape("s/+= x") || p.Requests("/nothing")[0].Form.Get("x") != "1" {
		t.Errorf("recorded %+v, total %d", reqs, p.Total())
	}
	resp, err := p.Client().Get(p.At(JWKSPath))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var jwks struct{ Keys []map[string]string }
	if err := json.NewDecoder(resp.Body).Decode(&jwks); err != nil || len(jwks.Keys) != 1 || jwks.Keys[0]["kid"] != "k1" || jwks.Keys[0]["n"] == "" {
		t.Errorf("JWKS = %+v, %v", jwks, err)
	}
	if a, b := p.Sign(map[string]any{"sub": "u"}), SignUnknown(t, map[string]any{"sub": "u"}); strings.Count(a, ".") != 2 ||
		strings.Split(a, ".")[1] != strings.Split(b, ".")[1] || strings.Split(a, ".")[2] == strings.Split(b, ".")[2] {
		t.Errorf("Sign and SignUnknown: same claims, different keys: %s %s", a, b)
	}
}
