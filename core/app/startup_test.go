package app

import (
	"strings"
	"testing"
)

// The tenant check keeps its 254-character bound although the pattern no longer spells it
// (a bounded repetition compiled on every start of the command line).
func TestTenantLengthBound(t *testing.T) {
	for _, tc := range []struct {
		v  string
		ok bool
	}{
		{"contoso.onmicrosoft.com", true},
		{"a" + strings.Repeat("b", 253), true},
		{"a" + strings.Repeat("b", 254), false},
		{"-contoso", false},
		{"con/toso", false},
	} {
		_, err := cleanFieldValue(FieldTenant, tc.v)
		if (err == nil) != tc.ok {
			t.Errorf("tenant of %d characters %.20q: error %v, want ok=%v", len(tc.v), tc.v, err, tc.ok)
		}
	}
}
