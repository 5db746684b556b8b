package app

import (
	"strings"
	"testing"
)

func TestCleanTextStripsControlCharacters(t *testing.T) {
	for in, want := range map[string]string{
		"plain words, ünïcode and 日本":          "plain words, ünïcode and 日本",
		"Token \x1b]0;pwned\x07\x1b[2Jrevoked": "Token ]0;pwned[2Jrevoked",
		"line one\nline two\ttab\r":            "line one line two tab ",
		"nul\x00 del\x7f c1\u009b31m":          "nul del c131m",
		"bidi \u202eevil\u202c \u2066x\u2069":  "bidi evil x",
		"bad utf-8 \x9b\xff":                   "bad utf-8 \uFFFD",
		"":                                     "",
	} {
		got := CleanText(in)
		if got != want {
			t.Errorf("CleanText(%q) = %q, want %q", in, got, want)
		}
		if strings.ContainsFunc(got, IsControlRune) {
			t.Errorf("CleanText(%q) still holds a control character: %q", in, got)
		}
	}
}

func FuzzCleanText(f *testing.F) {
	f.Add("Token \x1b]0;pwned\x07\x1b[2J\u009b revoked")
	f.Fuzz(func(t *testing.T, s string) {
		got := CleanText(s)
		if strings.ContainsFunc(got, IsControlRune) || strings.ContainsAny(got, "\t\n\r") {
			t.Fatalf("CleanText(%q) = %q", s, got)
		}
		if CleanText(got) != got {
			t.Fatalf("CleanText is not idempotent on %q", s)
		}
	})
}
