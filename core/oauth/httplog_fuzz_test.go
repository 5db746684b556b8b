package oauth

import (
	"errors"
	"net/url"
	"strconv"
	"strings"
	"testing"
)

// fuzzRedactURLs builds the same URL twice, once holding secret and once a stand-in, at the
// place where chooses: the value of a sensitive query parameter (its name as given, or
// percent-encoded), the password of the user info, or the fragment. base, before and after
// are the rest of the URL. ok is false when the rest is not a URL.
func fuzzRedactURLs(base, before, after string, where uint8, secret string) (withSecret, withStandIn *url.URL, ok bool) {
	name := sensitiveParams[int(where/4)%len(sensitiveParams)]
	if where&2 != 0 {
		name = "%" + strings.ToUpper(hexByte(name[0])) + name[1:]
	}
	build := func(value string) *url.URL {
		raw := base
		if where%4 < 2 {
			raw += "?" + before + "&" + name + "=" + url.QueryEscape(value) + "&" + after
		}
		u, err := url.Parse(raw)
		if err != nil {
			return nil
		}
		switch where % 4 {
		case 1:
			u.User = url.UserPassword("me", value)
		case 3:
			u.Fragment = value
		}
		return u
	}
	standIn := "stand-in"
	if secret == "" {
		standIn = "" // an empty fragment is no fragment: nothing to hide
	}
	withSecret, withStandIn = build(secret), build(standIn)
	if (withSecret == nil) != (withStandIn == nil) {
		panic("the secret changed whether the URL parses: " + base)
	}
	return withSecret, withStandIn, withSecret != nil
}

func hexByte(b byte) string {
	const digits = "0123456789abcdef"
	return string([]byte{digits[b>>4], digits[b&15]})
}

// FuzzRedactURL: what RedactURL writes does not depend on a sensitive value at all, so no
// form of it (raw, escaped, in part) can survive into a --verbose log.
func FuzzRedactURL(f *testing.F) {
	f.Fuzz(func(t *testing.T, base, before, after string, where uint8, secret string) {
		u1, u2, ok := fuzzRedactURLs(base, before, after, where, secret)
		if !ok {
			return
		}
		raw := u1.String()
		if got, standIn := RedactURL(u1), RedactURL(u2); got != standIn {
			t.Errorf("RedactURL(%q) = %q depends on the secret %q (with a stand-in: %q)", raw, got, secret, standIn)
		}
	})
}

// FuzzRedactText: the same for an error message quoting a request's URL (absolute, as every
// request's is) the way url.Error does, which is what a failed request logs, after other text
// as Go code writes it (quotes only around a %q-quoted name).
func FuzzRedactText(f *testing.F) {
	f.Fuzz(func(t *testing.T, prefix, name, base, before, after string, where uint8, secret string) {
		prefix = strings.Map(func(r rune) rune {
			if strings.ContainsRune("\"'`", r) {
				return -1
			}
			return r
		}, prefix) + " " + strconv.Quote(name)
		u1, u2, ok := fuzzRedactURLs(base, before, after, where, secret)
		if !ok || u1.Scheme == "" || u1.Host == "" {
			return
		}
		msg := func(u *url.URL) string {
			e := &url.Error{Op: "Post", URL: u.String(), Err: errors.New("dial tcp 192.0.2.1:443: connect: connection refused")}
			return prefix + " " + e.Error()
		}
		if got, standIn := RedactText(msg(u1)), RedactText(msg(u2)); got != standIn {
			t.Errorf("RedactText(%q) = %q depends on the secret %q (with a stand-in: %q)", msg(u1), got, secret, standIn)
		}
	})
}
