package secret

import (
	"strings"

	"github.com/godbus/dbus/v5"
	"github.com/zalando/go-keyring"
)

// Secret Service names (freedesktop.org Secret Service API).
const (
	ssName        = "org.freedesktop.secrets"
	ssPath        = "/org/freedesktop/secrets"
	ssService     = "org.freedesktop.Secret.Service"
	ssLoginPrefix = ssPath + "/collection/login/"
)

// keyringGet reads one entry. go-keyring's Get makes seven Secret Service calls, one after
// the other (the collection list, Unlock of the collection, SearchItems, OpenSession, Unlock
// of the item, GetSecret, Close); a cached `connectedapps token` spends most of its own time
// there. The common case, an entry in an unlocked keyring, needs two round trips: SearchItems
// and OpenSession sent together, then GetSecrets. Anything else (a locked entry, which needs
// go-keyring's unlock and its prompt, or any failure) goes to go-keyring, so its errors and
// prompts are unchanged. An entry found nowhere, locked or not, is ErrNotFound, as go-keyring
// would say.
func keyringGet(service, user string) (string, error) {
	if v, found, ok := secretServiceGet(service, user); ok {
		if !found {
			return "", keyring.ErrNotFound
		}
		return v, nil
	}
	return keyring.Get(service, user)
}

// secretServiceGet is the two-round-trip read: ok=false means "ask go-keyring".
func secretServiceGet(service, user string) (value string, found, ok bool) {
	conn, err := dbus.SessionBus() // the connection go-keyring shares too
	if err != nil {
		return "", false, false
	}
	obj := conn.Object(ssName, ssPath)
	search := obj.Go(ssService+".SearchItems", 0, nil, map[string]string{"service": service, "username": user})
	open := obj.Go(ssService+".OpenSession", 0, nil, "plain", dbus.MakeVariant(""))
	<-search.Done
	<-open.Done
	var session dbus.ObjectPath
	var output dbus.Variant
	if open.Err == nil && open.Store(&output, &session) == nil {
		// Closed without waiting for the answer; the daemon also drops it with the connection.
		defer conn.Object(ssName, session).Go("org.freedesktop.Secret.Session.Close", dbus.FlagNoReplyExpected, nil)
	}
	var unlocked, locked []dbus.ObjectPath
	if search.Err != nil || search.Store(&unlocked, &locked) != nil || open.Err != nil || session == "" {
		return "", false, false
	}
	if len(unlocked) == 0 {
		return "", false, len(locked) == 0
	}
	// go-keyring files entries in the login collection (or the default one where there is
	// no login collection): prefer the entry there when another collection has a namesake.
	item := unlocked[0]
	for _, p := range unlocked {
		if strings.HasPrefix(string(p), ssLoginPrefix) {
			item = p
			break
		}
	}
	var secrets map[dbus.ObjectPath]struct {
		Session     dbus.ObjectPath
		Parameters  []byte
		Value       []byte
		ContentType string
	}
	if err := obj.Call(ssService+".GetSecrets", 0, []dbus.ObjectPath{item}, session).Store(&secrets); err != nil {
		return "", false, false
	}
	s, found := secrets[item]
	if !found {
		return "", false, false
	}
	return string(s.Value), true, true
}
