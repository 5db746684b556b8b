package core

import "time"

// Stale says the token must be renewed before it is handed out with minValid left: the rule
// Service.Token applies (renewed at half its life when minValid asks for more than the
// provider grants). Exported for a process that keeps tokens in memory (core/agent), so what
// it hands out from memory is what Token would have handed out from the keyring.
func (t *TokenSet) Stale(now time.Time, minValid time.Duration) bool { return t.stale(now, minValid) }
