package secret

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"

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
// (with OpenSession, the first time in a process), then GetSecrets. Anything else (a locked
// entry, which needs go-keyring's unlock and its prompt, or any failure) goes to go-keyring,
// so its errors and prompts are unchanged. An entry found nowhere, locked or not, is
// ErrNotFound, as go-keyring would say.
func keyringGet(service, user string) (string, error) {
	values, found, ok := secretServiceGetMany(service, []string{user}, ssReadValues)
	if !ok {
		return keyring.Get(service, user)
	}
	if !found[0] {
		return "", keyring.ErrNotFound
	}
	return values[0], nil
}

// keyringGetMany reads several entries in the same two round trips as one (the chunked
// store's write reads an entry and its pending note together); found says which exist. Its
// one caller is a write, so the collection the write goes to is asked for in the first of
// those round trips, the first time. Where the fast path cannot answer, each is read through
// go-keyring.
func keyringGetMany(service string, users []string) (values []string, found []bool, err error) {
	if values, found, ok := secretServiceGetMany(service, users, ssReadBeforeWrite); ok {
		return values, found, nil
	}
	return getEach(service, users)
}

// keyringProbe finds whether an entry could be read now without reading it: one round trip
// (SearchItems, with OpenSession and the collection list the first time), no GetSecrets, no
// secret on the bus; for an entry not there yet, a second asks whether the collection the
// write will go to is unlocked. An entry found only locked, a locked collection, or any
// failure goes to go-keyring's Get, which unlocks the collection first, so a locked keyring
// shows its unlock prompt here, before a write needs it, and its errors are unchanged.
func keyringProbe(service, user string) error {
	if _, _, ok := secretServiceGetMany(service, []string{user}, ssProbe); ok {
		return nil
	}
	if _, err := keyring.Get(service, user); err != nil && !errors.Is(err, keyring.ErrNotFound) {
		return err
	}
	return nil
}

// keyringSet writes one entry. go-keyring's Set makes five Secret Service calls one after the
// other (OpenSession, the collection list, Unlock, CreateItem, Close); the common case, an
// unlocked collection, needs one round trip once the process knows its session and the
// collection (CreateItem, replacing, as go-keyring does, into the collection go-keyring would
// choose, with go-keyring's label), two the first time. Anything else (a locked collection,
// which needs go-keyring's Unlock and its prompt, a prompt asked for by CreateItem, or any
// failure) goes to go-keyring, so its errors and prompts are unchanged; CreateItem replaces,
// so a retry there after a partial attempt here leaves one entry.
func keyringSet(service, user, value string) error {
	if secretServiceSet(service, user, value) {
		return nil
	}
	return keyring.Set(service, user, value)
}

// keyringPrepare opens the shared session-bus connection on a goroutine of its own; the
// first call's dbus.SessionBus waits for it rather than opening another. Only where the bus's
// address is known: without one godbus would try to autolaunch a bus, and a failed attempt
// is not kept, so the call itself would make it again.
func keyringPrepare() {
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") != "" {
		go func() { _, _ = dbus.SessionBus() }()
	}
}

// ssSession is what a process keeps of the Secret Service between calls: its session (the
// "plain" kind go-keyring opens too, which carries no key; the daemon keeps it until the
// connection closes) and the collection writes go to. Opening a session for every call cost
// nothing on a read (it travels with SearchItems) but a round trip on every write. Both are
// forgotten at the first failure that might be theirs, so a restarted daemon costs one call
// through go-keyring, then a fresh session.
var ssSession struct {
	mu         sync.Mutex
	conn       *dbus.Conn
	path       dbus.ObjectPath
	collection dbus.ObjectPath // "" until a write looks it up
}

// cachedSession is the session kept for conn, and the write collection if known.
func cachedSession(conn *dbus.Conn) (session, collection dbus.ObjectPath) {
	ssSession.mu.Lock()
	defer ssSession.mu.Unlock()
	if ssSession.conn != conn {
		return "", ""
	}
	return ssSession.path, ssSession.collection
}

// keepSession keeps session for conn (and the write collection, when given) and returns the
// session to use: the one already kept, if another call kept one first (this one is closed).
func keepSession(conn *dbus.Conn, session, collection dbus.ObjectPath) dbus.ObjectPath {
	ssSession.mu.Lock()
	defer ssSession.mu.Unlock()
	switch {
	case ssSession.conn == conn && ssSession.path == session:
	case ssSession.conn == conn && ssSession.path != "":
		conn.Object(ssName, session).Go("org.freedesktop.Secret.Session.Close", dbus.FlagNoReplyExpected, nil)
		session = ssSession.path
	default:
		ssSession.conn, ssSession.path, ssSession.collection = conn, session, ""
	}
	if collection != "" {
		ssSession.collection = collection
	}
	return session
}

// forgetSession drops the session a failed call used, unless another call replaced it.
func forgetSession(conn *dbus.Conn, session dbus.ObjectPath) {
	ssSession.mu.Lock()
	defer ssSession.mu.Unlock()
	if ssSession.conn == conn && ssSession.path == session {
		ssSession.conn, ssSession.path, ssSession.collection = nil, "", ""
	}
}

// openSession asks for a session; wait for the answer with sessionFrom.
func openSession(obj dbus.BusObject) *dbus.Call {
	return obj.Go(ssService+".OpenSession", 0, nil, "plain", dbus.MakeVariant(""))
}

func sessionFrom(open *dbus.Call) dbus.ObjectPath {
	<-open.Done
	var session dbus.ObjectPath
	var output dbus.Variant
	if open.Err != nil || open.Store(&output, &session) != nil {
		return ""
	}
	return session
}

