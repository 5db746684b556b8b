package secret

import (
	"fmt"
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

// keyringSet writes one entry. go-keyring's Set makes five Secret Service calls one after the
// other (OpenSession, the collection list, Unlock, CreateItem, Close); the common case, an
// unlocked collection, needs two round trips: OpenSession and the collection list sent
// together, then CreateItem (replacing, as go-keyring does) into the collection go-keyring
// would choose, with go-keyring's label. Anything else (a locked collection, which needs
// go-keyring's Unlock and its prompt, a prompt asked for by CreateItem, or any failure) goes
// to go-keyring, so its errors and prompts are unchanged; CreateItem replaces, so a retry
// there after a partial attempt here leaves one entry.
func keyringSet(service, user, value string) error {
	if secretServiceSet(service, user, value) {
		return nil
	}
	return keyring.Set(service, user, value)
}

// secretServiceSet is the two-round-trip write: false means "ask go-keyring".
func secretServiceSet(service, user, value string) bool {
	conn, err := dbus.SessionBus() // the connection go-keyring shares too
	if err != nil {
		return false
	}
	obj := conn.Object(ssName, ssPath)
	open := obj.Go(ssService+".OpenSession", 0, nil, "plain", dbus.MakeVariant(""))
	list := obj.Go("org.freedesktop.DBus.Properties.Get", 0, nil, ssService, "Collections")
	<-open.Done
	<-list.Done
	var session dbus.ObjectPath
	var output dbus.Variant
	if open.Err != nil || open.Store(&output, &session) != nil || session == "" {
		return false
	}
	defer conn.Object(ssName, session).Go("org.freedesktop.Secret.Session.Close", dbus.FlagNoReplyExpected, nil)
	var collections dbus.Variant
	if list.Err != nil || list.Store(&collections) != nil {
		return false
	}
	paths, _ := collections.Value().([]dbus.ObjectPath)
	collection := dbus.ObjectPath(ssPath + "/aliases/default") // go-keyring's choice without a login collection
	for _, p := range paths {
		if p == dbus.ObjectPath(ssLoginPrefix[:len(ssLoginPrefix)-1]) {
			collection = p
		}
	}
	props := map[string]dbus.Variant{
		"org.freedesktop.Secret.Item.Label":      dbus.MakeVariant(fmt.Sprintf("Password for '%s' on '%s'", user, service)),
		"org.freedesktop.Secret.Item.Attributes": dbus.MakeVariant(map[string]string{"username": user, "service": service}),
	}
	secret := struct {
		Session     dbus.ObjectPath
		Parameters  []byte
		Value       []byte
		ContentType string
	}{session, []byte{}, []byte(value), "text/plain; charset=utf8"}
	var item, prompt dbus.ObjectPath
	err = conn.Object(ssName, collection).Call("org.freedesktop.Secret.Collection.CreateItem", 0, props, secret, true).Store(&item, &prompt)
	return err == nil && prompt == "/" && item != "/" && item != ""
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
