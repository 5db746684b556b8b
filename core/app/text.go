package app

import (
	"strings"
	"unicode/utf8"
)

// CleanText makes text a provider chose (an error_description, a user code, a verification
// URI, a name in an ID token) safe to print to a terminal, store in apps.json and show in the
// window. Terminals obey control characters: ESC starts sequences that retitle the window,
// clear the screen, or rewrite what the person reads, and 8-bit C1 codes (0x9B is CSI) do the
// same on some. So every C0 character, DEL and every C1 character goes; a tab or line break
// becomes a space, so the words on either side stay apart. Bidirectional overrides go too:
// they make text display in another order than it reads (a name posing as another).
// Bytes that are not UTF-8 become U+FFFD, so no stray 0x9B byte survives either.
func CleanText(s string) string {
	if isCleanText(s) {
		return s
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r == '\t' || r == '\n' || r == '\r':
			b.WriteByte(' ')
		case IsControlRune(r):
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// IsControlRune is C0, DEL, C1, and the bidirectional embedding, override and isolate marks.
func IsControlRune(r rune) bool {
	return r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f) ||
		(r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) || r == 0x200e || r == 0x200f || r == 0x061c
}

// isCleanText is the fast path: provider text is almost always printable already.
func isCleanText(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == 0x7f || c >= 0x80 {
			if c < 0x80 {
				return false
			}
			// Non-ASCII: decide rune by rune.
			if !utf8.ValidString(s[i:]) {
				return false
			}
			for _, r := range s[i:] {
				if IsControlRune(r) {
					return false
				}
			}
			return true
		}
	}
	return true
}