// listCollections asks for the service's collections; pick the write's with writeCollectionFrom.
func listCollections(obj dbus.BusObject) *dbus.Call {
	return obj.Go("org.freedesktop.DBus.Properties.Get", 0, nil, ssService, "Collections")
}

// writeCollectionFrom is the collection go-keyring writes to: the login collection, or the
// default alias where there is none. "" if the list could not be had.
func writeCollectionFrom(list *dbus.Call) dbus.ObjectPath {
	<-list.Done
	var collections dbus.Variant
	if list.Err != nil || list.Store(&collections) != nil {
		return ""
	}
	paths, _ := collections.Value().([]dbus.ObjectPath)
	collection := dbus.ObjectPath(ssPath + "/aliases/default")
	for _, p := range paths {
		if p == dbus.ObjectPath(ssLoginPrefix[:len(ssLoginPrefix)-1]) {
			collection = p
		}
	}
	return collection
}

// writeCollectionUnlocked is whether the collection writes go to is known and unlocked. An
// entry found unlocked says so of its collection; an entry not found says nothing, so a probe
// before the first write of an entry asks (a round trip more).
func writeCollectionUnlocked(conn *dbus.Conn, collection dbus.ObjectPath) bool {
	if collection == "" {
		return false
	}
	locked, err := conn.Object(ssName, collection).GetProperty("org.freedesktop.Secret.Collection.Locked")
	isLocked, isBool := locked.Value().(bool)
	return err == nil && isBool && !isLocked
}

// ssRead says what a fast read is for, so it asks the daemon only what that needs.
type ssRead int

const (
	ssReadValues      ssRead = iota // the entries' values
	ssReadBeforeWrite               // the values, and the write's collection in the same round trip (the first time)
	ssProbe                         // only whether each entry is there and unlocked: no GetSecrets
)

// secretServiceSet is the fast write: false means "ask go-keyring".
func secretServiceSet(service, user, value string) bool {
	conn, err := dbus.SessionBus() // the connection go-keyring shares too
	if err != nil {
		return false
	}
	obj := conn.Object(ssName, ssPath)
	session, collection := cachedSession(conn)
	if session == "" || collection == "" {
		var open *dbus.Call
		if session == "" {
			open = openSession(obj)
		}
		list := listCollections(obj)
		if open != nil {
			if session = sessionFrom(open); session == "" {
				<-list.Done
				return false
			}
		}
		if collection = writeCollectionFrom(list); collection == "" {
			forgetSession(conn, session)
			return false
		}
		session = keepSession(conn, session, collection)
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
	if err != nil {
		forgetSession(conn, session) // a stale session fails this way too; a locked collection needs go-keyring either way
		return false
	}
	return prompt == "/" && item != "/" && item != ""
}

// secretServiceGetMany is the fast read of one or more entries: SearchItems for each (and
// OpenSession the first time; before a write, the collection list the first time) in one
// round trip, then one GetSecrets for all that were found, unless this is a probe. found
// says which exist; a probe's values are all "". ok=false means "ask go-keyring": an entry
// found only locked, or any failure.
func secretServiceGetMany(service string, users []string, read ssRead) (values []string, found []bool, ok bool) {
	conn, err := dbus.SessionBus() // the connection go-keyring shares too
	if err != nil {
		return nil, nil, false
	}
	obj := conn.Object(ssName, ssPath)
	searches := make([]*dbus.Call, len(users))
	for i, user := range users {
		searches[i] = obj.Go(ssService+".SearchItems", 0, nil, map[string]string{"service": service, "username": user})
	}
	session, collection := cachedSession(conn)
	var open, list *dbus.Call
	if session == "" {
		open = openSession(obj)
	}
	if read != ssReadValues && collection == "" {
		list = listCollections(obj) // a write follows
	}
	items := make([]dbus.ObjectPath, len(users))
	var wanted []dbus.ObjectPath
	failed := false
	for i, search := range searches {
		<-search.Done
		var unlocked, locked []dbus.ObjectPath
		switch {
		case search.Err != nil || search.Store(&unlocked, &locked) != nil:
			failed = true
		case len(unlocked) > 0:
			// go-keyring files entries in the login collection (or the default one where
			// there is no login collection): prefer the entry there when another collection
			// has a namesake.
			items[i] = unlocked[0]
			for _, p := range unlocked {
				if strings.HasPrefix(string(p), ssLoginPrefix) {
					items[i] = p
					break
				}
			}
			wanted = append(wanted, items[i])
		case len(locked) > 0:
			failed = true // go-keyring unlocks it, with its prompt
		}
	}
	if open != nil {
		session = sessionFrom(open)
	}
	if list != nil {
		collection = writeCollectionFrom(list) // "": the write looks it up again
	}
	if session != "" && (open != nil || list != nil) { // only what this call learned
		session = keepSession(conn, session, collection)
	}
	if failed || session == "" {
		return nil, nil, false
	}
	values, found = make([]string, len(users)), make([]bool, len(users))
	if read == ssProbe {
		for i, item := range items {
			found[i] = item != ""
		}
		if len(wanted) == 0 && !writeCollectionUnlocked(conn, collection) {
			return nil, nil, false // go-keyring unlocks it, with its prompt: the write that follows needs it
		}
		return values, found, true
	}
	if len(wanted) == 0 {
		return values, found, true
	}
	var secrets map[dbus.ObjectPath]struct {
		Session     dbus.ObjectPath
		Parameters  []byte
		Value       []byte
		ContentType string
	}
	if err := obj.Call(ssService+".GetSecrets", 0, wanted, session).Store(&secrets); err != nil {
		forgetSession(conn, session)
		return nil, nil, false
	}
	for i, item := range items {
		if item == "" {
			continue
		}
		s, ok := secrets[item]
		if !ok {
			return nil, nil, false
		}
		values[i], found[i] = string(s.Value), true
	}
	return values, found, true
}
