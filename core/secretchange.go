package core

// SecretChange is what an edit does to the client secret: keep it, set a new one, or clear
// it (the client becomes public). The zero value keeps it, so an edit that says nothing
// about the secret cannot lose it. It prints as what it does, never as the secret.
type SecretChange struct {
	change bool   // set or clear, rather than keep
	value  string // the new secret; "" with change: clear
}

// KeepSecret leaves the stored client secret as it is.
func KeepSecret() SecretChange { return SecretChange{} }

// SetSecret stores value as the client secret; an empty value clears it, since an empty
// secret is none.
func SetSecret(value string) SecretChange { return SecretChange{change: true, value: value} }

// ClearSecret deletes the stored client secret.
func ClearSecret() SecretChange { return SecretChange{change: true} }

// Keeps says the stored secret is left alone.
func (c SecretChange) Keeps() bool { return !c.change }

// Clears says the stored secret is deleted.
func (c SecretChange) Clears() bool { return c.change && c.value == "" }

// New is the secret to store, and whether there is one.
func (c SecretChange) New() (string, bool) { return c.value, c.change && c.value != "" }

// String names the change without the secret, for %v and %+v alike.
func (c SecretChange) String() string {
	switch {
	case c.Keeps():
		return "keep the client secret"
	case c.Clears():
		return "clear the client secret"
	}
	return "set a new client secret"
}

// GoString keeps %#v from printing the secret too.
func (c SecretChange) GoString() string { return "core.SecretChange(" + c.String() + ")" }
